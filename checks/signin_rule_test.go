package checks

import (
	"testing"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// mutateRule is a case's mutation that changes the named rule of a region of the fixture.
func mutateRule(region, name string, f func(r *snapshot.Rule)) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) { f(rule(s, region, name)) }
}

func TestConsoleSigninRule(t *testing.T) {
	eastRule := func(f func(r *snapshot.Rule)) func(*snapshot.Snapshot) {
		return mutateRule("us-east-1", "console-signin", f)
	}
	runControlCases(t, ConsoleSigninRule(), []controlCase{
		{name: "pass us-east-1 sign-in rule with Lambda target", region: "us-east-1", status: Pass,
			want: []string{"rule console-signin (ENABLED)", "Lambda function signin-to-slack exists"}},
		{name: "pass us-west-2 rule narrowed to root, older detail-type spelling", region: "us-west-2", status: Pass,
			want: []string{"rule root-signin"}},
		{name: "pass SNS target with a confirmed subscriber", region: "us-east-1", status: Pass, want: []string{"1 confirmed subscription"},
			mutate: eastRule(func(r *snapshot.Rule) { r.Targets = []snapshot.Target{{ID: "sns", ARN: ctlTopic}} })},
		{name: "fail rule narrowed to IAM users misses root", region: "us-east-1", status: Fail, want: []string{"no EventBridge rule on the default bus in us-east-1 matches a root console sign-in"},
			mutate: eastRule(func(r *snapshot.Rule) {
				r.EventPattern = `{"source":["aws.signin"],"detail":{"userIdentity":{"type":["IAMUser"]}}}`
			})},
		{name: "fail pattern without source matches custom look-alike", region: "us-east-1", status: Fail, want: []string{"also matches [custom event"},
			mutate: eastRule(func(r *snapshot.Rule) { r.EventPattern = `{"detail-type":["AWS Console Sign In via CloudTrail"]}` })},
		{name: "fail rule disabled", region: "us-east-1", status: Fail, want: []string{"it is DISABLED"},
			mutate: eastRule(func(r *snapshot.Rule) { r.State = "DISABLED" })},
		{name: "fail target function deleted", region: "us-east-1", status: Fail, want: []string{"signin-to-slack no longer exists"},
			mutate: func(s *snapshot.Snapshot) { east(s).Lambda.Functions = east(s).Lambda.Functions[:1] }},
		{name: "fail SNS target with only a pending subscription", region: "us-east-1", status: Fail, want: []string{"PendingConfirmation"},
			mutate: eastRule(func(r *snapshot.Rule) { r.Targets = []snapshot.Target{{ID: "sns", ARN: ctlPending}} })},
		// An SQS target delivers if its queue lets EventBridge in; a queue that was not read
		// cannot be judged.
		{name: "SQS target whose queue was not collected", region: "us-east-1", status: Error, want: []string{"SQS queue q cannot be verified"},
			mutate: eastRule(func(r *snapshot.Rule) {
				r.Targets = []snapshot.Target{{ID: "q", ARN: "arn:aws:sqs:us-east-1:111111111111:q"}}
			})},
		{name: "fail us-west-2 without a rule", region: "us-west-2", status: Fail, want: []string{"no EventBridge rule on the default bus in us-west-2"},
			mutate: func(s *snapshot.Snapshot) { west(s).EventBridge.Rules = nil }},
		{name: "error target function unverifiable", region: "us-west-2", status: Error, want: []string{"cannot be verified"},
			mutate: func(s *snapshot.Snapshot) { west(s).Lambda = nil }},
	})
}

// A regional scan that leaves the sign-in regions out makes no claim about them: no finding,
// rather than an ERROR on every regional scan.
func TestSigninRegionOutsideTheScanIsNotEvaluated(t *testing.T) {
	s, err := snapshot.Load("../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	fs := Run(s, []*Check{ConsoleSigninRule()}, Options{SigninRegions: []string{"eu-west-1"}})
	if len(fs) != 0 {
		t.Errorf("got %d findings for a sign-in region no account scanned: %+v", len(fs), fs[0])
	}
}
