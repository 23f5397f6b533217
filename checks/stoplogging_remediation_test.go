package checks

import (
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/route"
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
	runControlCases(t, StopLoggingRemediation(), []controlCase{
		{name: "pass StopLogging rule with Lambda StartLogging", status: Pass,
			want: []string{"rule enable_trail", "by name and by ARN", "Lambda function enable_trail lets EventBridge invoke it, is Active",
				"its execution role enable_trail-role may call cloudtrail:StartLogging on " + ctlTrail, "service control policies"}},
		{name: "pass reordered pattern with prefix matching", status: Pass,
			mutate: pattern(`{"detail":{"eventName":[{"prefix":"StopLog"}]},"source":["aws.cloudtrail"]}`)},
		{name: "pass SSM Automation target whose runbook calls StartLogging with the starting role", status: Pass,
			want:   []string{"SSM Automation runbook StartTrail", "step Start calls cloudtrail:StartLogging with the role that starts it"},
			mutate: runbookTarget("", startTrailRunbook(""), allowPolicy("ssm:StartAutomationExecution"), allowPolicy("cloudtrail:StartLogging"))},
		{name: "pass SSM Automation target with the AutomationAssumeRole it passes", status: Pass,
			want: []string{"with the AutomationAssumeRole it is passed"},
			mutate: runbookTarget(assumeRole, startTrailRunbook("{{ AutomationAssumeRole }}"),
				append(allowPolicy("ssm:StartAutomationExecution"), allowPolicy("iam:PassRole")...), nil)},
		{name: "fail SSM Automation runbook acts with an AutomationAssumeRole that may not StartLogging", status: Fail,
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRunbookRole}, want: []string{"no policy of role StartTrailAssumed allows cloudtrail:StartLogging"},
			mutate: func(s *snapshot.Snapshot) {
				runbookTarget(assumeRole, startTrailRunbook("{{ AutomationAssumeRole }}"),
					append(allowPolicy("ssm:StartAutomationExecution"), allowPolicy("iam:PassRole")...), nil)(s)
				s.Accounts[0].Roles[1].Policies = allowPolicy("cloudtrail:DescribeTrails")
			}},
		{name: "fail SSM Automation starting role may not pass the AutomationAssumeRole", status: Fail,
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRunbookRole}, want: []string{"iam:PassRole"},
			mutate: runbookTarget(assumeRole, startTrailRunbook("{{ AutomationAssumeRole }}"), allowPolicy("ssm:StartAutomationExecution"), nil)},
		{name: "fail SSM Automation runbook that never calls StartLogging", status: Fail,
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRunbook}, want: []string{"has no step that calls cloudtrail:StartLogging"},
			mutate: runbookTarget("", strings.ReplaceAll(startTrailRunbook(""), "StartLogging", "DescribeTrails"), allowPolicy("ssm:StartAutomationExecution"), allowPolicy("cloudtrail:StartLogging"))},
		{name: "fail SSM Automation starting role without StartLogging", status: Fail,
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRunbookRole}, want: []string{"no policy of role StartTrailAutomation allows cloudtrail:StartLogging"},
			mutate: runbookTarget("", startTrailRunbook(""), allowPolicy("ssm:StartAutomationExecution"), nil)},
		{name: "error SSM Automation runbook running a script", status: Error, want: []string{"steps lookout cannot read", "aws:executeScript"},
			mutate: runbookTarget("", `{"schemaVersion":"0.3","mainSteps":[{"name":"Fix","action":"aws:executeScript","inputs":{"Runtime":"python3.11","Handler":"h","Script":"x"}}]}`,
				allowPolicy("ssm:StartAutomationExecution"), allowPolicy("cloudtrail:StartLogging"))},
		{name: "error SSM Automation runbook not collected", status: Error, want: []string{"were not collected (ssm:GetDocument)"},
			mutate: func(s *snapshot.Snapshot) {
				runbookTarget("", startTrailRunbook(""), allowPolicy("ssm:StartAutomationExecution"), allowPolicy("cloudtrail:StartLogging"))(s)
				east(s).Runbooks = nil
			}},
		// Invocable is not remediating: the function acts with its execution role.
		{name: "fail execution role with only the basic logging permissions", status: Fail,
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopExecutionRole},
			want:   []string{"acts with its execution role enable_trail-role", "no policy of role enable_trail-role allows cloudtrail:StartLogging on " + ctlTrail},
			mutate: func(s *snapshot.Snapshot) { s.Accounts[0].Roles[0].Policies = s.Accounts[0].Roles[0].Policies[:1] }},
		{name: "fail execution role scoped to another trail", status: Fail,
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopExecutionRole}, want: []string{"allows cloudtrail:StartLogging on " + ctlTrail},
			mutate: func(s *snapshot.Snapshot) {
				s.Accounts[0].Roles[0].Policies[1].Document = policyDoc(`{"Effect":"Allow","Action":"cloudtrail:StartLogging","Resource":"arn:aws:cloudtrail:us-east-1:111111111111:trail/other"}`)
			}},
		{name: "fail execution role with an explicit deny on trail tampering", status: Fail,
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopExecutionRole}, want: []string{"denies cloudtrail:StartLogging"},
			mutate: func(s *snapshot.Snapshot) {
				s.Accounts[0].Roles[0].Policies = append(s.Accounts[0].Roles[0].Policies, snapshot.RolePolicy{Name: "deny-trail-tampering",
					Document: policyDoc(`{"Effect":"Deny","Action":["cloudtrail:StopLogging","cloudtrail:StartLogging","cloudtrail:DeleteTrail"],"Resource":"*"}`)})
			}},
		{name: "pass execution role allowed by a wildcard action", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				s.Accounts[0].Roles[0].Policies[1].Document = policyDoc(`{"Effect":"Allow","Action":"cloudtrail:Start*","Resource":"arn:aws:cloudtrail:*:111111111111:trail/*"}`)
			}},
		{name: "fail function throttled by reserved concurrency 0", status: Fail,
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopConcurrency}, want: []string{"reserved concurrency 0"},
			mutate: func(s *snapshot.Snapshot) {
				zero := int32(0)
				fnOf(s, "us-east-1", "enable_trail").ReservedConcurrency = &zero
			}},
		{name: "pass function with reserved concurrency 5", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				five := int32(5)
				fnOf(s, "us-east-1", "enable_trail").ReservedConcurrency = &five
			}},
		{name: "fail function not Active", status: Fail,
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopFunctionState}, want: []string{"in state Failed, not Active"},
			mutate: func(s *snapshot.Snapshot) { fnOf(s, "us-east-1", "enable_trail").State = "Failed" }},
		{name: "fail execution role gone", status: Fail,
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopExecutionRole}, want: []string{"execution role " + enableTrailRole + " of Lambda function enable_trail does not exist"},
			mutate: func(s *snapshot.Snapshot) {
				s.Accounts[0].Roles[0] = snapshot.Role{ARN: enableTrailRole, Name: "enable_trail-role", NotFound: true}
			}},
		{name: "error execution role with a permissions boundary", status: Error, want: []string{"permissions boundary"},
			mutate: func(s *snapshot.Snapshot) {
				s.Accounts[0].Roles[0].PermissionsBoundary = "arn:aws:iam::111111111111:policy/boundary"
			}},
		{name: "error execution role not collected", status: Error, want: []string{"was not collected"},
			mutate: func(s *snapshot.Snapshot) { s.Accounts[0].Roles = nil }},
		{name: "error function configuration not collected", status: Error, want: []string{"state, reserved concurrency) was not collected"},
			mutate: func(s *snapshot.Snapshot) { fnOf(s, "us-east-1", "enable_trail").ConfigRead = false }},
		{name: "error function configuration unreadable", status: Error, want: []string{"lambda:GetFunction"},
			mutate: func(s *snapshot.Snapshot) {
				fnOf(s, "us-east-1", "enable_trail").ConfigError = &snapshot.ReadError{Operation: "lambda:GetFunction", Code: "AccessDeniedException", Message: "denied"}
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
		{name: "pass name form and ARN form remediated by two rules together", status: Pass, want: []string{"enable_trail + enable_trail_arn"},
			mutate: func(s *snapshot.Snapshot) {
				r := rule(s, "us-east-1", "enable_trail")
				r.EventPattern = `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"],"requestParameters":{"name":["main"]}}}`
				arnRule := *r
				arnRule.Name, arnRule.ARN = "enable_trail_arn", "arn:aws:events:us-east-1:111111111111:rule/enable_trail_arn"
				arnRule.EventPattern = `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"],"requestParameters":{"name":["` + ctlTrail + `"]}}}`
				east(s).EventBridge.Rules = append(east(s).EventBridge.Rules, arnRule)
				fnOf(s, "us-east-1", "enable_trail").Policy = eventsInvokePolicy(fnEnable, "arn:aws:events:us-east-1:111111111111:rule/enable_trail*")
			}},
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
	for _, f := range Run(s, []*Check{StopLoggingRemediation()}, Options{}) {
		if f.Region == "us-west-2" {
			f := f
			got = &f
		}
	}
	if got == nil || got.Status != Error || !strings.Contains(got.Reasoning(), "cloudtrail:DescribeTrails") {
		t.Fatalf("us-west-2 with DescribeTrails denied: %+v, want ERROR naming the call", got)
	}
}

const (
	startingRole = "arn:aws:iam::111111111111:role/StartTrailAutomation"
	assumeRole   = "arn:aws:iam::111111111111:role/StartTrailAssumed"
)

// startTrailRunbook is a custom Automation document that restarts the trail named in the
// event, running with assumeRole ("" for none: the starter's permissions).
func startTrailRunbook(assumeRole string) string {
	return `{"schemaVersion":"0.3","assumeRole":"` + assumeRole + `","parameters":{"AutomationAssumeRole":{"type":"String","default":""},"TrailName":{"type":"String"}},` +
		`"mainSteps":[{"name":"Start","action":"aws:executeAwsApi","inputs":{"Service":"cloudtrail","Api":"StartLogging","Name":"{{ TrailName }}"}}]}`
}

// runbookTarget makes the StopLogging rule start runbook StartTrail through startingRole
// (with starterPolicies), passing passRole as AutomationAssumeRole when set (that role gets
// assumedPolicies, or StartLogging when nil).
func runbookTarget(passRole, content string, starterPolicies, assumedPolicies []snapshot.RolePolicy) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		rule(s, "us-east-1", "enable_trail").Targets = []snapshot.Target{{ID: "1",
			ARN: "arn:aws:ssm:us-east-1:111111111111:automation-definition/StartTrail:$DEFAULT", RoleARN: startingRole, AutomationAssumeRole: passRole}}
		east(s).Runbooks = &snapshot.RunbookData{Documents: []snapshot.Runbook{{Name: "StartTrail", Version: "$DEFAULT", Format: "JSON", Content: content}}}
		if passRole == "" {
			starterPolicies = append(starterPolicies, assumedPolicies...)
		}
		s.Accounts[0].Roles = []snapshot.Role{{ARN: startingRole, Name: "StartTrailAutomation",
			TrustPolicy:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			PoliciesRead: true, Policies: starterPolicies}}
		if passRole != "" {
			if assumedPolicies == nil {
				assumedPolicies = allowPolicy("cloudtrail:StartLogging")
			}
			s.Accounts[0].Roles = append(s.Accounts[0].Roles, snapshot.Role{ARN: passRole, Name: "StartTrailAssumed",
				TrustPolicy:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
				PoliciesRead: true, Policies: assumedPolicies})
		}
	}
}
