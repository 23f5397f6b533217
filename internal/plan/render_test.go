package plan_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rivo/uniseg"

	"github.com/lookout-audit/lookout/internal/plan"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// samplePlans are plans shaped like the planners' (long ARNs, CloudWatch Logs filter patterns,
// nested parameters), a plan without actions and a plan with an unprintable name.
func samplePlans() []plan.Plan {
	const acct = "333333333333"
	lg := "arn:aws:logs:us-east-1:" + acct + ":log-group:aws-cloudtrail-logs-" + acct + "-organization-trail-with-a-long-name"
	return []plan.Plan{
		{CheckID: "cloudtrail-logging", Account: acct, Region: "us-east-1", Resource: "arn:aws:cloudtrail:us-west-2:" + acct + ":trail/sandbox-main",
			Finding: "trail sandbox-main covers us-east-1 (multi-region, home us-west-2) but is not logging (StopLogging at 2026-11-20T03:12:00Z)",
			Actions: []plan.Action{{Region: "us-west-2", Effect: plan.Start,
				Target: "arn:aws:cloudtrail:us-west-2:" + acct + ":trail/sandbox-main",
				Params: plan.StartLogging{Name: "arn:aws:cloudtrail:us-west-2:" + acct + ":trail/sandbox-main"}, Why: "the trail exists but is stopped"}}},
		{CheckID: "cloudwatch-root-usage-alarm", Account: acct, Region: "us-east-1", Resource: lg,
			Finding: "no metric filter on the log group matches root usage",
			Actions: []plan.Action{
				{Region: "us-east-1", Effect: plan.Change, Target: lg,
					Params: plan.PutMetricFilter{LogGroupName: "aws-cloudtrail-logs-" + acct + "-organization-trail-with-a-long-name", FilterName: "lookout-root-usage",
						FilterPattern:         `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`,
						MetricTransformations: []plan.MetricTransformation{{MetricName: "RootUsage", MetricNamespace: "lookout/CloudTrail", MetricValue: "1"}}},
					Why: "count root usage events"},
				{Region: "us-east-1", Effect: plan.Create,
					Target: "arn:aws:cloudwatch:us-east-1:" + acct + ":alarm:lookout-root-usage",
					Params: plan.PutMetricAlarm{AlarmName: "lookout-root-usage", Threshold: 1, EvaluationPeriods: 1, ActionsEnabled: true,
						AlarmActions: []string{"arn:aws:sns:us-east-1:" + acct + ":lookout-alerts"}, Tags: []plan.Tag{{Key: "managed-by", Value: "lookout"}}},
					Why: "alarm on the first root event"},
			}},
		{CheckID: "cloudtrail-logging", Account: acct, Region: "eu-west-1", Resource: "arn:aws:cloudtrail:eu-west-1:" + acct + ":trail/wr\x1b[2Jite-only",
			Note: "lookout does not rewrite a trail's event selectors: record read and write management events on trail write-only by hand"},
	}
}

var actionLine = regexp.MustCompile(`^\s*[0-9]+  `)

// The plan fits 80, 120 and 200 columns: one line per action, the IAM action whole, no line
// wider than the terminal (display columns), nothing from a name that drives the terminal.
func TestPlanTableFitsWidth(t *testing.T) {
	plans := samplePlans()
	for _, applied := range []bool{false, true} {
		ps := samplePlans()
		if applied {
			ps[0].Actions[0].Outcome = plan.Done
			ps[1].Actions[0].Outcome = plan.Failed
			ps[1].Actions[0].Detail = "AccessDeniedException: User: arn:aws:sts::333333333333:assumed-role/LookoutFix/x is not authorized to perform: logs:PutMetricFilter"
			ps[1].Actions[1].Outcome = plan.Skipped
		}
		doc := plan.NewDocument(ps, applied, plan.Tool{Name: "lookout", Version: "test"}, t0)
		for _, width := range []int{80, 120, 200} {
			var buf bytes.Buffer
			if err := plan.WriteTableWidth(&buf, doc, width); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			var actions []string
			for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if w := uniseg.StringWidth(line); w > width {
					t.Errorf("applied=%v width %d: line %d is %d columns: %q", applied, width, i+1, w, line)
				}
				if actionLine.MatchString(line) {
					actions = append(actions, line)
				}
			}
			if len(actions) != plan.Count(plans) {
				t.Fatalf("applied=%v width %d: %d action lines, want %d:\n%s", applied, width, len(actions), plan.Count(plans), out)
			}
			i := 0
			for _, p := range ps {
				for _, a := range p.Actions {
					if !strings.Contains(actions[i], a.IAMAction()) {
						t.Errorf("width %d: action line %q lacks %s", width, actions[i], a.IAMAction())
					}
					if applied && !strings.Contains(actions[i], string(a.Outcome)) {
						t.Errorf("width %d: action line %q lacks its outcome %s", width, actions[i], a.Outcome)
					}
					i++
				}
			}
			if strings.ContainsRune(out, '\x1b') {
				t.Errorf("width %d: an escape sequence from a resource name reached the output", width)
			}
			for _, want := range []string{"cloudtrail-logging · 333333333333 · us-east-1", "note: lookout does not rewrite"} {
				if !strings.Contains(out, want) {
					t.Errorf("width %d: plan lacks %q:\n%s", width, want, out)
				}
			}
			if !applied && !strings.Contains(out, "--format json") {
				t.Errorf("width %d: the dry run does not point at the full parameters", width)
			}
		}
	}
}

// At 200 columns the key parameters are shown, abbreviated (lists by size).
func TestPlanTableAbbreviatesParameters(t *testing.T) {
	doc := plan.NewDocument(samplePlans(), false, plan.Tool{Name: "lookout", Version: "test"}, t0)
	var buf bytes.Buffer
	if err := plan.WriteTableWidth(&buf, doc, 200); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"filterName=lookout-root-usage", "AlarmName=lookout-root-usage", "EvaluationPeriods=1", "trail/sandbox-main"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, buf.String())
		}
	}
	if strings.Contains(buf.String(), "AwsServiceEvent") {
		t.Errorf("a long parameter is shown whole:\n%s", buf.String())
	}
}

func TestPlanTableNothingToFix(t *testing.T) {
	var buf bytes.Buffer
	if err := plan.WriteTable(&buf, plan.NewDocument(nil, false, plan.Tool{}, t0)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "nothing to fix") {
		t.Errorf("got %q", buf.String())
	}
}
