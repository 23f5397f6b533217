package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/internal/agentconfig"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// SSHLoginAlarm verifies that an SSH login on an instance reaches a person (the auth.log
// SSH-login alarm design: CloudWatch Agent → metric filter → alarm → SNS): every log group of
// a region that CloudWatch Agent configurations ship SSH logs to carries a metric filter
// matching "Accepted publickey for ... ssh2" lines (as sshd writes them to its file, and as the
// agent ships them from the journal), with the same alarm → SNS → confirmed
// subscriber chain as the CIS alarm checks (route.EvaluateAlarmChain).
func SSHLoginAlarm() *Check {
	return &Check{
		ID:       "cloudwatch-ssh-login-alarm",
		Title:    "SSH logins raise a CloudWatch alarm",
		Severity: Medium,
		Service:  "logs",
		Verifies: "For each log group of the region that an applied CloudWatch Agent configuration sends /var/log/auth.log, " +
			"/var/log/secure or sshd's journal entries to (placeholders resolved): a metric filter on that group, in its own " +
			"account and region, whose pattern — evaluated against sshd log lines (and, for a group the journal feeds, the " +
			"agent's JSON documents of those entries), not compared as text — matches \"Accepted publickey for ... " +
			"from ... port ... ssh2\" lines and no failed-password, invalid-user, disconnect or PAM session line, with a " +
			"metric value > 0; an alarm on that metric that one matching line raises (e.g. Sum >= 1, 1 of 1 datapoints), " +
			"actions enabled; and an alarm action that is an SNS topic with a confirmed subscriber that receives the " +
			"notification. Every SSH log group of the region must have a complete chain." + route.DeliveryVerifies,
		Remediation: "On each SSH log group create a metric filter with pattern " + detection.RefSSHLogin + " (metric value 1), " +
			"an alarm on its metric (Sum >= 1, period 60, 1 of 1 datapoints) and an SNS topic with a confirmed subscriber as the alarm action.",
		FixSummary: "create metric filter lookout-ssh-login (namespace lookout/SSH), an alarm and SNS wiring on each SSH log group whose chain is broken",
		Run:        runSSHLoginAlarm,
		Plan:       planSSHLoginAlarm,
	}
}

func runSSHLoginAlarm(c *Check, s *snapshot.Snapshot, _ Options) []Finding {
	return perRegion(s, func(a *snapshot.Account, r *snapshot.Region) []Finding {
		groups, undecided := sshLogGroups(r)
		switch {
		case undecided != "" && len(groups) == 0:
			// A read that decides where the check applies failed: the region may hold SSH
			// log groups lookout cannot see, so it is ERROR, never silence.
			return []Finding{c.finding(a.ID, r.Name, a.ARN("logs", r.Name, "log-group:*"), Error,
				"cannot tell which log groups of "+r.Name+" hold SSH logs: "+undecided)}
		case len(groups) > 0:
			f := c.sshAlarmFinding(s, a.ID, r.Name, groups)
			if undecided != "" && f.Status == Pass {
				f.Status = Error
				f.Message = "the SSH log groups found pass (" + f.Message + "), but others may exist: " + undecided
			}
			return []Finding{f}
		}
		return nil
	})
}

// sshLogGroup is a log group that holds SSH logs, and how the agent fills it: from sshd's
// log file, from the journal, or both.
type sshLogGroup struct {
	Name           string
	Files, Journal bool
}

// detection is what a metric filter on the group must detect, in the shapes its events take.
func (g sshLogGroup) detection() detection.Detection {
	return detection.SSHLoginShipped(g.Files, g.Journal)
}

// sshLogGroups are the log groups of a region that hold SSH logs: those the configurations
// applied to its managed Linux instances send an SSH log file or sshd's journal entries to,
// when the group exists (or when the log groups could not be listed, so that the chain
// reports ERROR rather than the region going silent). undecided says why the set may be
// incomplete: a read that decides which configurations apply (managed instances,
// associations, commands, the configurations themselves) failed.
func sshLogGroups(r *snapshot.Region) (groups []sshLogGroup, undecided string) {
	switch {
	case r.SSM == nil:
		return nil, "Systems Manager was not collected"
	case r.SSM.Error != nil:
		return nil, "the SSM managed instances could not be read: " + r.SSM.Error.Error()
	}
	var why []string
	configs := map[string]*snapshot.AgentConfig{}
	for i := range r.SSM.AgentConfigs {
		configs[r.SSM.AgentConfigs[i].Parameter] = &r.SSM.AgentConfigs[i]
	}
	set := map[string]*sshLogGroup{}
	for i := range r.SSM.ManagedInstances {
		mi := &r.SSM.ManagedInstances[i]
		if mi.PlatformType != "Linux" {
			continue
		}
		switch {
		case r.SSM.AssociationsError != nil:
			why = append(why, "the State Manager associations could not be read: "+r.SSM.AssociationsError.Error())
		case r.SSM.CommandsError != nil:
			why = append(why, "the ManageAgent commands could not be read: "+r.SSM.CommandsError.Error())
		}
		res := agentconfig.Resolve(r.SSM, mi)
		if res.Unresolved != "" {
			why = append(why, res.Unresolved)
		}
		for _, src := range res.Sources {
			if src.Config != "ssm" {
				continue
			}
			cfg := configs[src.Parameter]
			switch {
			case cfg == nil:
				why = append(why, "configuration "+src.Parameter+" was not collected")
				continue
			case cfg.Error != nil && cfg.Error.Code != "ParameterNotFound":
				why = append(why, "configuration "+src.Parameter+" could not be read: "+cfg.Error.Error())
				continue
			}
			for _, d := range agentconfig.SSHDestinations(cfg) {
				if g, err := agentconfig.Expand(d.Group, mi); err == nil {
					if set[g] == nil {
						set[g] = &sshLogGroup{Name: g}
					}
					set[g].Journal = set[g].Journal || d.Journal
					set[g].Files = set[g].Files || !d.Journal
				}
			}
		}
	}
	for name, g := range set {
		if r.Logs == nil || r.Logs.Error != nil || findLogGroup(r.Logs, name) != nil {
			groups = append(groups, *g)
		}
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
	return groups, strings.Join(uniqueSorted(why), "; ")
}

func uniqueSorted(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func (c *Check) sshAlarmFinding(s *snapshot.Snapshot, account, region string, groups []sshLogGroup) Finding {
	verdicts := make([]route.AlarmChainVerdict, len(groups))
	evidence := LogGroupChainsEvidence{Detection: detection.SSHLogin().Summary}
	var failing []string
	status := Pass
	for i, lg := range groups {
		g := lg.Name
		v := route.EvaluateAlarmChain(s, route.LogGroupRef{Account: account, Region: region, Name: g, Partition: s.PartitionOf(account)}, lg.detection())
		verdicts[i] = v
		ev := LogGroupChainEvidence{Verdict: v.Status, Message: v.Message, AlarmChainEvidence: &verdicts[i].Evidence}
		if v.Status != Pass {
			ev.Broken = &verdicts[i].Broken
		}
		evidence.LogGroups = append(evidence.LogGroups, ev)
		switch v.Status {
		case Pass:
			continue
		case Fail:
			status = Fail
			failing = append(failing, fmt.Sprintf("log group %s: %s%s", g, v.Broken.Lead(), v.Message))
		default:
			if status != Fail {
				status = Error
			}
			failing = append(failing, fmt.Sprintf("log group %s: %s", g, v.Message))
		}
	}
	var f Finding
	if status == Pass {
		var msgs []string
		for _, v := range verdicts {
			msgs = append(msgs, fmt.Sprintf("log group %s: %s", v.LogGroup.Name, v.Message))
		}
		f = c.finding(account, region, verdicts[0].Resource, Pass, strings.Join(msgs, "; "))
	} else {
		resource := verdicts[0].Resource
		for i, v := range verdicts {
			if v.Status == status {
				resource, evidence.Broken = v.Resource, &verdicts[i].Broken
				break
			}
		}
		f = c.finding(account, region, resource, status, strings.Join(failing, "; "))
	}
	f.Evidence = evidence
	if status == Fail {
		f.Fix = &FixHint{Available: true, Summary: "create metric filter " + fixSSHFilter + " (" + detection.RefSSHLogin + ", namespace " + fixSSHNamespace + "), an alarm (Sum >= 1, 1 of 1) and SNS wiring (--sns-topic-arn or --notify-email) on each SSH log group whose chain is broken"}
	}
	return f
}
