package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Delivery cases: each breaks one hop of the fixture's complete controls the way real accounts
// are misconfigured (AWS accepts every one of them without a word) and names what broke.

const (
	ctlRootAlarmARN = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:RootAccountUsage"
	ctlQueue        = "arn:aws:sqs:us-east-1:111111111111:alerts-queue"
	ctlKey          = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// find returns the element of items that is, or panics: fixtures name what they change.
func find[T any](items []T, is func(*T) bool, what string) *T {
	for i := range items {
		if is(&items[i]) {
			return &items[i]
		}
	}
	panic("no " + what)
}

func topicOf(s *snapshot.Snapshot, region, arn string) *snapshot.Topic {
	return find(s.Accounts[0].Region(region).SNS.Topics, func(t *snapshot.Topic) bool { return t.ARN == arn }, "topic "+arn)
}

func fnOf(s *snapshot.Snapshot, region, name string) *snapshot.Function {
	return find(s.Accounts[0].Region(region).Lambda.Functions, func(f *snapshot.Function) bool { return f.Name == name }, "function "+name)
}

// policyDoc wraps statements into a policy document.
func policyDoc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

const (
	cwPublishAlarms = `{"Sid":"AllowCloudWatchAlarms","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"` + ctlTopic + `",` +
		`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:us-east-1:111111111111:alarm:*"},"StringEquals":{"aws:SourceAccount":"111111111111"}}}`
	ownerOnly = `{"Sid":"OwnerOnly","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sns:Publish","Resource":"` + ctlTopic + `"}`
	keyAdmin  = `{"Sid":"EnableIAM","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}`
	keyForCW  = `{"Sid":"CloudWatchAlarms","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}`
)

func withKey(s *snapshot.Snapshot, policy string) {
	topicOf(s, "us-east-1", ctlTopic).KMSKeyID = ctlKey
	east(s).KMS.Keys = []snapshot.KMSKey{{Ref: ctlKey, KeyID: "1234abcd-12ab-34cd-56ef-1234567890ab", ARN: ctlKey, KeyManager: "CUSTOMER", KeyState: "Enabled", Policy: policy}}
}

// subscribeOnly replaces the topic's subscribers with sub.
func subscribeOnly(s *snapshot.Snapshot, sub snapshot.Subscription) {
	topicOf(s, "us-east-1", ctlTopic).Subscriptions = []snapshot.Subscription{sub}
}

func TestAlarmDelivery(t *testing.T) {
	cases := []controlCase{
		{name: "default topic policy delivers", status: Pass, want: []string{"which notifies SNS topic security-alerts (1 confirmed subscription(s): email)"}},
		{name: "topic policy for the CloudWatch service principal, scoped to the account's alarms", status: Pass,
			mutate: func(s *snapshot.Snapshot) { topicOf(s, "us-east-1", ctlTopic).Policy = policyDoc(cwPublishAlarms) }},
		{name: "topic policy lets only the account's own principals publish", status: Fail,
			mutate: func(s *snapshot.Snapshot) { topicOf(s, "us-east-1", ctlTopic).Policy = policyDoc(ownerOnly) },
			broken: route.BrokenLink{Link: route.LinkTopic, Hop: route.HopTopicPolicy}, want: []string{"does not allow cloudwatch.amazonaws.com to call sns:Publish", ctlRootAlarmARN}},
		{name: "topic policy scoped to another account's alarms", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				topicOf(s, "us-east-1", ctlTopic).Policy = policyDoc(strings.ReplaceAll(cwPublishAlarms, "111111111111:alarm", "222222222222:alarm"))
			},
			broken: route.BrokenLink{Link: route.LinkTopic, Hop: route.HopTopicPolicy}, want: []string{"does not allow cloudwatch.amazonaws.com"}},
		{name: "explicit deny of publishers acting for another account than the one named", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				deny := `{"Sid":"DenyOtherAccounts","Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"` + ctlTopic + `","Condition":{"StringNotEquals":{"aws:SourceAccount":"222222222222"}}}`
				topicOf(s, "us-east-1", ctlTopic).Policy = policyDoc(cwPublishAlarms, deny)
			},
			broken: route.BrokenLink{Link: route.LinkTopic, Hop: route.HopTopicPolicy}, want: []string{"denies cloudwatch.amazonaws.com sns:Publish", "DenyOtherAccounts"}},
		{name: "data-perimeter deny on aws:PrincipalAccount, which a service principal's call may not carry", status: Error,
			mutate: func(s *snapshot.Snapshot) {
				deny := `{"Sid":"DenyOutsiders","Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"` + ctlTopic + `","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111111111111"}}}`
				topicOf(s, "us-east-1", ctlTopic).Policy = policyDoc(cwPublishAlarms, deny)
			},
			broken: route.BrokenLink{Link: route.LinkTopic, Hop: route.HopTopicPolicy}, want: []string{"could not be evaluated", "DenyOutsiders", "aws:PrincipalAccount"}},
		{name: "topic policy with a condition lookout cannot evaluate", status: Error,
			mutate: func(s *snapshot.Snapshot) {
				topicOf(s, "us-east-1", ctlTopic).Policy = policyDoc(strings.Replace(cwPublishAlarms, `"StringEquals":{"aws:SourceAccount":"111111111111"}`, `"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}`, 1))
			},
			broken: route.BrokenLink{Link: route.LinkTopic, Hop: route.HopTopicPolicy}, want: []string{"could not be evaluated", "AllowCloudWatchAlarms"}},
		{name: "topic encrypted with the AWS managed key alias/aws/sns", status: Fail,
			mutate: func(s *snapshot.Snapshot) { topicOf(s, "us-east-1", ctlTopic).KMSKeyID = "alias/aws/sns" },
			broken: route.BrokenLink{Link: route.LinkTopic, Hop: route.HopKMSKey}, want: []string{"AWS managed key alias/aws/sns"}},
		{name: "customer managed key that lets CloudWatch use it", status: Pass,
			mutate: func(s *snapshot.Snapshot) { withKey(s, policyDoc(keyAdmin, keyForCW)) }},
		{name: "customer managed key with the default key policy", status: Fail,
			mutate: func(s *snapshot.Snapshot) { withKey(s, policyDoc(keyAdmin)) },
			broken: route.BrokenLink{Link: route.LinkTopic, Hop: route.HopKMSKey}, want: []string{"KMS key " + ctlKey, "does not allow cloudwatch.amazonaws.com to call kms:GenerateDataKey"}},
		{name: "customer managed key pending deletion", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				withKey(s, policyDoc(keyAdmin, keyForCW))
				east(s).KMS.Keys[0].KeyState = "PendingDeletion"
			},
			broken: route.BrokenLink{Link: route.LinkTopic, Hop: route.HopKMSKey}, want: []string{"PendingDeletion"}},
		{name: "key not collected", status: Error,
			mutate: func(s *snapshot.Snapshot) { topicOf(s, "us-east-1", ctlTopic).KMSKeyID = ctlKey },
			broken: route.BrokenLink{Link: route.LinkTopic, Hop: route.HopKMSKey}, want: []string{"cannot be verified"}},
		{name: "filter policy on message attributes drops every alarm notification", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				subscribeOnly(s, snapshot.Subscription{ARN: ctlTopic + ":0c1d", Protocol: "email", Confirmed: true, AttrsRead: true, FilterPolicy: `{"severity":["high"]}`})
			},
			broken: route.BrokenLink{Link: route.LinkSubscriber, Hop: route.HopFilterPolicy}, want: []string{"filter policy (scope MessageAttributes)", "carry none"}},
		{name: "filter policy that only asks for an attribute to be absent lets it through", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				subscribeOnly(s, snapshot.Subscription{ARN: ctlTopic + ":0c1d", Protocol: "email", Confirmed: true, AttrsRead: true, FilterPolicy: `{"muted":[{"exists":false}]}`})
			}},
		{name: "message body filter that matches the ALARM notification", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				subscribeOnly(s, snapshot.Subscription{ARN: ctlTopic + ":0c1d", Protocol: "email", Confirmed: true, AttrsRead: true,
					FilterPolicy: `{"NewStateValue":["ALARM"]}`, FilterPolicyScope: "MessageBody"})
			}},
		{name: "message body filter that only lets OK through", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				subscribeOnly(s, snapshot.Subscription{ARN: ctlTopic + ":0c1d", Protocol: "email", Confirmed: true, AttrsRead: true,
					FilterPolicy: `{"NewStateValue":["OK"]}`, FilterPolicyScope: "MessageBody"})
			},
			broken: route.BrokenLink{Link: route.LinkSubscriber, Hop: route.HopFilterPolicy}, want: []string{"scope MessageBody"}},
		{name: "subscription attributes not read", status: Error,
			mutate: func(s *snapshot.Snapshot) { topicOf(s, "us-east-1", ctlTopic).Subscriptions[0].AttrsRead = false },
			broken: route.BrokenLink{Link: route.LinkSubscriber}, want: []string{"were not collected"}},
		{name: "SQS subscriber whose queue policy lets the topic send", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				subscribeOnly(s, snapshot.Subscription{ARN: ctlTopic + ":5e6f", Protocol: "sqs", Confirmed: true, AttrsRead: true, EndpointARN: ctlQueue})
				east(s).SQS.Queues = []snapshot.Queue{{ARN: ctlQueue, Policy: policyDoc(`{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + ctlQueue + `","Condition":{"ArnEquals":{"aws:SourceArn":"` + ctlTopic + `"}}}`)}}
			}},
		{name: "SQS subscriber without a queue policy", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				subscribeOnly(s, snapshot.Subscription{ARN: ctlTopic + ":5e6f", Protocol: "sqs", Confirmed: true, AttrsRead: true, EndpointARN: ctlQueue})
				east(s).SQS.Queues = []snapshot.Queue{{ARN: ctlQueue}}
			},
			broken: route.BrokenLink{Link: route.LinkSubscriber, Hop: route.HopQueuePolicy}, want: []string{"SQS queue alerts-queue has no resource-based policy"}},
		{name: "SQS subscriber queue encrypted with alias/aws/sqs", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				subscribeOnly(s, snapshot.Subscription{ARN: ctlTopic + ":5e6f", Protocol: "sqs", Confirmed: true, AttrsRead: true, EndpointARN: ctlQueue})
				east(s).SQS.Queues = []snapshot.Queue{{ARN: ctlQueue, KMSKeyID: "alias/aws/sqs", Policy: policyDoc(`{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + ctlQueue + `"}`)}}
			},
			broken: route.BrokenLink{Link: route.LinkSubscriber, Hop: route.HopKMSKey}, want: []string{"AWS managed key alias/aws/sqs"}},
		{name: "SQS subscriber queue deleted", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				subscribeOnly(s, snapshot.Subscription{ARN: ctlTopic + ":5e6f", Protocol: "sqs", Confirmed: true, AttrsRead: true, EndpointARN: ctlQueue})
				east(s).SQS.Queues = []snapshot.Queue{{ARN: ctlQueue, NotFound: true}}
			},
			broken: route.BrokenLink{Link: route.LinkSubscriber, Hop: route.HopTarget}, want: []string{"SQS queue alerts-queue does not exist"}},
		{name: "Lambda subscriber that does not let SNS invoke it", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				subscribeOnly(s, snapshot.Subscription{ARN: ctlTopic + ":7a8b", Protocol: "lambda", Confirmed: true, AttrsRead: true, EndpointARN: fnSlack})
			},
			broken: route.BrokenLink{Link: route.LinkSubscriber, Hop: route.HopFunction}, want: []string{"does not allow sns.amazonaws.com to call lambda:InvokeFunction"}},
		{name: "alarm unit differs from the filter's (None)", status: Fail,
			mutate: func(s *snapshot.Snapshot) { alarmOf(s, "RootAccountUsage").Unit = "Count" },
			broken: route.BrokenLink{Link: route.LinkAlarm}, want: []string{"unit Count does not match", "INSUFFICIENT_DATA"}},
		{name: "alarm unit matches the filter's unit", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				alarmOf(s, "RootAccountUsage").Unit = "Count"
				filterOf(s, "RootAccountUsage").Transformations[0].Unit = "Count"
			}},
		{name: "SampleCount alarm on a filter with a default value sits in ALARM", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				zero := 0.0
				filterOf(s, "RootAccountUsage").Transformations[0].DefaultValue = &zero
				alarmOf(s, "RootAccountUsage").Statistic = "SampleCount"
			},
			broken: route.BrokenLink{Link: route.LinkAlarm}, want: []string{"default value 0 gives SampleCount 1", "stays in ALARM"}},
		{name: "Sum alarm on a filter with default value 0 still works", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				zero := 0.0
				filterOf(s, "RootAccountUsage").Transformations[0].DefaultValue = &zero
			}},
		{name: "metric math over the filter's metric", status: Pass,
			mutate: func(s *snapshot.Snapshot) { mathAlarm(s, "FILL(m1, 0) * 1") }},
		{name: "metric math that needs two events", status: Fail,
			mutate: func(s *snapshot.Snapshot) { mathAlarm(s, "IF(m1 > 1, 1, 0)") },
			broken: route.BrokenLink{Link: route.LinkAlarm}, want: []string{"one event gives its expression 0"}},
		{name: "metric math over another metric lookout cannot know", status: Error,
			mutate: func(s *snapshot.Snapshot) {
				mathAlarm(s, "m1 / m2")
				a := alarmOf(s, "RootAccountUsage")
				a.Metrics = append(a.Metrics, snapshot.AlarmQuery{ID: "m2", MetricStat: &snapshot.MetricStat{MetricName: "CallCount", Namespace: "Other", Period: 300, Stat: "Sum"}})
			},
			broken: route.BrokenLink{Link: route.LinkAlarm}, want: []string{"another metric"}},
		{name: "treat missing data as ignore without a default value stays in ALARM after the first event", status: Fail,
			mutate: func(s *snapshot.Snapshot) { alarmOf(s, "RootAccountUsage").TreatMissingData = "ignore" },
			broken: route.BrokenLink{Link: route.LinkAlarm}, want: []string{"ignores missing data"}},
		{name: "treat missing data as ignore with a default value returns to OK", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				zero := 0.0
				filterOf(s, "RootAccountUsage").Transformations[0].DefaultValue = &zero
				alarmOf(s, "RootAccountUsage").TreatMissingData = "ignore"
			}},
		{name: "metric math FILL(m1, 1) breaches without any event", status: Fail,
			mutate: func(s *snapshot.Snapshot) { mathAlarm(s, "FILL(m1, 1)") },
			broken: route.BrokenLink{Link: route.LinkAlarm}, want: []string{"with no log event (no data)", "stays in ALARM"}},
		{name: "metric math over SampleCount with a default value sits in ALARM", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				zero := 0.0
				filterOf(s, "RootAccountUsage").Transformations[0].DefaultValue = &zero
				mathAlarm(s, "m1 * 1")
				alarmOf(s, "RootAccountUsage").Metrics[0].MetricStat.Stat = "SampleCount"
			},
			broken: route.BrokenLink{Link: route.LinkAlarm}, want: []string{"with log events but no match", "stays in ALARM"}},
		{name: "a statistic lookout does not evaluate is ERROR, not FAIL", status: Error,
			mutate: func(s *snapshot.Snapshot) { alarmOf(s, "RootAccountUsage").ExtendedStatistic = "tm99" },
			broken: route.BrokenLink{Link: route.LinkAlarm}, want: []string{`"tm99"`}},
		{name: "dimension from a field: alarm on the series the root events publish to", status: Pass,
			mutate: func(s *snapshot.Snapshot) { dimensionAlarm(s, "Root") }},
		{name: "dimension from a field: alarm on another series", status: Fail,
			mutate: func(s *snapshot.Snapshot) { dimensionAlarm(s, "IAMUser") },
			broken: route.BrokenLink{Link: route.LinkAlarm}, want: []string{"watches only the series {UserType=IAMUser}", "goes to UserType=Root"}},
		{name: "CloudWatch's last attempt to run the action failed", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				east(s).CloudWatch.LastActions = []snapshot.AlarmActionRecord{{AlarmName: "RootAccountUsage", Timestamp: time.Date(2026, 11, 20, 3, 12, 0, 0, time.UTC),
					Summary: "Failed to execute action " + ctlTopic + ". Received error: \"CloudWatch Alarms does not have authorization to access the SNS topic encryption key.\"", Failed: true}}
			},
			broken: route.BrokenLink{Link: route.LinkSubscriber, Hop: route.HopActionHistory}, want: []string{"could not run its action", "does not have authorization"}},
		{name: "a failure recorded for another action of the alarm says nothing of this one", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				old := "arn:aws:sns:us-east-1:111111111111:deleted-topic"
				alarmOf(s, "RootAccountUsage").AlarmActions = []string{old, ctlTopic}
				east(s).CloudWatch.LastActions = []snapshot.AlarmActionRecord{{AlarmName: "RootAccountUsage", Action: old, Timestamp: time.Date(2026, 11, 20, 3, 12, 0, 0, time.UTC),
					Summary: "Failed to execute action " + old + ". Received error: \"Resource does not exist\"", Failed: true}}
			}},
		{name: "the last action succeeded", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				east(s).CloudWatch.LastActions = []snapshot.AlarmActionRecord{{AlarmName: "RootAccountUsage", Summary: "Successfully executed action " + ctlTopic}}
			}},
		{name: "alarm history unreadable", status: Error,
			mutate: func(s *snapshot.Snapshot) {
				east(s).CloudWatch.HistoryError = &snapshot.ReadError{Operation: "cloudwatch:DescribeAlarmHistory", Code: "AccessDenied", Message: "denied"}
			},
			broken: route.BrokenLink{Link: route.LinkSubscriber, Hop: route.HopActionHistory}, want: []string{"cloudwatch:DescribeAlarmHistory"}},
		{name: "trail without global service events records no root console sign-in", status: Fail,
			mutate: func(s *snapshot.Snapshot) { s.Accounts[0].Trails[0].IncludeGlobalServiceEvents = new(bool) },
			broken: route.BrokenLink{Link: route.LinkTrail}, want: []string{"excludes global service events"}},
		{name: "single-region trail", status: Fail,
			mutate: func(s *snapshot.Snapshot) { s.Accounts[0].Trails[0].IsMultiRegion = false },
			broken: route.BrokenLink{Link: route.LinkTrail}, want: []string{"records only us-east-1"}},
	}
	runControlCases(t, RootUsageAlarm(), cases)
}

// mathAlarm turns the root alarm into a metric-math alarm: m1 is the filter's metric.
func mathAlarm(s *snapshot.Snapshot, expr string) {
	a := alarmOf(s, "RootAccountUsage")
	a.Metrics = []snapshot.AlarmQuery{
		{ID: "m1", MetricStat: &snapshot.MetricStat{MetricName: a.MetricName, Namespace: a.Namespace, Period: 300, Stat: "Sum"}},
		{ID: "e1", Expression: expr, ReturnData: true},
	}
	a.UsesMetricMath, a.MetricName, a.Namespace, a.Statistic, a.Period = true, "", "", "", 0
}

// dimensionAlarm publishes the root metric per userIdentity.type and alarms on one value.
func dimensionAlarm(s *snapshot.Snapshot, value string) {
	f := filterOf(s, "RootAccountUsage")
	f.Pattern = `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`
	f.Transformations[0].Dimensions = map[string]string{"UserType": "$.userIdentity.type"}
	alarmOf(s, "RootAccountUsage").Dimensions = map[string]string{"UserType": value}
}

// allowPolicy is a role permission policy allowing action on every resource.
func allowPolicy(action string) []snapshot.RolePolicy {
	return []snapshot.RolePolicy{{Name: "allow-" + strings.ReplaceAll(action, ":", "-"),
		Document: policyDoc(`{"Effect":"Allow","Action":"` + action + `","Resource":"*"}`)}}
}

func TestRuleDelivery(t *testing.T) {
	const roleARN = "arn:aws:iam::111111111111:role/EventBridgeAutomation"
	const runbook = "arn:aws:ssm:us-east-1:111111111111:automation-definition/Restart-Trail:$DEFAULT"
	trustEvents := policyDoc(`{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}`)
	automation := func(trust string, notFound bool) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) {
			rule(s, "us-east-1", "enable_trail").Targets = []snapshot.Target{{ID: "1", ARN: runbook, RoleARN: roleARN}}
			s.Accounts[0].Roles = []snapshot.Role{{ARN: roleARN, Name: "EventBridgeAutomation", TrustPolicy: trust, NotFound: notFound,
				PoliciesRead: true, Policies: append(allowPolicy("ssm:StartAutomationExecution"), allowPolicy("cloudtrail:StartLogging")...)}}
			east(s).Runbooks = &snapshot.RunbookData{Documents: []snapshot.Runbook{{Name: "Restart-Trail", Version: "$DEFAULT", Format: "JSON", Content: startTrailRunbook("")}}}
		}
	}
	remediation := []controlCase{
		{name: "Lambda target that lets this rule invoke it", status: Pass, want: []string{"enable_trail lets EventBridge invoke it"}},
		{name: "Lambda target without a resource-based policy", status: Fail,
			mutate: func(s *snapshot.Snapshot) { fnOf(s, "us-east-1", "enable_trail").Policy = "" },
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopFunction}, want: []string{"Lambda function enable_trail has no resource-based policy"}},
		{name: "Lambda target that lets another rule invoke it", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				fnOf(s, "us-east-1", "enable_trail").Policy = eventsInvokePolicy(fnEnable, "arn:aws:events:us-east-1:111111111111:rule/old_rule")
			},
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopFunction}, want: []string{"does not allow events.amazonaws.com to call lambda:InvokeFunction for arn:aws:events:us-east-1:111111111111:rule/enable_trail"}},
		{name: "Lambda target whose policy was not read", status: Error,
			mutate: func(s *snapshot.Snapshot) { fnOf(s, "us-east-1", "enable_trail").PolicyRead = false },
			broken: route.BrokenLink{Link: route.LinkTarget}, want: []string{"was not collected"}},
		{name: "a broken target before one that cannot be judged: ERROR naming the unjudged one", status: Error,
			mutate: func(s *snapshot.Snapshot) {
				r := rule(s, "us-east-1", "enable_trail")
				r.Targets = append([]snapshot.Target{{ID: "0", ARN: runbook}}, r.Targets...)
				fnOf(s, "us-east-1", "enable_trail").PolicyRead = false
			},
			broken: route.BrokenLink{Link: route.LinkTarget}, want: []string{"has no role", "was not collected"}},
		{name: "SSM Automation through a role that trusts EventBridge", status: Pass, mutate: automation(trustEvents, false)},
		{name: "SSM Automation through a role that trusts only Lambda", status: Fail,
			mutate: automation(policyDoc(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`), false),
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRoleTrust}, want: []string{"role EventBridgeAutomation (trust policy) does not allow events.amazonaws.com to call sts:AssumeRole"}},
		{name: "SSM Automation through a role that trusts EventBridge but may not start automations", status: Fail,
			mutate: both(automation(trustEvents, false), func(s *snapshot.Snapshot) { s.Accounts[0].Roles[0].Policies = allowPolicy("ssm:GetParameter") }),
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRolePolicy}, want: []string{"no policy of role EventBridgeAutomation allows ssm:StartAutomationExecution"}},
		{name: "SSM Automation through a role whose policy denies it", status: Fail,
			mutate: both(automation(trustEvents, false), func(s *snapshot.Snapshot) {
				s.Accounts[0].Roles[0].Policies = append(s.Accounts[0].Roles[0].Policies, snapshot.RolePolicy{Name: "guardrail",
					Document: policyDoc(`{"Effect":"Deny","Action":"ssm:*","Resource":"*"}`)})
			}),
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRolePolicy}, want: []string{"policy guardrail of role EventBridgeAutomation denies ssm:StartAutomationExecution"}},
		{name: "SSM Automation through a role with a permissions boundary", status: Error,
			mutate: both(automation(trustEvents, false), func(s *snapshot.Snapshot) {
				s.Accounts[0].Roles[0].PermissionsBoundary = "arn:aws:iam::111111111111:policy/boundary"
			}),
			broken: route.BrokenLink{Link: route.LinkTarget}, want: []string{"permissions boundary"}},
		{name: "SSM Automation through a role whose permissions were not read", status: Error,
			mutate: both(automation(trustEvents, false), func(s *snapshot.Snapshot) { s.Accounts[0].Roles[0].PoliciesRead = false }),
			broken: route.BrokenLink{Link: route.LinkTarget}, want: []string{"were not collected"}},
		{name: "SSM Automation through a deleted role", status: Fail, mutate: automation("", true),
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRoleTrust}, want: []string{"does not exist"}},
		{name: "SSM Automation without a role", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "enable_trail").Targets = []snapshot.Target{{ID: "1", ARN: runbook}}
			},
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRoleTrust}, want: []string{"has no role"}},
		{name: "rule narrowed to IAM users is bypassed by roles, SSO, federated users and root", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "enable_trail").EventPattern = `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"],"userIdentity":{"type":["IAMUser"]}}}`
			},
			broken: route.BrokenLink{Link: route.LinkRule}, want: []string{"StopLogging by an assumed role", "StopLogging by the root user"}},
	}
	runControlCases(t, StopLoggingRemediation(), remediation)

	signin := []controlCase{
		{name: "SNS target with only the default topic policy, which admits alarms but not EventBridge", region: "us-east-1", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "console-signin").Targets = []snapshot.Target{{ID: "1", ARN: ctlTopic}}
				topicOf(s, "us-east-1", ctlTopic).Policy = defaultTopicPolicy(ctlTopic)
			},
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopTopicPolicy}, want: []string{"does not allow events.amazonaws.com to call sns:Publish"}},
		{name: "SNS target whose policy lets only CloudWatch publish", region: "us-east-1", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "console-signin").Targets = []snapshot.Target{{ID: "1", ARN: ctlTopic}}
				topicOf(s, "us-east-1", ctlTopic).Policy = policyDoc(cwPublishAlarms)
			},
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopTopicPolicy}, want: []string{"does not allow events.amazonaws.com to call sns:Publish"}},
		{name: "SNS target whose message-attribute filter drops the event", region: "us-east-1", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "console-signin").Targets = []snapshot.Target{{ID: "1", ARN: ctlTopic}}
				subscribeOnly(s, snapshot.Subscription{ARN: ctlTopic + ":0c1d", Protocol: "email", Confirmed: true, AttrsRead: true, FilterPolicy: `{"source":["aws.signin"]}`})
			},
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopFilterPolicy}, want: []string{"EventBridge notifications carry none"}},
		{name: "SNS target whose body filter matches the sign-in event", region: "us-east-1", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "console-signin").Targets = []snapshot.Target{{ID: "1", ARN: ctlTopic}}
				subscribeOnly(s, snapshot.Subscription{ARN: ctlTopic + ":0c1d", Protocol: "email", Confirmed: true, AttrsRead: true,
					FilterPolicy: `{"source":["aws.signin"]}`, FilterPolicyScope: "MessageBody"})
			}},
		{name: "SQS target whose queue policy lets this rule send", region: "us-east-1", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "console-signin").Targets = []snapshot.Target{{ID: "1", ARN: ctlQueue}}
				east(s).SQS.Queues = []snapshot.Queue{{ARN: ctlQueue, Policy: policyDoc(`{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + ctlQueue + `","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:events:us-east-1:111111111111:rule/console-signin"}}}`)}}
			},
			want: []string{"SQS queue alerts-queue, which lets EventBridge send to it"}},
		{name: "SQS target without a queue policy", region: "us-east-1", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "console-signin").Targets = []snapshot.Target{{ID: "1", ARN: ctlQueue}}
				east(s).SQS.Queues = []snapshot.Queue{{ARN: ctlQueue}}
			},
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopQueuePolicy}, want: []string{"SQS queue alerts-queue has no resource-based policy"}},
		{name: "SNS target through a deleted role", region: "us-east-1", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "console-signin").Targets = []snapshot.Target{{ID: "1", ARN: ctlTopic, RoleARN: "arn:aws:iam::111111111111:role/gone"}}
				s.Accounts[0].Roles = []snapshot.Role{{ARN: "arn:aws:iam::111111111111:role/gone", Name: "gone", NotFound: true}}
			},
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRoleTrust}, want: []string{"does not exist"}},
		{name: "SNS target through a role that may publish", region: "us-east-1", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "console-signin").Targets = []snapshot.Target{{ID: "1", ARN: ctlTopic, RoleARN: "arn:aws:iam::111111111111:role/publisher"}}
				s.Accounts[0].Roles = []snapshot.Role{{ARN: "arn:aws:iam::111111111111:role/publisher", Name: "publisher", PoliciesRead: true, Policies: allowPolicy("sns:Publish"),
					TrustPolicy: policyDoc(`{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}`)}}
				topicOf(s, "us-east-1", ctlTopic).Policy = defaultTopicPolicy(ctlTopic)
			}},
		{name: "Lambda target through a role that may not invoke it", region: "us-east-1", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "console-signin").Targets[0].RoleARN = "arn:aws:iam::111111111111:role/publisher"
				s.Accounts[0].Roles = []snapshot.Role{{ARN: "arn:aws:iam::111111111111:role/publisher", Name: "publisher", PoliciesRead: true, Policies: allowPolicy("sns:Publish"),
					TrustPolicy: policyDoc(`{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}`)}}
			},
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRolePolicy}, want: []string{"no policy of role publisher allows lambda:InvokeFunction"}},
		{name: "SNS target that rewrites its input: a body filter cannot be judged", region: "us-east-1", status: Error,
			mutate: func(s *snapshot.Snapshot) {
				rule(s, "us-east-1", "console-signin").Targets = []snapshot.Target{{ID: "1", ARN: ctlTopic, InputRewritten: true}}
				subscribeOnly(s, snapshot.Subscription{ARN: ctlTopic + ":0c1d", Protocol: "email", Confirmed: true, AttrsRead: true,
					FilterPolicy: `{"source":["aws.signin"]}`, FilterPolicyScope: "MessageBody"})
			},
			broken: route.BrokenLink{Link: route.LinkTarget}, want: []string{"rewrites what it sends"}},
		{name: "us-west-2 forwards to us-east-1's default bus, whose rule delivers", region: "us-west-2", status: Pass,
			mutate: func(s *snapshot.Snapshot) { forwardWest(s, roleARN, trustEvents) },
			want:   []string{"forwarded to event bus default in account 111111111111, us-east-1", "rule console-signin"}},
		{name: "forwarding without a role to another region", region: "us-west-2", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				forwardWest(s, roleARN, trustEvents)
				rule(s, "us-west-2", "root-signin").Targets[0].RoleARN = ""
			},
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRoleTrust}, want: []string{"needs a role"}},
		{name: "forwarded to a bus where no rule acts on it", region: "us-west-2", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				forwardWest(s, roleARN, trustEvents)
				rule(s, "us-east-1", "console-signin").State = "DISABLED"
			},
			broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopForwardedRule}, want: []string{"forwarding to event bus default", "DISABLED"}},
	}
	runControlCases(t, ConsoleSigninRule(), signin)
}

// forwardWest makes us-west-2's sign-in rule forward to the default bus of us-east-1.
func forwardWest(s *snapshot.Snapshot, roleARN, trust string) {
	rule(s, "us-west-2", "root-signin").Targets = []snapshot.Target{{ID: "fwd", ARN: "arn:aws:events:us-east-1:111111111111:event-bus/default", RoleARN: roleARN}}
	s.Accounts[0].Roles = []snapshot.Role{{ARN: roleARN, Name: "EventBridgeAutomation", TrustPolicy: trust,
		PoliciesRead: true, Policies: allowPolicy("events:PutEvents")}}
}

// TestHostilePoliciesAreErrorInBoundedTime: policies AWS would never store (too big, nested
// beyond reason, garbage) make the finding ERROR quickly, never PASS and never a hang.
func TestHostilePoliciesAreErrorInBoundedTime(t *testing.T) {
	huge := policyDoc(cwPublishAlarms, `{"Sid":"Pad","Effect":"Allow","Principal":"*","Action":"sns:GetTopicAttributes","Resource":"`+strings.Repeat("a", 70<<10)+`"}`)
	deep := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":` +
		strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}}}]}`
	star := policyDoc(strings.Replace(cwPublishAlarms, "arn:aws:cloudwatch:us-east-1:111111111111:alarm:*", strings.Repeat("*a", 4000)+"b", 1))
	for name, doc := range map[string]string{"over 64 KiB": huge, "nested 5000 deep": deep, "not JSON": "{\x00", "pathological wildcard": star} {
		t.Run(name, func(t *testing.T) {
			s := controlsFixture()
			topicOf(s, "us-east-1", ctlTopic).Policy = doc
			start := time.Now()
			fs := Run(s, []*Check{RootUsageAlarm()}, Options{})
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("took %v", d)
			}
			if len(fs) != 1 || fs[0].Status == Pass {
				t.Fatalf("want a non-PASS finding, got %+v", fs)
			}
			if name != "pathological wildcard" && fs[0].Status != Error {
				t.Errorf("status %s, want ERROR: %s", fs[0].Status, fs[0].Message)
			}
		})
	}
}
