package checks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// fixSSHFilter is the metric filter lookout adds to SSH log groups; its metric lives in
// lookout's namespace, one metric per group so that each group's alarm counts only its own.
const (
	fixSSHFilter    = "lookout-ssh-login"
	fixSSHNamespace = "lookout/SSH"
)

// planSSHLoginAlarm completes, on every SSH log group of the region whose chain is broken, the
// chain of the auth.log SSH-login alarm design: metric filter "Accepted publickey for" → alarm
// (Sum >= 1 over one minute, 1 of 1) → SNS topic → subscriber. Groups whose chain passes are
// left alone.
func planSSHLoginAlarm(s *snapshot.Snapshot, f Finding, o FixOptions) ([]plan.Action, string, error) {
	a, r, err := fixAccountRegion(s, f)
	if err != nil {
		return nil, "", err
	}
	var broken []string
	groups, _ := sshLogGroups(r)
	for _, g := range groups {
		if route.EvaluateAlarmChain(s, route.LogGroupRef{Account: a.ID, Region: r.Name, Name: g.Name, Partition: a.Partition}, g.detection()).Status != Pass {
			broken = append(broken, g.Name)
		}
	}
	if len(broken) == 0 {
		return nil, "no SSH log group of " + r.Name + " has a broken chain lookout can complete", nil
	}
	topic, actions, note, ok := notifyTopic(a, r.Name, o)
	if !ok {
		return nil, note, nil
	}
	p := fixPartition(a)
	for _, g := range broken {
		metric, alarm := sshMetricName(g), "lookout-ssh-login-"+safeName(g, 200)
		if !hasMetricFilter(r, g, fixSSHFilter) {
			actions = append(actions, plan.Action{
				Region: r.Name, Target: fixARN(p, "logs", r.Name, a.ID, "log-group:"+g) + " filter " + fixSSHFilter, Effect: plan.Change,
				Params: fixMetricFilter(g, fixSSHFilter, detection.RefSSHLogin, metric, fixSSHNamespace),
				Why:    fmt.Sprintf("counts successful SSH public-key logins in %s (a filter added to the group; its other filters are untouched)", g),
			})
		}
		if !hasAlarm(r, alarm) {
			actions = append(actions, plan.Action{
				Region: r.Name, Target: fixARN(p, "cloudwatch", r.Name, a.ID, "alarm:"+alarm), Effect: plan.Create,
				Params: fixAlarmOnFirst(alarm, "lookout: SSH login recorded in "+g, metric, fixSSHNamespace, 60, topic),
				Why:    "goes off on one SSH login: Sum >= 1 over 1 minute, 1 of 1 datapoints, notifying " + topic,
			})
		}
	}
	if len(actions) == 0 {
		return nil, "lookout's filters, alarms and topic are in place, yet the check fails: see the finding", nil
	}
	return actions, note, nil
}

var unsafeNameChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// safeName maps a log group name into the characters alarm and metric names read best with,
// shortened with a hash beyond max so that distinct groups keep distinct names.
func safeName(s string, max int) string {
	out := unsafeNameChars.ReplaceAllString(s, "-")
	if len(out) <= max && out == s {
		return out
	}
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:4])
	if len(out) > max-9 {
		out = out[:max-9]
	}
	return out + "-" + h
}

func sshMetricName(group string) string { return "SSHLogins-" + safeName(group, 200) }
