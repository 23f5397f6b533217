package checks

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

func cisControl(key string) detection.CISControl {
	for _, c := range detection.CISControls() {
		if c.Key == key {
			return c
		}
	}
	panic("no CIS control " + key)
}

// withFilterAlarm adds a metric filter with pattern on the trail's log group and an alarm on
// its metric that notifies the fixture's topic.
func withFilterAlarm(name, pattern string) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		r := east(s)
		r.Logs.MetricFilters = append(r.Logs.MetricFilters, filterFixture(name, pattern, name+"Count"))
		r.CloudWatch.Alarms = append(r.CloudWatch.Alarms, cisAlarmFixture(name, name+"Count"))
	}
}

// withRule adds a default-bus rule notifying through the region's Slack function.
func withRule(region, name, pattern, state string) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		r := s.Accounts[0].Region(region)
		fn := fnSlack
		if region == "us-west-2" {
			fn = fnSlackW
		}
		ruleARN := "arn:aws:events:" + region + ":111111111111:rule/" + name
		r.EventBridge.Rules = append(r.EventBridge.Rules, snapshot.Rule{Name: name, ARN: ruleARN, State: state, EventPattern: pattern,
			Targets: []snapshot.Target{{ID: "1", ARN: fn}}})
		for i := range r.Lambda.Functions {
			if r.Lambda.Functions[i].ARN == fn {
				r.Lambda.Functions[i].Policy = eventsInvokePolicy(fn, "arn:aws:events:"+region+":111111111111:rule/*")
			}
		}
	}
}

func both(ms ...func(*snapshot.Snapshot)) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		for _, m := range ms {
			m(s)
		}
	}
}

const (
	iamRulePattern = `{"source":["aws.iam"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["iam.amazonaws.com"],"eventName":["DeleteGroupPolicy","DeleteRolePolicy","DeleteUserPolicy","PutGroupPolicy","PutRolePolicy","PutUserPolicy","CreatePolicy","DeletePolicy","CreatePolicyVersion","DeletePolicyVersion","AttachRolePolicy","DetachRolePolicy","AttachUserPolicy","DetachUserPolicy","AttachGroupPolicy","DetachGroupPolicy"]}}`
	sgRulePattern  = `{"source":["aws.ec2"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":["AuthorizeSecurityGroupIngress","AuthorizeSecurityGroupEgress","RevokeSecurityGroupIngress","RevokeSecurityGroupEgress","CreateSecurityGroup","DeleteSecurityGroup"]}}`
	unauthorizedEB = `{"source":[{"prefix":"aws."}],"detail-type":["AWS API Call via CloudTrail"],"detail":{"errorCode":[{"suffix":"UnauthorizedOperation"},{"prefix":"AccessDenied"}]}}`
	authFailEB     = `{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"],"detail":{"eventName":["ConsoleLogin"],"errorMessage":["Failed authentication"]}}`
)

func TestCISMonitoring(t *testing.T) {
	iam, sg := byID("cloudwatch-iam-policy-changes-alarm"), byID("cloudwatch-security-group-changes-alarm")
	unauth, authFail := byID("cloudwatch-unauthorized-api-calls-alarm"), byID("cloudwatch-console-auth-failures-alarm")
	iamRef := cisControl("iam-policy-changes").RefPattern

	runControlCases(t, iam, []controlCase{
		{name: "neither route", status: Fail, want: []string{"IAM policy changes are not monitored", "by metric filter, broken link: metric filter", "by EventBridge, no rule delivers them in us-east-1"}},
		{name: "PASS by metric filter with the Security Hub pattern", status: Pass, mutate: withFilterAlarm("IAMPolicyChanges", iamRef), want: []string{"by metric filter:"}},
		{name: "PASS by metric filter, reordered and re-spaced", status: Pass,
			mutate: withFilterAlarm("IAMPolicyChanges", `{ ($.eventName = "DetachGroupPolicy") || ($.eventName = "AttachGroupPolicy") || ($.eventName = "DetachUserPolicy") || ($.eventName = "AttachUserPolicy") || ($.eventName = "DetachRolePolicy") || ($.eventName = "AttachRolePolicy") || ($.eventName = "DeletePolicyVersion") || ($.eventName = "CreatePolicyVersion") || ($.eventName = "DeletePolicy") || ($.eventName = "CreatePolicy") || ($.eventName = "PutUserPolicy") || ($.eventName = "PutRolePolicy") || ($.eventName = "PutGroupPolicy") || ($.eventName = "DeleteUserPolicy") || ($.eventName = "DeleteRolePolicy") || ($.eventName = "DeleteGroupPolicy") }`)},
		{name: "filter missing one event", status: Fail, mutate: withFilterAlarm("IAMPolicyChanges", strings.Replace(iamRef, "($.eventName=DeleteGroupPolicy) || ", "", 1)),
			want:     []string{"misses", "DeleteGroupPolicy"},
			sentence: "IAM policy changes: not monitored (filter chain broken at metric filter, closest IAMPolicyChanges misses some events; no EventBridge rule)"},
		{name: "PASS by EventBridge in us-east-1, where IAM events arrive", status: Pass, mutate: withRule("us-east-1", "iam-changes", iamRulePattern, "ENABLED"),
			want:     []string{"by EventBridge", "us-east-1: rule iam-changes"},
			sentence: "IAM policy changes: monitored by EventBridge rule iam-changes in us-east-1"},
		{name: "a rule in us-west-2 never sees IAM events", status: Fail, mutate: withRule("us-west-2", "iam-changes", iamRulePattern, "ENABLED"),
			want: []string{"no rule delivers them in us-east-1"}},
		{name: "rule without source also matches a custom look-alike", status: Fail,
			mutate: withRule("us-east-1", "iam-changes", strings.Replace(iamRulePattern, `"source":["aws.iam"],`, "", 1), "ENABLED"),
			want:   []string{"also matches", "custom"}},
	})

	runControlCases(t, sg, []controlCase{
		{name: "regional events: every region needs a rule", status: Fail, mutate: withRule("us-east-1", "sg-changes", sgRulePattern, "ENABLED"),
			want: []string{"no rule delivers them in us-west-2", "covered: us-east-1: rule sg-changes"}},
		{name: "PASS with a rule in every region", status: Pass,
			mutate:   both(withRule("us-east-1", "sg-changes", sgRulePattern, "ENABLED"), withRule("us-west-2", "sg-changes", sgRulePattern, "ENABLED")),
			sentence: "Security group changes: monitored by EventBridge rule sg-changes in each of the 2 regions the events reach"},
		{name: "PASS when us-west-2 forwards to the us-east-1 bus", status: Pass,
			mutate: both(withRule("us-east-1", "sg-changes", sgRulePattern, "ENABLED"), withRule("us-west-2", "sg-changes", sgRulePattern, "ENABLED"), func(s *snapshot.Snapshot) {
				const role = "arn:aws:iam::111111111111:role/forward"
				rule(s, "us-west-2", "sg-changes").Targets = []snapshot.Target{{ID: "fwd", ARN: "arn:aws:events:us-east-1:111111111111:event-bus/default", RoleARN: role}}
				s.Accounts[0].Roles = []snapshot.Role{{ARN: role, Name: "forward", TrustPolicy: policyDoc(`{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}`),
					PoliciesRead: true, Policies: allowPolicy("events:PutEvents")}}
			}),
			want: []string{"forwarded to event bus default"}},
		// EventBridge receives CloudTrail API events only from a logging trail.
		{name: "rules in every region but no trail at all", status: Fail,
			mutate: both(withRule("us-east-1", "sg-changes", sgRulePattern, "ENABLED"), withRule("us-west-2", "sg-changes", sgRulePattern, "ENABLED"), func(s *snapshot.Snapshot) {
				s.Accounts[0].Trails = nil
				east(s).CloudTrail.TrailARNs, west(s).CloudTrail.TrailARNs = []string{}, []string{}
			}),
			want: []string{"no logging trail covers us-east-1"}},
		{name: "rules in every region but the only trail stopped", status: Fail,
			mutate: both(withRule("us-east-1", "sg-changes", sgRulePattern, "ENABLED"), withRule("us-west-2", "sg-changes", sgRulePattern, "ENABLED"), func(s *snapshot.Snapshot) {
				s.Accounts[0].Trails[0].Status.IsLogging = false
			}),
			want: []string{"trail main is not logging"}},
		{name: "a trail that excludes KMS events still feeds a security-group filter", status: Pass,
			mutate: both(withFilterAlarm("SGChanges", cisControl("security-group-changes").RefPattern), func(s *snapshot.Snapshot) {
				s.Accounts[0].Trails[0].Selectors = &snapshot.EventSelectors{Classic: []snapshot.ClassicSelector{{ReadWriteType: "All", IncludeManagementEvents: true, ExcludeManagementEventSources: []string{"kms.amazonaws.com"}}}}
			})},
		{name: "EventBridge not collected in a region, filter route failing: ERROR", status: Error,
			mutate: both(withRule("us-east-1", "sg-changes", sgRulePattern, "ENABLED"), func(s *snapshot.Snapshot) { west(s).EventBridge = nil })},
	})

	runControlCases(t, unauth, []controlCase{
		{name: "the CIS v1.4 text matches ordinary successful calls", status: Fail,
			mutate:   withFilterAlarm("Unauthorized", `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`),
			want:     []string{"also matches", "would also fire"},
			sentence: "Unauthorized API calls: not monitored (filter chain broken at metric filter, closest Unauthorized is too broad; no EventBridge rule)"},
		{name: "PASS by the Security Hub pattern", status: Pass, mutate: withFilterAlarm("Unauthorized", cisControl("unauthorized-api-calls").RefPattern)},
		{name: "rules in state ENABLED miss read-only denied calls", status: Fail,
			mutate: both(withRule("us-east-1", "denied", unauthorizedEB, "ENABLED"), withRule("us-west-2", "denied", unauthorizedEB, "ENABLED")),
			want:   []string{"ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"}},
		{name: "PASS with rules that receive read-only events", status: Pass,
			mutate: both(withRule("us-east-1", "denied", unauthorizedEB, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"), withRule("us-west-2", "denied", unauthorizedEB, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"))},
	})

	runControlCases(t, authFail, []controlCase{
		{name: "PASS with rules in both sign-in regions", status: Pass,
			mutate: both(withRule("us-east-1", "auth-fail", authFailEB, "ENABLED"), withRule("us-west-2", "auth-fail", authFailEB, "ENABLED"))},
		{name: "sign-in events also land in us-west-2", status: Fail, mutate: withRule("us-east-1", "auth-fail", authFailEB, "ENABLED"),
			want: []string{"no rule delivers them in us-west-2"}},
		{name: "a sign-in region that was not scanned cannot be judged", status: Error, opts: Options{SigninRegions: []string{"us-east-1", "eu-west-1"}},
			mutate: both(withRule("us-east-1", "auth-fail", authFailEB, "ENABLED"), withRule("us-west-2", "auth-fail", authFailEB, "ENABLED")),
			want:   []string{"eu-west-1 was not scanned"}},
	})
}

// TestCISMonitoringRegistry: thirteen checks, each with CIS ids for every version, the
// Security Hub id where one exists, and a fix.
func TestCISMonitoringRegistry(t *testing.T) {
	if len(CISMonitoring()) != 13 {
		t.Fatalf("%d CIS monitoring checks, want 13", len(CISMonitoring()))
	}
	for _, c := range CISMonitoring() {
		for _, fw := range []string{"cis-aws-1.4", "cis-aws-3.0", "cis-aws-5.0", "cis-aws-7.0"} {
			if c.Frameworks[fw] == "" {
				t.Errorf("%s: no %s id", c.ID, fw)
			}
		}
		if c.Frameworks["aws-securityhub"] == "" && c.ID != "cloudwatch-organizations-changes-alarm" {
			t.Errorf("%s: no Security Hub id", c.ID)
		}
		if !c.HasFix() {
			t.Errorf("%s: no fix", c.ID)
		}
	}
}

// cisRulePattern writes the EventBridge pattern an engineer would write for a control: its
// sources, detail-types and event names, as the positives carry them (unauthorized calls and
// console failures are told by their error, not their name). drop leaves out one event name.
func cisRulePattern(t *testing.T, key, drop string) string {
	t.Helper()
	d := detection.CISEvent(key, "us-east-1", ctlAcct)
	sources, types, names := map[string]bool{}, map[string]bool{}, map[string]bool{}
	events := append([]detection.Event{}, d.Positives...)
	for _, g := range d.AnyOf {
		events = append(events, g...)
	}
	for _, e := range events {
		var env struct {
			Source     string `json:"source"`
			DetailType string `json:"detail-type"`
			Detail     struct {
				EventName string `json:"eventName"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(e.Body, &env); err != nil {
			t.Fatal(err)
		}
		sources[env.Source], types[env.DetailType] = true, true
		if env.Detail.EventName != drop {
			names[env.Detail.EventName] = true
		}
	}
	list := func(m map[string]bool) string {
		var out []string
		for k := range m {
			b, _ := json.Marshal(k)
			out = append(out, string(b))
		}
		sort.Strings(out)
		return "[" + strings.Join(out, ",") + "]"
	}
	detail := `"eventName":` + list(names)
	switch key {
	case "unauthorized-api-calls":
		return `{"source":[{"prefix":"aws."}],"detail-type":["AWS API Call via CloudTrail"],"detail":{"errorCode":[{"suffix":"UnauthorizedOperation"},{"prefix":"AccessDenied"}]}}`
	case "console-auth-failures":
		detail += `,"errorMessage":["Failed authentication"]`
	}
	return `{"source":` + list(sources) + `,"detail-type":` + list(types) + `,"detail":{` + detail + `}}`
}

// TestEveryCISMonitoringCheck runs the same five cases for each of the thirteen checks: PASS
// by the reference metric filter, PASS by rules wherever the events are delivered, a rule that
// misses one event, an over-broad rule, and a region left uncovered.
func TestEveryCISMonitoringCheck(t *testing.T) {
	for _, c := range CISMonitoring() {
		key := strings.TrimSuffix(strings.TrimPrefix(c.ID, "cloudwatch-"), "-alarm")
		ctl := cisControl(key)
		full := cisRulePattern(t, key, "")
		state := "ENABLED"
		if key == "unauthorized-api-calls" {
			state = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
		}
		everywhere := func(pattern string) func(*snapshot.Snapshot) {
			if ctl.Delivery == detection.DeliveryUSEast1 {
				return withRule("us-east-1", "monitor", pattern, state)
			}
			return both(withRule("us-east-1", "monitor", pattern, state), withRule("us-west-2", "monitor", pattern, state))
		}
		cases := []controlCase{
			{name: key + ": PASS by the reference metric filter", status: Pass, mutate: withFilterAlarm("Ref", ctl.RefPattern), want: []string{"by metric filter"}},
			{name: key + ": PASS by rules", status: Pass, mutate: everywhere(full), want: []string{"by EventBridge"}},
			{name: key + ": over-broad rule", status: Fail, mutate: everywhere(`{"source":[{"prefix":"aws."}],"detail-type":[{"prefix":""}]}`), want: []string{"also matches"}},
		}
		if key != "unauthorized-api-calls" {
			var one string
			for _, e := range detection.CISEvent(key, "us-east-1", ctlAcct).Positives {
				var env struct {
					Detail struct {
						EventName string `json:"eventName"`
					} `json:"detail"`
				}
				_ = json.Unmarshal(e.Body, &env)
				one = env.Detail.EventName
			}
			if one != "" {
				cases = append(cases, controlCase{name: key + ": rule missing " + one, status: Fail, mutate: everywhere(cisRulePattern(t, key, one)), want: []string{"misses"}})
			}
		}
		if ctl.Delivery != detection.DeliveryUSEast1 {
			cases = append(cases, controlCase{name: key + ": us-west-2 uncovered", status: Fail, mutate: withRule("us-east-1", "monitor", full, state),
				want: []string{"no rule delivers them in us-west-2"}})
		}
		runControlCases(t, c, cases)
	}
}

// TestCISMonitoringUnionOfPaths: AWS delivers each event to every rule that matches it, and a
// forwarding rule passes on what it matched to the receiving bus's rules, so a control is
// monitored when the paths together carry every positive.
func TestCISMonitoringUnionOfPaths(t *testing.T) {
	iam, sg := byID("cloudwatch-iam-policy-changes-alarm"), byID("cloudwatch-security-group-changes-alarm")
	half := func(names ...string) string {
		b, _ := json.Marshal(names)
		return `{"source":["aws.iam"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["iam.amazonaws.com"],"eventName":` + string(b) + `}}`
	}
	first := half("DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy")
	second := half("CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy")
	runControlCases(t, iam, []controlCase{
		{name: "PASS with the event list split over two rules", status: Pass,
			mutate: both(withRule("us-east-1", "iam-a", first, "ENABLED"), withRule("us-east-1", "iam-b", second, "ENABLED")),
			want:   []string{"iam-a + iam-b", "together"}},
		{name: "one half alone is not monitoring", status: Fail, mutate: withRule("us-east-1", "iam-a", first, "ENABLED"), want: []string{"misses"}},
		{name: "PASS with the event list split over two metric filters and their alarms", status: Pass,
			mutate: both(withFilterAlarm("IAMPolicyA", `{ ($.eventSource = iam.amazonaws.com) && (($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy)) }`),
				withFilterAlarm("IAMPolicyB", `{ ($.eventSource = iam.amazonaws.com) && (($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy)) }`)),
			want: []string{"metric filters together count every event", "IAMPolicyA", "IAMPolicyB"}},
		{name: "split over two filters, one without an alarm", status: Fail,
			mutate: both(withFilterAlarm("IAMPolicyA", `{ ($.eventSource = iam.amazonaws.com) && (($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy)) }`),
				func(s *snapshot.Snapshot) {
					east(s).Logs.MetricFilters = append(east(s).Logs.MetricFilters, filterFixture("IAMPolicyB", `{ ($.eventSource = iam.amazonaws.com) && (($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy)) }`, "IAMPolicyBCount"))
				}),
			want: []string{"misses"}},
		{name: "split list whose second rule is disabled", status: Fail,
			mutate: both(withRule("us-east-1", "iam-a", first, "ENABLED"), withRule("us-east-1", "iam-b", second, "DISABLED"))},
		{name: "split list whose second half has no working target", status: Fail,
			mutate: both(withRule("us-east-1", "iam-a", first, "ENABLED"), withRule("us-east-1", "iam-b", second, "ENABLED"), func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "iam-b").Targets = []snapshot.Target{{ID: "1", ARN: ctlPending}}
			})},
		{name: "split list with an unjudgeable target on one half is ERROR", status: Error,
			mutate: both(withRule("us-east-1", "iam-a", first, "ENABLED"), withRule("us-east-1", "iam-b", second, "ENABLED"), func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "iam-b").Targets = []snapshot.Target{{ID: "1", ARN: "arn:aws:sns:us-east-1:999999999999:elsewhere"}}
			})},
	})

	// One rule for every CIS network family monitors each family.
	network := `{"source":["aws.ec2"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["ec2.amazonaws.com"],"eventName":[` +
		`"AuthorizeSecurityGroupIngress","AuthorizeSecurityGroupEgress","RevokeSecurityGroupIngress","RevokeSecurityGroupEgress","CreateSecurityGroup","DeleteSecurityGroup",` +
		`"CreateNetworkAcl","CreateNetworkAclEntry","DeleteNetworkAcl","DeleteNetworkAclEntry","ReplaceNetworkAclEntry","ReplaceNetworkAclAssociation",` +
		`"CreateCustomerGateway","DeleteCustomerGateway","AttachInternetGateway","CreateInternetGateway","DeleteInternetGateway","DetachInternetGateway",` +
		`"CreateRoute","CreateRouteTable","ReplaceRoute","ReplaceRouteTableAssociation","DeleteRouteTable","DeleteRoute","DisassociateRouteTable",` +
		`"CreateVpc","DeleteVpc","ModifyVpcAttribute","AcceptVpcPeeringConnection","CreateVpcPeeringConnection","DeleteVpcPeeringConnection","RejectVpcPeeringConnection",` +
		`"AttachClassicLinkVpc","DetachClassicLinkVpc","DisableVpcClassicLink","EnableVpcClassicLink"]}}`
	everywhere := both(withRule("us-east-1", "network-changes", network, "ENABLED"), withRule("us-west-2", "network-changes", network, "ENABLED"))
	for _, id := range []string{"security-group-changes", "nacl-changes", "network-gateway-changes", "route-table-changes", "vpc-changes"} {
		runControlCases(t, byID("cloudwatch-"+id+"-alarm"), []controlCase{
			{name: id + ": PASS by one rule covering every network family", status: Pass, mutate: everywhere, want: []string{"rule network-changes"}},
			{name: id + ": the family rule plus routine CreateTags is noise", status: Fail,
				mutate: both(withRule("us-east-1", "network-changes", strings.Replace(network, `"EnableVpcClassicLink"`, `"EnableVpcClassicLink","CreateTags"`, 1), "ENABLED"),
					withRule("us-west-2", "network-changes", network, "ENABLED")),
				want: []string{"also matches", "CreateTags"}},
		})
	}

	// A broad forwarding rule notifies nobody by itself: the receiving rule decides, judged
	// against what is forwarded.
	forward := func(pattern string) func(*snapshot.Snapshot) {
		return both(withRule("us-west-2", "forward-all", pattern, "ENABLED"), func(s *snapshot.Snapshot) {
			const role = "arn:aws:iam::111111111111:role/forward"
			rule(s, "us-west-2", "forward-all").Targets = []snapshot.Target{{ID: "fwd", ARN: "arn:aws:events:us-east-1:111111111111:event-bus/default", RoleARN: role}}
			s.Accounts[0].Roles = append(s.Accounts[0].Roles, snapshot.Role{ARN: role, Name: "forward", TrustPolicy: policyDoc(`{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}`),
				PoliciesRead: true, Policies: allowPolicy("events:PutEvents")})
		})
	}
	runControlCases(t, sg, []controlCase{
		{name: "PASS when a forward-everything rule in us-west-2 feeds a narrow rule in us-east-1", status: Pass,
			mutate: both(withRule("us-east-1", "sg-changes", sgRulePattern, "ENABLED"), forward(`{"source":[{"prefix":"aws."}]}`)),
			want:   []string{"forwarded to event bus default"}},
		{name: "a forwarded path is judged at the receiving rule: a broad receiver is noise", status: Fail,
			mutate: both(withRule("us-east-1", "sg-changes", sgRulePattern, "ENABLED"), withRule("us-east-1", "all-ec2", `{"source":["aws.ec2"]}`, "ENABLED"), forward(`{"source":[{"prefix":"aws."}]}`), func(s *snapshot.Snapshot) {
				// us-west-2's forwarded events reach only the broad rule.
				rule(s, "us-east-1", "sg-changes").EventPattern = strings.Replace(sgRulePattern, `"source":["aws.ec2"],`, `"source":["aws.ec2"],"region":["us-east-1"],`, 1)
			}),
			want: []string{"no rule delivers them in us-west-2"}},
		{name: "forwarding half the list and a local rule for the other half", status: Pass,
			mutate: both(withRule("us-east-1", "sg-changes", sgRulePattern, "ENABLED"),
				forward(`{"source":["aws.ec2"],"detail":{"eventName":["AuthorizeSecurityGroupIngress","AuthorizeSecurityGroupEgress","RevokeSecurityGroupIngress"]}}`),
				withRule("us-west-2", "sg-rest", `{"source":["aws.ec2"],"detail":{"eventName":["RevokeSecurityGroupEgress","CreateSecurityGroup","DeleteSecurityGroup"]}}`, "ENABLED"))},
	})
}

// TestCISMonitoringCatalogueNoise: too broad is judged against every AWS API, not a list of
// negatives, and read-only calls never reach a rule in state ENABLED.
func TestCISMonitoringCatalogueNoise(t *testing.T) {
	trail := byID("cloudwatch-cloudtrail-changes-alarm")
	wildFilter := `{ ($.eventSource = cloudtrail.amazonaws.com) && (($.eventName = *Trail) || ($.eventName = *Logging)) }`
	wildRule := `{"source":["aws.cloudtrail"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":[{"wildcard":"*Trail"},{"wildcard":"*Logging"}]}}`
	everywhere := func(state string) func(*snapshot.Snapshot) {
		return both(withRule("us-east-1", "trail-changes", wildRule, state), withRule("us-west-2", "trail-changes", wildRule, state))
	}
	runControlCases(t, trail, []controlCase{
		{name: "filter *Trail also fires on GetTrail, a read every Terraform refresh makes", status: Fail, mutate: withFilterAlarm("TrailChanges", wildFilter),
			want: []string{"cloudtrail:GetTrail (read-only)", "no CIS monitoring control asks to watch"}},
		{name: "an ENABLED rule on *Trail never receives GetTrail: it monitors", status: Pass, mutate: everywhere("ENABLED")},
		{name: "the same rule receiving read-only events also fires on GetTrail", status: Fail, mutate: everywhere("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"),
			want: []string{"cloudtrail:GetTrail (read-only)"}},
	})
	runControlCases(t, byID("cloudwatch-iam-policy-changes-alarm"), []controlCase{
		{name: "Delete* without an event source fires on every service's deletes", status: Fail,
			mutate: withFilterAlarm("Deletes", `{ ($.eventName = Delete*) || ($.eventName = Put*Policy) || ($.eventName = Create*Policy*) || ($.eventName = Attach*Policy) || ($.eventName = Detach*Policy) }`),
			want:   []string{"also matches", "no CIS monitoring control asks to watch"}},
	})
}

// TestEvidenceKeepsTheRulesOfAUnion: neither half of a split event list passes alone, but
// together they do; the evidence keeps both as the path, and names the region's other rules.
func TestEvidenceKeepsTheRulesOfAUnion(t *testing.T) {
	half := func(names ...string) string {
		b, _ := json.Marshal(names)
		return `{"source":["aws.iam"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["iam.amazonaws.com"],"eventName":` + string(b) + `}}`
	}
	s := controlsFixture()
	both(withRule("us-east-1", "iam-a", half("DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy"), "ENABLED"),
		withRule("us-east-1", "iam-b", half("CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy"), "ENABLED"))(s)
	fs := Run(s, []*Check{byID("cloudwatch-iam-policy-changes-alarm")}, Options{})
	if len(fs) != 1 || fs[0].Status != Pass {
		t.Fatalf("want one PASS, got %+v", fs)
	}
	ev, ok := fs[0].Evidence.(CISMonitoringEvidence)
	if !ok {
		t.Fatalf("evidence %T", fs[0].Evidence)
	}
	east, ok := ev.EventBridgeRoute["us-east-1"]
	if !ok {
		t.Fatalf("no us-east-1 route in %+v", ev.EventBridgeRoute)
	}
	var kept []string
	for _, r := range east.Rules {
		kept = append(kept, r.Rule)
	}
	if !slices.Equal(kept, []string{"iam-a", "iam-b"}) {
		t.Errorf("rules kept %v, want the union's iam-a and iam-b", kept)
	}
	for _, name := range east.OtherRules {
		if name == "iam-a" || name == "iam-b" {
			t.Errorf("union member %s named as another rule: %v", name, east.OtherRules)
		}
	}
	if len(east.OtherRules) == 0 {
		t.Errorf("the fixture's other rules are not named")
	}
}
