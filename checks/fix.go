package checks

import (
	"encoding/json"
	"fmt"

	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Remediation plans. Each check that lookout can fix has a planner in a file of its own,
// checks/<check>_fix.go, next to the check it repairs, hung on the check itself (Check.Plan,
// and Check.Project where later checks must see its effect). A planner
// is as pure as a check: it reads the snapshot the failing finding came from and returns the
// API actions that would make the finding pass, as plain data (internal/plan). It never calls
// AWS; internal/fixexec carries the actions out.
//
// Planners keep three promises, which the executor enforces a second time:
//   - idempotent: plans come from a fresh snapshot and only for FAIL findings, and everything
//     lookout creates has a predictable name, so a rerun finds it and plans nothing;
//   - never destructive: nothing is deleted or overwritten; an existing resource of the user's
//     is changed only additively (a statement added to a policy, a file added to an agent
//     configuration, a target added to a rule) and is named in the action's Target;
//   - owned: what lookout creates is tagged managed-by=lookout.

// PlanFunc plans the remediation of one FAIL finding of its check. It returns the actions (none
// when lookout cannot fix the finding) and a note for the reviewer (why nothing can be done, or
// a caveat). An error means the snapshot is inconsistent with the finding.
type PlanFunc func(s *snapshot.Snapshot, f Finding, o FixOptions) ([]plan.Action, string, error)

// FixOptions are the choices `lookout fix` passes to planners.
type FixOptions struct {
	Options
	// SNSTopicARNs are existing topics alarms and rules notify (--sns-topic-arn), at most one
	// per region: an alarm or rule notifies the one in its own region. In regions without one,
	// lookout uses its own topic, lookout-alerts, subscribing NotifyEmail.
	SNSTopicARNs []string
	NotifyEmail  string
	// HomeRegion is where lookout creates an account-wide trail. Default: us-east-1 when it
	// was scanned, else the first scanned region.
	HomeRegion string
	// AllowRevoke (--allow-revoke) lets ec2-ssh-open-to-internet plan the revocation of a
	// security group rule: the one fix that removes something (a rule, never a group).
	AllowRevoke bool
}

// projectors update a copy of the snapshot with the state a check's plans will leave behind, so
// that checks evaluated after it plan against that state: a trail this fix creates or starts
// also needs its StopLogging remediation and CIS alarms, and planning them in the same run is
// what makes a second `fix --apply` plan nothing.

// HasFix reports whether lookout can plan fixes for the check.
func (c *Check) HasFix() bool { return c.Plan != nil }

// PlanResult is what PlanFixes found: the plans, and the findings that block planning (ERROR
// findings: lookout does not fix what it could not read).
type PlanResult struct {
	Plans    []plan.Plan
	Findings []Finding // every finding evaluated, FAIL and ERROR included
}

// PlanFixes evaluates the checks in registry order on s and plans a fix for every FAIL finding.
// After each check, its projector (if any) applies the effect of its plans to a working copy of
// the snapshot, which later checks read. Actions already planned by an earlier plan are dropped
// from later ones (plan.Dedupe).
func PlanFixes(s *snapshot.Snapshot, list []*Check, o FixOptions) (*PlanResult, error) {
	if o.HomeRegion == "" {
		o.HomeRegion = fixHomeRegion(s.Regions)
	}
	work, err := fixCopySnapshot(s)
	if err != nil {
		return nil, err
	}
	selected := map[string]bool{}
	for _, c := range list {
		selected[c.ID] = true
	}
	res := &PlanResult{}
	var order []string
	for _, c := range All() {
		if !selected[c.ID] {
			continue
		}
		order = append(order, c.ID)
		findings := Run(work, []*Check{c}, o.Options)
		res.Findings = append(res.Findings, findings...)
		var plans []plan.Plan
		for _, f := range findings {
			if f.Status != Fail {
				continue
			}
			p := plan.Plan{CheckID: f.CheckID, Account: f.Account, Region: f.Region, Resource: f.Resource, Finding: f.Message, Actions: []plan.Action{}}
			planner := c.Plan
			if planner == nil {
				p.Note = "lookout has no automatic fix for this check; by hand: " + c.Remediation
				plans = append(plans, p)
				continue
			}
			actions, note, err := planner(work, f, o)
			if err != nil {
				return nil, fmt.Errorf("planning %s for %s %s: %w", c.ID, f.Account, f.Region, err)
			}
			if actions != nil {
				p.Actions = actions
			}
			p.Note = note
			plans = append(plans, p)
		}
		if proj := c.Project; proj != nil && len(plans) > 0 {
			proj(work, plans, o)
		}
		res.Plans = append(res.Plans, plans...)
	}
	plan.Sort(res.Plans, order)
	res.Plans = plan.Dedupe(res.Plans)
	SortFindings(res.Findings)
	return res, nil
}

func fixHomeRegion(regions []string) string {
	for _, r := range regions {
		if r == "us-east-1" {
			return r
		}
	}
	if len(regions) > 0 {
		return regions[0]
	}
	return "us-east-1"
}

// fixCopySnapshot deep-copies s through its JSON form (the snapshot is plain data by design).
func fixCopySnapshot(s *snapshot.Snapshot) (*snapshot.Snapshot, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("copying snapshot: %w", err)
	}
	var out snapshot.Snapshot
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("copying snapshot: %w", err)
	}
	return &out, nil
}

// ---- names and ARNs of what lookout creates ----

// Names of the resources lookout creates. They are predictable so that a rerun finds them.
const (
	fixTrailName          = "lookout-trail"
	fixTrailLogGroup      = "lookout-cloudtrail"
	fixTrailLogsRole      = "lookout-cloudtrail-to-cloudwatch"
	fixTrailLogsPolicy    = "lookout-cloudtrail-logs-delivery"
	fixTopicName          = "lookout-alerts"
	fixTopicStatementSid  = "lookout-events-publish"
	fixRemediationName    = "lookout-stoplogging-remediation"
	fixRemediationPolicy  = "lookout-start-logging"
	fixEventsTargetID     = "lookout-notify"
	fixLambdaStatementPre = "lookout-"
)

// fixTrailBucket is the S3 bucket of the trail lookout creates (bucket names are global, so
// the account and region are part of it).
func fixTrailBucket(account, region string) string {
	return "lookout-cloudtrail-" + account + "-" + region
}

func fixPartition(a *snapshot.Account) string {
	if a.Partition != "" {
		return a.Partition
	}
	return "aws"
}

func fixARN(partition, service, region, account, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", partition, service, region, account, resource)
}

// fixTags is the managed-by=lookout tag as a list of {Key, Value} (most services).
func fixTags() []plan.Tag {
	return []plan.Tag{{Key: plan.ManagedByKey, Value: plan.ManagedByValue}}
}

// fixTagMap is the same tag as a map (CloudWatch Logs, Lambda).
func fixTagMap() map[string]string {
	return map[string]string{plan.ManagedByKey: plan.ManagedByValue}
}

// fixPolicy renders an IAM-style policy document.
func fixPolicy(statements ...map[string]any) string {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		panic(err) // statements are built from strings and maps: cannot fail
	}
	return string(b)
}

// fixAccount returns the account of a finding.
func fixAccount(s *snapshot.Snapshot, id string) (*snapshot.Account, error) {
	for i := range s.Accounts {
		if s.Accounts[i].ID == id {
			return &s.Accounts[i], nil
		}
	}
	return nil, fmt.Errorf("account %s is not in the snapshot", id)
}

// fixRegion returns a region of an account.
func fixRegion(a *snapshot.Account, name string) (*snapshot.Region, error) {
	for i := range a.Regions {
		if a.Regions[i].Name == name {
			return &a.Regions[i], nil
		}
	}
	return nil, fmt.Errorf("region %s of account %s is not in the snapshot", name, a.ID)
}

// fixAccountRegion returns the account and region of a regional finding.
func fixAccountRegion(s *snapshot.Snapshot, f Finding) (*snapshot.Account, *snapshot.Region, error) {
	a, err := fixAccount(s, f.Account)
	if err != nil {
		return nil, nil, err
	}
	r, err := fixRegion(a, f.Region)
	if err != nil {
		return nil, nil, err
	}
	return a, r, nil
}

// fixTrailOwner is the account id in a trail ARN.
func fixTrailOwner(trailARN string) string {
	a, ok := awsarn.Parse(trailARN)
	if !ok {
		return ""
	}
	return a.Account
}

// fixHintEmail stands in for --notify-email when AnnotateFixes asks planners whether a fix
// exists: a scan does not know where alerts will go, and the hint tells the reader to choose.
const fixHintEmail = "alerts@example.invalid"

// AnnotateFixes makes each FAIL finding's fix hint say what `lookout fix` would really do:
// its check's planner is asked, on the same snapshot, and a finding it cannot plan for is
// marked unavailable with the planner's reason. The hints then never promise a fix the
// planner would not make, nor hide one it would.
func AnnotateFixes(s *snapshot.Snapshot, fs []Finding, opts Options) {
	o := FixOptions{Options: opts, NotifyEmail: fixHintEmail, HomeRegion: fixHomeRegion(s.Regions)}
	byID := map[string]*Check{}
	for _, c := range All() {
		byID[c.ID] = c
	}
	for i := range fs {
		f := &fs[i]
		if f.Status != Fail {
			continue
		}
		if f.Fix == nil {
			f.Fix = &FixHint{}
		}
		var planner PlanFunc
		if c := byID[f.CheckID]; c != nil {
			planner = c.Plan
		}
		if planner == nil {
			f.Fix.Available = false
			continue
		}
		actions, note, err := planner(s, *f, o)
		switch {
		case err != nil:
			f.Fix.Available, f.Fix.Summary = false, "lookout cannot plan a fix: "+err.Error()
		case len(actions) == 0:
			f.Fix.Available = false
			if note != "" {
				f.Fix.Summary = "lookout fix plans nothing here: " + note
			}
		default:
			f.Fix.Available = true
		}
	}
}

// fixMetricFilter is lookout's metric filter on a log group: 1 per matching event, published
// to a metric in one of lookout's own namespaces (so it never adds to a metric of the user's).
func fixMetricFilter(group, filter, pattern, metric, namespace string) plan.PutMetricFilter {
	return plan.PutMetricFilter{LogGroupName: group, FilterName: filter, FilterPattern: pattern,
		MetricTransformations: []plan.MetricTransformation{{MetricName: metric, MetricNamespace: namespace, MetricValue: "1"}}}
}

// fixAlarmOnFirst is lookout's alarm on such a metric: it goes off on the first event (Sum >= 1
// over period seconds, 1 of 1 datapoints; no data is no event) and notifies topic.
func fixAlarmOnFirst(name, description, metric, namespace string, period int32, topic string) plan.PutMetricAlarm {
	return plan.PutMetricAlarm{
		AlarmName: name, AlarmDescription: description, MetricName: metric, Namespace: namespace, Statistic: "Sum",
		Period: period, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 1,
		ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching",
		ActionsEnabled: true, AlarmActions: []string{topic}, Tags: fixTags(),
	}
}
