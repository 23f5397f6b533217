package checks

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// The detection-control tests share one fixture: account 111111111111 with every control of
// the console sign-in alert design, the StopLogging auto-remediation design, the EC2
// state-change notification rule and the AWS CloudTrail guide's alarm examples, built as those
// designs build them, complete. Each case breaks one link and names what it broke.

const (
	ctlAcct    = "111111111111"
	ctlTrail   = "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"
	ctlGroup   = "arn:aws:logs:us-east-1:111111111111:log-group:cloudtrail-logs:*"
	ctlTopic   = "arn:aws:sns:us-east-1:111111111111:security-alerts"
	ctlPending = "arn:aws:sns:us-east-1:111111111111:unconfirmed-alerts"
	ctlWest    = "arn:aws:sns:us-west-2:111111111111:security-alerts-west"
	fnEnable   = "arn:aws:lambda:us-east-1:111111111111:function:enable_trail"
	fnSlack    = "arn:aws:lambda:us-east-1:111111111111:function:signin-to-slack"
	fnSlackW   = "arn:aws:lambda:us-west-2:111111111111:function:signin-to-slack"

	// The StopLogging rule, as the console's "Specific operation(s) = StopLogging" writes it.
	stopLoggingPattern = `{"source":["aws.cloudtrail"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["cloudtrail.amazonaws.com"],"eventName":["StopLogging"]}}`
	// The console sign-in rule, as the console's "AWS Console Sign-in" / "Sign-in Event" writes it.
	signinPattern = `{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"]}`
	// The console sign-in rule narrowed to the root user by ARN, with the older detail-type spelling.
	signinRootOnly = `{"source":["aws.signin"],"detail-type":["AWS Console Signin via CloudTrail"],"detail":{"userIdentity":{"arn":["arn:aws:iam::111111111111:root"]}}}`
	// The EC2 state-change notification rule.
	ec2Pattern = `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["running","stopped","terminated"]}}`
	// The AWS CloudTrail guide's console sign-in pattern (MFAUsed = "No").
	guideConsolePattern = `{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No" }`
)

func one() *float64 { v := 1.0; return &v }

// defaultTopicPolicy is the access policy SNS gives a new topic: any principal acting for the
// owning account (AWS:SourceOwner) may publish, which lets the account's alarms in (not its
// EventBridge rules: see consoleTopicPolicy).
func defaultTopicPolicy(topic string) string {
	account := strings.Split(topic, ":")[4]
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},` +
		`"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],` +
		`"Resource":"` + topic + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + account + `"}}}]}`
}

// consoleTopicPolicy is the default policy plus the statement the EventBridge console adds
// when a topic is chosen as a rule target: events.amazonaws.com may publish.
func consoleTopicPolicy(topic string) string {
	def := defaultTopicPolicy(topic)
	return strings.TrimSuffix(def, "]}") + `,{"Sid":"AWSEvents_lookout-fixture","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topic + `"}]}`
}

// eventsInvokePolicy is what "aws lambda add-permission --principal events.amazonaws.com
// --source-arn RULE" leaves on a function.
func eventsInvokePolicy(fn, rule string) string {
	cond := `"ArnLike":{"AWS:SourceArn":"` + rule + `"}`
	return `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"events","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},` +
		`"Action":"lambda:InvokeFunction","Resource":"` + fn + `","Condition":{` + cond + `}}]}`
}

// cisAlarmFixture is the AWS CloudTrail guide's alarm: Sum >= 1 over 5 minutes, 1 of 1, to the
// SNS topic.
func cisAlarmFixture(name, metric string) snapshot.Alarm {
	return snapshot.Alarm{
		Name: name, ARN: "arn:aws:cloudwatch:us-east-1:111111111111:alarm:" + name,
		MetricName: metric, Namespace: "CloudTrailMetrics", Statistic: "Sum", Period: 300,
		EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold",
		ActionsEnabled: true, AlarmActions: []string{ctlTopic}, StateValue: "OK",
	}
}

func filterFixture(name, pattern, metric string) snapshot.MetricFilter {
	return snapshot.MetricFilter{Name: name, LogGroupName: "cloudtrail-logs", Pattern: pattern,
		Transformations: []snapshot.MetricTransformation{{MetricName: metric, MetricNamespace: "CloudTrailMetrics", MetricValue: "1"}}}
}

func controlsFixture() *snapshot.Snapshot {
	trail := snapshot.Trail{
		Name: "main", ARN: ctlTrail, HomeRegion: "us-east-1", IsMultiRegion: true,
		S3BucketName: "trail-bucket", CloudWatchLogsLogGroupARN: ctlGroup,
		CloudWatchLogsRoleARN:      "arn:aws:iam::111111111111:role/CloudTrail_CloudWatchLogs_Role",
		Status:                     &snapshot.TrailStatus{IsLogging: true},
		Selectors:                  &snapshot.EventSelectors{Default: true},
		IncludeGlobalServiceEvents: aws.Bool(true),
	}
	view := func() *snapshot.CloudTrailView { return &snapshot.CloudTrailView{TrailARNs: []string{ctlTrail}} }
	east := snapshot.Region{
		Name:       "us-east-1",
		CloudTrail: view(),
		Logs: &snapshot.LogsData{
			LogGroups: []snapshot.LogGroup{{Name: "cloudtrail-logs", ARN: strings.TrimSuffix(ctlGroup, ":*")}},
			MetricFilters: []snapshot.MetricFilter{
				filterFixture("RootAccountUsage", detection.RefRootUsage, "RootAccountUsageCount"),
				filterFixture("ApiActivityWithoutMFA", detection.RefAPIWithoutMFA, "ApiActivityWithoutMFACount"),
				filterFixture("ConsoleSignInWithoutMfa", guideConsolePattern, "ConsoleSignInWithoutMfaCount"),
			},
		},
		CloudWatch: &snapshot.CloudWatchData{Alarms: []snapshot.Alarm{
			cisAlarmFixture("RootAccountUsage", "RootAccountUsageCount"),
			cisAlarmFixture("ApiActivityWithoutMFA", "ApiActivityWithoutMFACount"),
			cisAlarmFixture("ConsoleSignInWithoutMfa", "ConsoleSignInWithoutMfaCount"),
		}},
		SNS: &snapshot.SNSData{Topics: []snapshot.Topic{
			{ARN: ctlTopic, Policy: consoleTopicPolicy(ctlTopic), Subscriptions: []snapshot.Subscription{{ARN: ctlTopic + ":0c1d", Protocol: "email", Confirmed: true, AttrsRead: true}}},
			{ARN: ctlPending, Policy: consoleTopicPolicy(ctlPending), Subscriptions: []snapshot.Subscription{{ARN: "PendingConfirmation", Protocol: "email"}}},
		}},
		Lambda: &snapshot.LambdaData{Functions: []snapshot.Function{
			{Name: "enable_trail", ARN: fnEnable, Runtime: "python3.12", PolicyRead: true, Policy: eventsInvokePolicy(fnEnable, "arn:aws:events:us-east-1:111111111111:rule/enable_trail"),
				Role: enableTrailRole, State: "Active", ConfigRead: true},
			{Name: "signin-to-slack", ARN: fnSlack, Runtime: "python3.12", PolicyRead: true, Policy: eventsInvokePolicy(fnSlack, "arn:aws:events:us-east-1:111111111111:rule/*")},
		}},
		KMS: &snapshot.KMSData{Keys: []snapshot.KMSKey{}},
		SQS: &snapshot.SQSData{Queues: []snapshot.Queue{}},
		EventBridge: &snapshot.EventBridgeData{Rules: []snapshot.Rule{
			{Name: "enable_trail", ARN: "arn:aws:events:us-east-1:111111111111:rule/enable_trail", State: "ENABLED", EventPattern: stopLoggingPattern,
				Targets: []snapshot.Target{{ID: "1", ARN: fnEnable}}},
			{Name: "console-signin", ARN: "arn:aws:events:us-east-1:111111111111:rule/console-signin", State: "ENABLED", EventPattern: signinPattern,
				Targets: []snapshot.Target{{ID: "1", ARN: fnSlack}}},
			{Name: "ec2_state_change", ARN: "arn:aws:events:us-east-1:111111111111:rule/ec2_state_change", State: "ENABLED", EventPattern: ec2Pattern,
				Targets: []snapshot.Target{{ID: "1", ARN: ctlTopic}}},
		}},
		EC2: &snapshot.EC2Data{Instances: []snapshot.Instance{{ID: "i-0a1b2c3d4e5f60718", State: "running"}}},
	}
	west := snapshot.Region{
		Name:       "us-west-2",
		CloudTrail: view(),
		Logs:       &snapshot.LogsData{LogGroups: []snapshot.LogGroup{}, MetricFilters: []snapshot.MetricFilter{}},
		CloudWatch: &snapshot.CloudWatchData{Alarms: []snapshot.Alarm{}},
		SNS: &snapshot.SNSData{Topics: []snapshot.Topic{
			{ARN: ctlWest, Policy: consoleTopicPolicy(ctlWest), Subscriptions: []snapshot.Subscription{{ARN: ctlWest + ":9f8e", Protocol: "https", Confirmed: true, AttrsRead: true}}},
		}},
		Lambda: &snapshot.LambdaData{Functions: []snapshot.Function{{Name: "signin-to-slack", ARN: fnSlackW, PolicyRead: true,
			Policy: eventsInvokePolicy(fnSlackW, "arn:aws:events:us-west-2:111111111111:rule/root-signin")}}},
		KMS: &snapshot.KMSData{Keys: []snapshot.KMSKey{}},
		SQS: &snapshot.SQSData{Queues: []snapshot.Queue{}},
		EventBridge: &snapshot.EventBridgeData{Rules: []snapshot.Rule{
			{Name: "root-signin", ARN: "arn:aws:events:us-west-2:111111111111:rule/root-signin", State: "ENABLED", EventPattern: signinRootOnly,
				Targets: []snapshot.Target{{ID: "slack", ARN: fnSlackW}}},
		}},
		EC2: &snapshot.EC2Data{Instances: []snapshot.Instance{}},
	}
	return &snapshot.Snapshot{
		SchemaVersion: 1, Regions: []string{"us-east-1", "us-west-2"},
		Accounts: []snapshot.Account{{ID: ctlAcct, Partition: "aws", Trails: []snapshot.Trail{trail}, Regions: []snapshot.Region{east, west},
			Roles: []snapshot.Role{enableTrailExecutionRole()}}},
	}
}

// enableTrailRole is the execution role of the StopLogging design's function: the basic
// logging permissions, and cloudtrail:StartLogging on the trail.
const enableTrailRole = "arn:aws:iam::111111111111:role/enable_trail-role"

func enableTrailExecutionRole() snapshot.Role {
	return snapshot.Role{ARN: enableTrailRole, Name: "enable_trail-role",
		TrustPolicy:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		PoliciesRead: true, Policies: []snapshot.RolePolicy{
			{Name: "AWSLambdaBasicExecutionRole", ARN: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
				Document: policyDoc(`{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}`)},
			{Name: "start-logging", Document: policyDoc(`{"Effect":"Allow","Action":"cloudtrail:StartLogging","Resource":"` + ctlTrail + `"}`)},
		}}
}

// rule returns the named rule of a region of the fixture's account.
func rule(s *snapshot.Snapshot, region, name string) *snapshot.Rule {
	return find(s.Accounts[0].Region(region).EventBridge.Rules, func(r *snapshot.Rule) bool { return r.Name == name }, "rule "+name)
}

func east(s *snapshot.Snapshot) *snapshot.Region { return s.Accounts[0].Region("us-east-1") }
func west(s *snapshot.Snapshot) *snapshot.Region { return s.Accounts[0].Region("us-west-2") }

// controlCase is one table row: break the fixture, then expect a status and message parts.
type controlCase struct {
	name   string
	mutate func(s *snapshot.Snapshot)
	opts   Options
	// region selects the finding (several checks emit one per region); "" takes the only one.
	region string
	status Status
	// broken is the link the finding names as broken (its evidence, as data); the zero
	// value asserts nothing.
	broken route.BrokenLink
	want   []string // substrings of the message (names and values it must carry)
	// sentence is the finding's one-sentence message exactly, when set.
	sentence string
	// evidence are substrings of the finding's evidence as JSON.
	evidence []string
	none     bool // expect no finding at all
}

func runControlCases(t *testing.T, c *Check, cases []controlCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := controlsFixture()
			if tc.mutate != nil {
				tc.mutate(s)
			}
			if err := s.Validate(); err != nil {
				t.Fatalf("fixture invalid: %v", err)
			}
			got := Run(s, []*Check{c}, tc.opts)
			var picked []Finding
			for _, f := range got {
				if tc.region == "" || f.Region == tc.region {
					picked = append(picked, f)
				}
			}
			if tc.none {
				if len(picked) != 0 {
					t.Fatalf("want no finding, got %+v", picked)
				}
				return
			}
			if len(picked) != 1 {
				t.Fatalf("want one finding (region %q), got %d: %+v", tc.region, len(picked), got)
			}
			f := picked[0]
			if f.Status != tc.status {
				t.Errorf("status = %s, want %s; message: %s", f.Status, tc.status, f.Message)
			}
			if tc.sentence != "" && f.Message != tc.sentence {
				t.Errorf("sentence %q\nwant     %q", f.Message, tc.sentence)
			}
			for _, w := range tc.want {
				if !strings.Contains(f.Reasoning(), w) {
					t.Errorf("message %q does not contain %q", f.Message, w)
				}
			}
			if len(tc.evidence) > 0 {
				ev, err := json.Marshal(f.Evidence)
				if err != nil {
					t.Fatalf("evidence: %v", err)
				}
				for _, w := range tc.evidence {
					if !strings.Contains(string(ev), w) {
						t.Errorf("evidence %s does not contain %q", ev, w)
					}
				}
			}
			if f.CheckID != c.ID || f.Severity != c.Severity || f.Account != ctlAcct {
				t.Errorf("finding identity = %s/%s/%s", f.CheckID, f.Severity, f.Account)
			}
			if f.Status == Fail && (f.Fix == nil || f.Fix.Summary == "") {
				t.Errorf("FAIL without a fix hint: %+v", f)
			}
			if f.Status != Error && f.Evidence == nil {
				t.Errorf("%s without evidence", f.Status)
			}
			switch got := f.Broken(); {
			case f.Status == Pass && got != nil:
				t.Errorf("PASS names a broken link: %+v", *got)
			case f.Status == Fail && got == nil:
				t.Errorf("FAIL names no broken link: %s", f.Message)
			case got != nil && got.Unknown != (f.Status == Error):
				t.Errorf("%s names link %s with Unknown %v", f.Status, got, got.Unknown)
			case tc.broken != (route.BrokenLink{}) && (got == nil || got.Link != tc.broken.Link || got.Hop != tc.broken.Hop):
				t.Errorf("broken link = %v, want %v; message: %s", got, tc.broken, f.Message)
			}
		})
	}
}

func TestJudgeTarget(t *testing.T) {
	s := controlsFixture()
	startLogging := route.Remediating("cloudtrail:StartLogging", ctlTrail)
	cases := []struct {
		name   string
		arn    string
		policy route.TargetPolicy
		state  Status
		reason string
	}{
		{"lambda that lets the rule invoke it and may act", fnEnable, startLogging, Pass, "lets EventBridge invoke it, is Active, and its execution role enable_trail-role may call cloudtrail:StartLogging"},
		{"lambda that notifies", fnEnable, route.Notifies, Pass, "exists and lets EventBridge invoke it"},
		// Invoking an alias needs a permission on the alias; the function's own does not cover it.
		{"lambda alias without its own permission", fnEnable + ":live", startLogging, Fail, "does not allow events.amazonaws.com to call lambda:InvokeFunction"},
		{"lambda gone", "arn:aws:lambda:us-east-1:111111111111:function:deleted", route.Notifies, Fail, "no longer exists"},
		{"lambda in unscanned region", "arn:aws:lambda:eu-west-1:111111111111:function:x", route.Notifies, Error, "not scanned"},
		{"lambda in unscanned account", "arn:aws:lambda:us-east-1:999999999999:function:x", route.Notifies, Error, "not in this scan"},
		{"ssm automation without a role", "arn:aws:ssm:us-east-1:111111111111:automation-definition/Restart-Trail:$DEFAULT", startLogging, Fail, "has no role"},
		{"ssm automation notifies no one", "arn:aws:ssm:us-east-1:111111111111:automation-definition/Restart-Trail", route.Notifies, Fail, "notifies no one"},
		{"sns confirmed notifies", ctlTopic, route.Notifies, Pass, "1 confirmed"},
		{"sns only notifies", ctlTopic, startLogging, Fail, "only notifies"},
		{"sns pending", ctlPending, route.Notifies, Fail, "PendingConfirmation"},
		{"sns missing", "arn:aws:sns:us-east-1:111111111111:gone", route.Notifies, Fail, "does not exist"},
		{"sqs queue not collected", "arn:aws:sqs:us-east-1:111111111111:q", route.Notifies, Error, "it was not collected"},
		{"sqs queue remediates nothing", "arn:aws:sqs:us-east-1:111111111111:q", startLogging, Fail, "nothing restarts logging"},
		{"not an arn", "enable_trail", startLogging, Fail, "not an ARN"},
	}
	r := rule(s, "us-east-1", "enable_trail")
	d := detection.StopLogging(detection.Trail{Name: "main", ARN: ctlTrail, Region: "us-east-1", Account: ctlAcct})
	judgeTarget := func(s *snapshot.Snapshot, t snapshot.Target, policy route.TargetPolicy) route.TargetVerdict {
		return route.JudgeRuleTarget(s, "us-east-1", *r, d, t, policy)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := judgeTarget(s, snapshot.Target{ID: "1", ARN: tc.arn}, tc.policy)
			if v.State != tc.state || !strings.Contains(v.Reason, tc.reason) {
				t.Errorf("judgeTarget(%s) = %v %q, want %v containing %q", tc.arn, v.State, v.Reason, tc.state, tc.reason)
			}
		})
	}
	// A notifier that never runs notifies no one: throttled to 0, or not Active.
	zero := int32(0)
	fnOf(s, "us-east-1", "signin-to-slack").ConfigRead, fnOf(s, "us-east-1", "signin-to-slack").State = true, "Active"
	if v := judgeTarget(s, snapshot.Target{ID: "1", ARN: fnSlack}, route.Notifies); v.State != Pass {
		t.Errorf("active notifier: %v %q, want ok", v.State, v.Reason)
	}
	fnOf(s, "us-east-1", "signin-to-slack").ReservedConcurrency = &zero
	if v := judgeTarget(s, snapshot.Target{ID: "1", ARN: fnSlack}, route.Notifies); v.State != Fail || v.Hop != route.HopConcurrency {
		t.Errorf("throttled notifier: %v %q hop %q, want broken at %s", v.State, v.Reason, v.Hop, route.HopConcurrency)
	}
	east(s).SNS.Topics[0].SubscriptionsError = &snapshot.ReadError{Operation: "sns:ListSubscriptionsByTopic", Code: "AccessDenied", Message: "denied"}
	if v := judgeTarget(s, snapshot.Target{ID: "1", ARN: ctlTopic}, route.Notifies); v.State != Error {
		t.Errorf("unreadable subscriptions: state %v, want unknown", v.State)
	}
}

func TestSigninDetectionIsJudgedInTheRuleAccount(t *testing.T) {
	d := detection.RootConsoleSignin("us-east-1", ctlAcct)
	v, err := d.EvaluateEventPattern(signinRootOnly)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Detects {
		t.Errorf("a rule narrowed to %s's root ARN must match that account's root sign-in: %s", ctlAcct, v)
	}
	other := detection.RootConsoleSignin("us-east-1", "222222222222")
	if v, _ := other.EvaluateEventPattern(signinRootOnly); v.Detects {
		t.Errorf("a rule narrowed to another account's root must not pass: %s", v)
	}
}
