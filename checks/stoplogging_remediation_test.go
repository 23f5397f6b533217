package checks

import (
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

func TestStopLoggingRemediation(t *testing.T) {
	target := func(arn string) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) {
			rule(s, "us-east-1", "enable_trail").Targets = []snapshot.Target{{ID: "1", ARN: arn}}
		}
	}
	pattern := func(p string) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) { rule(s, "us-east-1", "enable_trail").EventPattern = p }
	}
	runControlCases(t, &StopLoggingRemediation, []controlCase{
		{name: "pass StopLogging rule with Lambda StartLogging", status: Pass,
			want: []string{"rule enable_trail", "by name and by ARN", "Lambda function enable_trail exists"}},
		{name: "pass reordered pattern with prefix matching", status: Pass,
			mutate: pattern(`{"detail":{"eventName":[{"prefix":"StopLog"}]},"source":["aws.cloudtrail"]}`)},
		{name: "pass SSM Automation target", status: Pass, want: []string{"SSM Automation runbook AWS-StartTrail"},
			mutate: func(s *snapshot.Snapshot) {
				const role = "arn:aws:iam::111111111111:role/StartTrailAutomation"
				rule(s, "us-east-1", "enable_trail").Targets = []snapshot.Target{{ID: "1", ARN: "arn:aws:ssm:us-east-1:111111111111:automation-definition/AWS-StartTrail:$DEFAULT", RoleARN: role}}
				s.Accounts[0].Roles = []snapshot.Role{{ARN: role, Name: "StartTrailAutomation",
					TrustPolicy:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
					PoliciesRead: true, Policies: allowPolicy("ssm:StartAutomationExecution")}}
			}},
		{name: "pass ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "enable_trail").State = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
			}},
		{name: "fail rule only notifies through SNS", status: Fail, mutate: target(ctlTopic),
			want: []string{"trail main is not protected", "only notifies", "nothing restarts logging"}},
		{name: "fail rule disabled", status: Fail, want: []string{"it is DISABLED"},
			mutate: func(s *snapshot.Snapshot) { rule(s, "us-east-1", "enable_trail").State = "DISABLED" }},
		{name: "fail rule in another region", status: Fail, want: []string{"rule enable_trail in us-west-2 does", "only emitted in us-east-1"},
			mutate: func(s *snapshot.Snapshot) {
				r := *rule(s, "us-east-1", "enable_trail")
				east(s).EventBridge.Rules = east(s).EventBridge.Rules[1:]
				west(s).EventBridge.Rules = append(west(s).EventBridge.Rules, r)
			}},
		{name: "fail pattern narrowed to the trail name misses the ARN form", status: Fail,
			want:   []string{"misses [StopLogging with the trail ARN]", "StopLogging --name " + ctlTrail},
			mutate: pattern(`{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"],"requestParameters":{"name":["main"]}}}`)},
		{name: "fail target function no longer exists", status: Fail, want: []string{"enable_trail no longer exists in us-east-1"},
			mutate: func(s *snapshot.Snapshot) { east(s).Lambda.Functions = east(s).Lambda.Functions[1:] }},
		{name: "fail pattern without source matches custom events", status: Fail, want: []string{"also matches [custom event"},
			mutate: pattern(`{"detail":{"eventName":["StopLogging"]}}`)},
		{name: "fail pattern also matches StartLogging", status: Fail, want: []string{"also matches [StartLogging"},
			mutate: pattern(`{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging","StartLogging"]}}`)},
		{name: "fail rule without targets", status: Fail, want: []string{"it has no target"},
			mutate: func(s *snapshot.Snapshot) { rule(s, "us-east-1", "enable_trail").Targets = []snapshot.Target{} }},
		{name: "fail no rule at all", status: Fail, want: []string{"no EventBridge rule in its home region us-east-1"},
			mutate: func(s *snapshot.Snapshot) { east(s).EventBridge.Rules = nil }},
		{name: "fail rule on a custom bus does not count", status: Fail,
			mutate: func(s *snapshot.Snapshot) { rule(s, "us-east-1", "enable_trail").EventBusName = "security" }},
		{name: "error EventBridge not collected", status: Error, want: []string{"EventBridge was not collected"},
			mutate: func(s *snapshot.Snapshot) { east(s).EventBridge = nil }},
		{name: "error rules unreadable", status: Error, want: []string{"events:ListRules"},
			mutate: func(s *snapshot.Snapshot) {
				east(s).EventBridge = &snapshot.EventBridgeData{Error: &snapshot.ReadError{Operation: "events:ListRules", Code: "AccessDeniedException", Message: "denied"}}
			}},
		{name: "error target function cannot be verified", status: Error, want: []string{"Lambda functions were not collected"},
			mutate: func(s *snapshot.Snapshot) { east(s).Lambda = nil }},
		{name: "error trail status unreadable", status: Error, want: []string{"cloudtrail:GetTrailStatus"},
			mutate: func(s *snapshot.Snapshot) {
				tr := &s.Accounts[0].Trails[0]
				tr.Status, tr.StatusError = nil, &snapshot.ReadError{Operation: "cloudtrail:GetTrailStatus", Message: "denied"}
			}},
		{name: "no finding for a trail that is not logging", none: true,
			mutate: func(s *snapshot.Snapshot) { s.Accounts[0].Trails[0].Status.IsLogging = false }},
		{name: "no finding for another account's organization trail", none: true,
			mutate: func(s *snapshot.Snapshot) {
				tr := &s.Accounts[0].Trails[0]
				tr.ARN, tr.IsOrganizationTrail = "arn:aws:cloudtrail:us-east-1:999999999999:trail/org", true
			}},
	})
}

// TestStopLoggingUnlistedRegionIsError: a region whose trails could not be listed may be the
// home of a trail lookout cannot see, so it is ERROR for that region, whatever --checks says.
func TestStopLoggingUnlistedRegionIsError(t *testing.T) {
	s := controlsFixture()
	west(s).CloudTrail = &snapshot.CloudTrailView{Error: &snapshot.ReadError{Operation: "cloudtrail:DescribeTrails", Code: "AccessDenied", Message: "denied"}}
	var got *Finding
	for _, f := range Run(s, []*Check{&StopLoggingRemediation}, Options{}) {
		if f.Region == "us-west-2" {
			f := f
			got = &f
		}
	}
	if got == nil || got.Status != Error || !strings.Contains(got.Message, "cloudtrail:DescribeTrails") {
		t.Fatalf("us-west-2 with DescribeTrails denied: %+v, want ERROR naming the call", got)
	}
}
