// Package drill exercises the controls a scan judged: where a check said a chain should work,
// a drill makes AWS run it and records what AWS did, hop by hop.
//
// A drill is planned from a scan's findings (Plan, a pure function of them: it changes
// nothing) and exercised only on request (Exercise). What is exercised today are alarm chains
// (the CIS monitoring family by metric filter, the SSH-login alarm): cloudwatch:SetAlarmState
// puts the alarm in ALARM with a reason naming the drill, and cloudwatch:DescribeAlarmHistory
// shows the Action item CloudWatch records for each of the transition's actions, with AWS's
// own success or failure message ("Failed to execute action …"). CloudWatch returns the alarm
// to its real state at its next evaluation (CloudWatch API Reference, SetAlarmState). An alarm
// already in ALARM is not drilled: SetAlarmState to the state an alarm is in is no transition,
// and CloudWatch runs actions on transitions only.
//
// The StopLogging remediation is exercised with a canary trail of the drill's own (canary.go),
// SSH log shipping and the SSH-login alarm with a marked line logged through Run Command
// (sshlog.go).
//
// Chains a drill cannot fire are reported as SKIPPED with the reason: EventBridge rules on
// aws.* events (PutEvents cannot emit an aws.* source, so such a rule cannot be fired safely);
// AWS's own evaluator is asked about their patterns instead (pattern.go).
package drill

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/route"
)

// SchemaVersion is the drill report's schema_version.
const SchemaVersion = 1

// TagKey is the tag every resource a drill creates carries, its value the drill id.
const TagKey = "lookout:drill"

// Status is a drill result's or step's verdict.
type Status string

const (
	Pass    Status = "PASS"
	Fail    Status = "FAIL"
	Error   Status = "ERROR"
	Skipped Status = "SKIPPED" // not drillable, or not applied
)

// Report is the drill report (`lookout drill --format json`).
type Report struct {
	SchemaVersion int       `json:"schema_version"`
	DrillID       string    `json:"drill_id"`
	Applied       bool      `json:"applied"`
	Results       []Result  `json:"results"`
	Created       []Created `json:"created"`
	Summary       Summary   `json:"summary"`
}

// Summary counts results by status.
type Summary struct {
	Pass    int `json:"PASS"`
	Fail    int `json:"FAIL"`
	Error   int `json:"ERROR"`
	Skipped int `json:"SKIPPED"`
}

// Result is one chain's drill.
type Result struct {
	CheckID  string `json:"check_id"`
	Account  string `json:"account"`
	Region   string `json:"region"`
	Resource string `json:"resource"`
	// Exercised is false for a plan (no --apply) and for what cannot be exercised safely.
	Exercised bool   `json:"exercised"`
	Status    Status `json:"status"`
	// Message is one sentence: what happened, or why the chain was not exercised.
	Message string `json:"message"`
	Steps   []Step `json:"steps"`
	// Plan says what the drill does (or did) to this chain, Receives what a person receives,
	// and Permissions the IAM actions it needs.
	Plan        []string `json:"plan,omitempty"`
	Receives    string   `json:"receives,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
	// Checks are the other checks whose chain runs through the same alarm (drilled once).
	AlsoChecks []string `json:"also_checks,omitempty"`

	alarm    *alarmTarget
	canary   *canaryTarget
	patterns []patternTarget
	ssh      *sshTarget
	target   *targetTrail
}

// Step is one observed hop of a drill.
type Step struct {
	Step   string     `json:"step"`
	Status Status     `json:"status"`
	At     *time.Time `json:"at,omitempty"`
	Detail string     `json:"detail"`
}

// Created is a resource the drill created and whether it was removed.
type Created struct {
	ARN     string `json:"arn"`
	Removed bool   `json:"removed"`
}

// alarmTarget is the alarm an alarm-chain result exercises.
type alarmTarget struct {
	Name, ARN string
	Actions   []string
}

// Steps of an alarm drill.
const (
	StepReadAlarm   = "read-alarm"
	StepSetState    = "set-alarm-state"
	StepAlarmAction = "alarm-action"
)

// AlarmPermissions are the IAM actions an alarm drill calls.
var AlarmPermissions = []string{"cloudwatch:DescribeAlarms", "cloudwatch:SetAlarmState", "cloudwatch:DescribeAlarmHistory"}

// NewID returns a drill id: "d-" and the UTC date and minute, then four random hex digits
// ("d-20261207-0412-5f3a").
func NewID(now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return "d-" + now.UTC().Format("20060102-1504") + "-" + hex.EncodeToString(b[:])
}

// Reason is the state reason a drill sets on an alarm.
func Reason(id string) string { return "lookout drill " + id + ": this is a test" }

// PlanOptions are Plan's.
type PlanOptions struct {
	// ID is the drill's id (NewID).
	ID string
	// TargetTrail names a real trail (name or ARN) whose StopLogging remediation is drilled by
	// stopping that trail instead of a canary (target.go).
	TargetTrail string
}

// Plan turns a scan's findings into the drill of every chain they judged, in the findings'
// order, an alarm drilled once however many checks run through it. Nothing is exercised: every
// result is SKIPPED, with what would be done.
func Plan(fs []checks.Finding, po PlanOptions) []Result {
	id := po.ID
	var out []Result
	byAlarm := map[string]int{}
	canaries := 0
	sshDrills, sshAlarms := sshPlans(fs, id)
	for i, f := range fs {
		kind := chainKind(f.CheckID)
		if kind == "" {
			continue
		}
		if r, ok := sshDrills[i]; ok {
			out = append(out, r)
			continue
		}
		if kind == "remediation" {
			if po.TargetTrail != "" && IsTrail(f, po.TargetTrail) {
				out = append(out, targetPlan(f))
				continue
			}
			canaries++
			out = append(out, canaryPlan(f, id, canaries))
			continue
		}
		if kind != "alarm" {
			r := notExercised(f, kind)
			if ps := patternChecks(f); ps != nil {
				r = withPatternPlan(r, ps)
			}
			out = append(out, r)
			continue
		}
		alarms := alarmsOf(f.Evidence)
		if e, ok := f.Evidence.(checks.CISMonitoringEvidence); ok && e.Route == "eventbridge" {
			alarms = nil // the control holds by its rules; the filter route's alarms are not it
		}
		if len(alarms) > 0 {
			alarms = slices.DeleteFunc(alarms, func(a route.AlarmEvidence) bool { return sshAlarms[a.ARN] })
			if len(alarms) == 0 {
				continue // every one is drilled by the SSH log drill of its group
			}
		}
		if len(alarms) == 0 {
			r := base(f)
			r.Message = noAlarmMessage(f)
			if ps := patternChecks(f); ps != nil {
				r = withPatternPlan(r, ps)
			}
			out = append(out, r)
			continue
		}
		for _, a := range alarms {
			if i, seen := byAlarm[a.ARN]; seen {
				if out[i].CheckID != f.CheckID && !slices.Contains(out[i].AlsoChecks, f.CheckID) {
					out[i].AlsoChecks = append(out[i].AlsoChecks, f.CheckID)
				}
				continue
			}
			byAlarm[a.ARN] = len(out)
			out = append(out, alarmPlan(f, a, id))
		}
	}
	return out
}

// chainKind is the kind of chain a check judges ("alarm", "eventbridge", "remediation",
// "log shipping"); "" for checks that judge no chain.
func chainKind(check string) string {
	switch {
	case strings.HasPrefix(check, "cloudwatch-") && strings.HasSuffix(check, "-alarm"):
		return "alarm" // the CIS family and cloudwatch-ssh-login-alarm
	case check == "eventbridge-console-signin-rule", check == "eventbridge-ec2-state-change-rule":
		return "eventbridge"
	case check == "cloudtrail-stoplogging-remediation":
		return "remediation"
	case check == "ssm-cloudwatch-agent-ssh-logs":
		return "log shipping"
	}
	return ""
}

func base(f checks.Finding) Result {
	return Result{CheckID: f.CheckID, Account: f.Account, Region: f.Region, Resource: f.Resource, Status: Skipped, Steps: []Step{}}
}

// notExercised is the result of a chain this version does not exercise, with the reason.
func notExercised(f checks.Finding, kind string) Result {
	r := base(f)
	switch kind {
	case "eventbridge":
		r.Message = "not drillable: the rule matches aws.* events, which PutEvents cannot send, so it cannot be fired safely"
	}
	return r
}

// noAlarmMessage says why an alarm check has no alarm to drill.
func noAlarmMessage(f checks.Finding) string {
	if e, ok := f.Evidence.(checks.CISMonitoringEvidence); ok && e.Route == "eventbridge" {
		return "not drillable: monitored by EventBridge rules on aws.* events, which PutEvents cannot send"
	}
	if b := f.Broken(); b != nil {
		return fmt.Sprintf("no alarm to exercise: the scan found the chain broken at %s", b)
	}
	return "no alarm to exercise on the chain the scan judged"
}

// alarmPlan is the drill of one alarm.
func alarmPlan(f checks.Finding, a route.AlarmEvidence, id string) Result {
	r := base(f)
	r.Resource = a.ARN
	if p, ok := awsarn.Parse(a.ARN); ok {
		r.Account, r.Region = p.Account, p.Region
	}
	r.alarm = &alarmTarget{Name: a.Name, ARN: a.ARN, Actions: a.AlarmActions}
	r.Permissions = AlarmPermissions
	r.Plan = []string{
		fmt.Sprintf("cloudwatch:SetAlarmState alarm %s to ALARM, reason %q", a.Name, Reason(id)),
		"watch cloudwatch:DescribeAlarmHistory for the Action item of each SNS action of that transition, until the deadline",
		"CloudWatch returns the alarm to its real state at its next evaluation",
	}
	topics := snsActions(a.AlarmActions)
	switch {
	case !a.ActionsEnabled:
		r.Receives = "nothing: the alarm's actions are disabled"
	case len(topics) == 0:
		r.Receives = "nothing: the alarm has no SNS action"
	default:
		names := make([]string, len(topics))
		for i, t := range topics {
			names[i] = resourceName(t)
		}
		r.Receives = fmt.Sprintf("the subscribers of SNS topic %s: an ALARM notification for %s whose reason names drill %s", strings.Join(names, ", "), a.Name, id)
	}
	r.Message = fmt.Sprintf("plan: set alarm %s to ALARM and watch its actions (run with --apply)", a.Name)
	return r
}

// alarmsOf are the alarms on the chains a finding's evidence judged (each once).
func alarmsOf(ev any) []route.AlarmEvidence {
	var chains []*route.AlarmChainEvidence
	switch e := ev.(type) {
	case checks.CISMonitoringEvidence:
		return alarmsOf(e.MetricFilterRoute)
	case *checks.CISMonitoringEvidence:
		return alarmsOf(e.MetricFilterRoute)
	case checks.TrailChainsEvidence:
		for _, c := range e.Chains {
			if reachesAlarm(c.Broken) {
				chains = append(chains, c.AlarmChainEvidence)
			}
		}
	case *checks.TrailChainsEvidence:
		return alarmsOf(*e)
	case checks.LogGroupChainsEvidence:
		for _, g := range e.LogGroups {
			if reachesAlarm(g.Broken) {
				chains = append(chains, g.AlarmChainEvidence)
			}
		}
	case *checks.LogGroupChainsEvidence:
		return alarmsOf(*e)
	}
	var out []route.AlarmEvidence
	seen := map[string]bool{}
	for _, c := range chains {
		if c == nil {
			continue
		}
		for _, a := range c.Alarms {
			if a.ARN == "" || seen[a.ARN] {
				continue
			}
			seen[a.ARN] = true
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(x, y route.AlarmEvidence) int {
		// Alarms that would notify first: their drill says the most.
		return cmp.Compare(len(x.Problems), len(y.Problems))
	})
	return out
}

// reachesAlarm says whether a chain broken at b gets its events as far as an alarm: it holds,
// or breaks at the alarm or after it. A chain broken before (its trail, log group or metric
// filter) has no alarm of its own to drill: an alarm on the closest filter's metric watches
// other events.
func reachesAlarm(b *route.BrokenLink) bool {
	if b == nil {
		return true
	}
	switch b.Link {
	case route.LinkAlarm, route.LinkTopic, route.LinkSubscriber:
		return true
	}
	return false
}

// snsActions are the SNS topics among an alarm's actions.
func snsActions(actions []string) []string {
	var out []string
	for _, a := range actions {
		if p, ok := awsarn.Parse(a); ok && p.Service == "sns" {
			out = append(out, a)
		}
	}
	return out
}

func resourceName(a string) string {
	if p, ok := awsarn.Parse(a); ok {
		return p.Resource
	}
	return a
}

// CreatesResources says whether exercising r creates resources (a canary trail and bucket),
// which a drill refuses to do beside an earlier drill's leftovers.
func (r Result) CreatesResources() bool { return r.canary != nil }

// addStep records one observed hop of r at time at (to the second).
func (r *Result) addStep(at time.Time, name string, st Status, detail string) {
	t := at.UTC().Truncate(time.Second)
	r.Steps = append(r.Steps, Step{Step: name, Status: st, At: &t, Detail: detail})
}

// end gives r its verdict.
func (r *Result) end(st Status, exercised bool, msg string) {
	r.Status, r.Exercised, r.Message = st, exercised, msg
}

// ruleEvidence is the EventBridge rule search a finding's evidence holds, if it holds one.
func ruleEvidence(f checks.Finding) (route.RuleEvidence, bool) {
	switch e := f.Evidence.(type) {
	case route.RuleEvidence:
		return e, true
	case *route.RuleEvidence:
		return *e, e != nil
	}
	return route.RuleEvidence{}, false
}

// NewReport assembles a report, counting its results.
func NewReport(id string, applied bool, results []Result, created []Created) Report {
	r := Report{SchemaVersion: SchemaVersion, DrillID: id, Applied: applied, Results: results, Created: created}
	if r.Results == nil {
		r.Results = []Result{}
	}
	if r.Created == nil {
		r.Created = []Created{}
	}
	for _, x := range r.Results {
		switch x.Status {
		case Pass:
			r.Summary.Pass++
		case Fail:
			r.Summary.Fail++
		case Error:
			r.Summary.Error++
		default:
			r.Summary.Skipped++
		}
	}
	return r
}
