package checks_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsclient"
)

// The delivery misconfigurations of real accounts, built in moto one at a time on top of the
// designs' complete controls. AWS accepts every one of them; each must FAIL (or ERROR) with the
// hop that breaks named.

func (w *controlWorld) topicAttr(topic, name, value string) {
	w.t.Helper()
	_, err := sns.NewFromConfig(w.cfg(home)).SetTopicAttributes(w.ctx, &sns.SetTopicAttributesInput{
		TopicArn: aws.String(topic), AttributeName: aws.String(name), AttributeValue: aws.String(value)})
	w.must("SetTopicAttributes "+name, err)
}

const cloudWatchOnlyPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"AlarmsOnly","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},` +
	`"Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:123456789012:security-alerts","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"}}}]}`

func TestMotoTopicDelivery(t *testing.T) {
	t.Parallel()
	w := buildControlWorld(t)
	root, ec2rule := checks.RootUsageAlarm(), checks.EC2StateChangeRule()
	w.runInstance()
	w.expect(ec2rule, home, checks.Pass, "SNS topic security-alerts (1 confirmed subscription(s): email)")

	// The policy a team writes for its alarms keeps working for them, and shuts EventBridge out.
	w.topicAttr(w.topic, "Policy", cloudWatchOnlyPolicy)
	w.expect(root, home, checks.Pass)
	w.expect(ec2rule, home, checks.Fail, "the policy of SNS topic security-alerts does not allow events.amazonaws.com to call sns:Publish")

	// The default policy alone admits the account's alarms but not EventBridge.
	w.topicAttr(w.topic, "Policy", defaultPolicy(w.topic))
	w.expect(root, home, checks.Pass)
	w.expect(ec2rule, home, checks.Fail, "does not allow events.amazonaws.com to call sns:Publish")

	// Encrypted with the AWS managed key: neither CloudWatch nor EventBridge can use it.
	w.topicAttr(w.topic, "Policy", consolePolicy(w.topic))
	w.topicAttr(w.topic, "KmsMasterKeyId", "alias/aws/sns")
	w.expect(root, home, checks.Fail, "broken link: SNS topic", "AWS managed key alias/aws/sns")

	// A customer managed key with the default key policy, then one that admits CloudWatch.
	k := kms.NewFromConfig(w.cfg(home))
	key, err := k.CreateKey(w.ctx, &kms.CreateKeyInput{Description: aws.String("alerts")})
	w.must("CreateKey", err)
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	w.topicAttr(w.topic, "KmsMasterKeyId", keyARN)
	w.expect(root, home, checks.Fail, "broken link: SNS topic", "does not allow cloudwatch.amazonaws.com to call kms:GenerateDataKey")
	_, err = k.PutKeyPolicy(w.ctx, &kms.PutKeyPolicyInput{KeyId: key.KeyMetadata.KeyId, PolicyName: aws.String("default"), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},` +
			`{"Sid":"CloudWatchAlarms","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}]}`)})
	w.must("PutKeyPolicy", err)
	w.expect(root, home, checks.Pass)
	w.expect(ec2rule, home, checks.Fail, "does not allow events.amazonaws.com to call kms:GenerateDataKey")
	w.topicAttr(w.topic, "KmsMasterKeyId", "")

	// A subscription filter policy on message attributes drops every alarm notification.
	snsc := sns.NewFromConfig(w.cfg(home))
	subs, err := snsc.ListSubscriptionsByTopic(w.ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(w.topic)})
	w.must("ListSubscriptionsByTopic", err)
	emailSub := subs.Subscriptions[0].SubscriptionArn
	_, err = snsc.SetSubscriptionAttributes(w.ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: emailSub,
		AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(`{"severity":["critical"]}`)})
	w.must("SetSubscriptionAttributes", err)
	w.expect(root, home, checks.Fail, "broken link: confirmed subscriber", "filter policy (scope MessageAttributes)")

	// An SQS subscriber: delivered only once its queue policy lets the topic send.
	q := sqs.NewFromConfig(w.cfg(home))
	queue, err := q.CreateQueue(w.ctx, &sqs.CreateQueueInput{QueueName: aws.String("alerts-queue")})
	w.must("CreateQueue", err)
	queueARN := "arn:aws:sqs:us-east-1:123456789012:alerts-queue"
	_, err = snsc.Subscribe(w.ctx, &sns.SubscribeInput{TopicArn: aws.String(w.topic), Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN)})
	w.must("Subscribe sqs", err)
	w.expect(root, home, checks.Fail, "SQS queue alerts-queue has no resource-based policy")
	_, err = q.SetQueueAttributes(w.ctx, &sqs.SetQueueAttributesInput{QueueUrl: queue.QueueUrl, Attributes: map[string]string{"Policy": `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + queueARN + `","Condition":{"ArnEquals":{"aws:SourceArn":"` + w.topic + `"}}}]}`}})
	w.must("SetQueueAttributes", err)
	w.expect(root, home, checks.Pass, "1 confirmed subscription(s): sqs")
}

// consolePolicy is the default topic policy plus the statement the EventBridge console adds
// for a rule target.
func consolePolicy(topic string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},` +
		`"Action":["SNS:Publish","SNS:Subscribe"],"Resource":"` + topic + `","Condition":{"StringEquals":{"AWS:SourceOwner":"123456789012"}}},` +
		`{"Sid":"AWSEvents","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topic + `"}]}`
}

func setPolicy(w *controlWorld, topic, policy string) error {
	_, err := sns.NewFromConfig(w.cfg(home)).SetTopicAttributes(w.ctx, &sns.SetTopicAttributesInput{
		TopicArn: aws.String(topic), AttributeName: aws.String("Policy"), AttributeValue: aws.String(policy)})
	return err
}

// defaultPolicy is SNS's default topic policy.
func defaultPolicy(topic string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},` +
		`"Action":["SNS:Publish","SNS:Subscribe"],"Resource":"` + topic + `","Condition":{"StringEquals":{"AWS:SourceOwner":"123456789012"}}}]}`
}

func (w *controlWorld) runInstance() {
	w.t.Helper()
	_, err := ec2.NewFromConfig(w.cfg(home)).RunInstances(w.ctx, &ec2.RunInstancesInput{
		ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
	})
	w.must("RunInstances", err)
}

func TestMotoMetricLeg(t *testing.T) {
	t.Parallel()
	w := buildControlWorld(t)
	root := checks.RootUsageAlarm()
	w.rootAlarm(func(in *cloudwatch.PutMetricAlarmInput) { in.Unit = cwtypes.StandardUnitCount })
	w.expect(root, home, checks.Fail, "broken link: alarm", "unit Count does not match the unit the filter publishes (None)")

	cw := awsclient.CloudWatch(w.cfg(home))
	_, err := cw.PutMetricAlarm(w.ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("RootAccountUsage"), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, ActionsEnabled: aws.Bool(true), AlarmActions: []string{w.topic},
		Metrics: []cwtypes.MetricDataQuery{
			{Id: aws.String("m1"), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(300), Stat: aws.String("Sum"),
				Metric: &cwtypes.Metric{MetricName: aws.String("RootAccountUsageCount"), Namespace: aws.String("CloudTrailMetrics")}}},
			{Id: aws.String("e1"), Expression: aws.String("FILL(m1, 0)"), ReturnData: aws.Bool(true)},
		},
	})
	w.must("PutMetricAlarm (math)", err)
	w.expect(root, home, checks.Pass, "RootAccountUsage")

	// The alarm with actions disabled notifies through a composite alarm whose rule it raises.
	w.rootAlarm(func(in *cloudwatch.PutMetricAlarmInput) { in.ActionsEnabled, in.AlarmActions = aws.Bool(false), nil })
	w.expect(root, home, checks.Fail, "its actions are disabled")
	_, err = cw.PutCompositeAlarm(w.ctx, &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("security-rollup"),
		AlarmRule: aws.String(`ALARM("RootAccountUsage") OR ALARM(SomethingElse)`), ActionsEnabled: aws.Bool(true), AlarmActions: []string{w.topic}})
	w.must("PutCompositeAlarm", err)
	w.expect(root, home, checks.Error, "SomethingElse") // an alarm the rule names that does not exist: its state is unknown
	_, err = cw.PutCompositeAlarm(w.ctx, &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("security-rollup"),
		AlarmRule: aws.String(`ALARM("RootAccountUsage") OR ALARM("arn:aws:cloudwatch:us-east-1:123456789012:alarm:RootAccountUsage")`), ActionsEnabled: aws.Bool(true), AlarmActions: []string{w.topic}})
	w.must("PutCompositeAlarm", err)
	w.expect(root, home, checks.Pass, "raises composite alarm security-rollup")
	// Its suppressor is the alarm itself: in ALARM on the same event, it holds the actions back.
	_, err = cw.PutCompositeAlarm(w.ctx, &cloudwatch.PutCompositeAlarmInput{AlarmName: aws.String("security-rollup"),
		AlarmRule: aws.String(`ALARM("RootAccountUsage")`), ActionsEnabled: aws.Bool(true), AlarmActions: []string{w.topic},
		ActionsSuppressor: aws.String("RootAccountUsage"), ActionsSuppressorWaitPeriod: aws.Int32(60), ActionsSuppressorExtensionPeriod: aws.Int32(60)})
	w.must("PutCompositeAlarm", err)
	w.expect(root, home, checks.Fail, "holds its actions back")
	w.rootAlarm(nil)

	// A trail that leaves out global service events records no root console sign-in.
	_, err = cloudtrail.NewFromConfig(w.cfg(home)).UpdateTrail(w.ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"), IncludeGlobalServiceEvents: aws.Bool(false)})
	w.must("UpdateTrail", err)
	w.expect(root, home, checks.Fail, "broken link: trail", "excludes global service events")
	w.expect(checks.CloudTrailLogging(), home, checks.Fail, "excludes global service events")
}

func TestMotoRuleTargetDelivery(t *testing.T) {
	t.Parallel()
	w := buildControlWorld(t)
	stop, signin := checks.StopLoggingRemediation(), checks.ConsoleSigninRule()

	// A Lambda target whose permission was removed (or never added, as with the CLI).
	_, err := lambda.NewFromConfig(w.cfg(home)).RemovePermission(w.ctx, &lambda.RemovePermissionInput{
		FunctionName: aws.String("enable_trail"), StatementId: aws.String("events-enable_trail")})
	w.must("RemovePermission", err)
	w.expect(stop, home, checks.Fail, "Lambda function enable_trail has no resource-based policy")

	// An SSM Automation runbook through a role: delivered only if the role trusts EventBridge.
	iamc := iam.NewFromConfig(w.cfg(home))
	role, err := iamc.CreateRole(w.ctx, &iam.CreateRoleInput{RoleName: aws.String("StartTrailAutomation"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	w.must("CreateRole", err)
	// A custom runbook that restarts the trail named in its parameter, with no assumeRole: it
	// acts with the role that starts it.
	_, err = ssm.NewFromConfig(w.cfg(home)).CreateDocument(w.ctx, &ssm.CreateDocumentInput{Name: aws.String("StartTrail"),
		DocumentType: ssmtypes.DocumentTypeAutomation, DocumentFormat: ssmtypes.DocumentFormatYaml,
		Content: aws.String("schemaVersion: '0.3'\nparameters:\n  TrailName:\n    type: String\n    default: main\nmainSteps:\n" +
			"  - name: Start\n    action: aws:executeAwsApi\n    inputs:\n      Service: cloudtrail\n      Api: StartLogging\n      Name: '{{ TrailName }}'\n")})
	w.must("CreateDocument", err)
	eb := eventbridge.NewFromConfig(w.cfg(home))
	_, err = eb.PutTargets(w.ctx, &eventbridge.PutTargetsInput{Rule: aws.String("enable_trail"), Targets: []ebtypes.Target{{Id: aws.String("1"),
		Arn: aws.String("arn:aws:ssm:us-east-1:123456789012:automation-definition/StartTrail:$DEFAULT"), RoleArn: role.Role.Arn}}})
	w.must("PutTargets automation", err)
	w.expect(stop, home, checks.Fail, "role StartTrailAutomation (trust policy) does not allow events.amazonaws.com to call sts:AssumeRole")
	_, err = iamc.UpdateAssumeRolePolicy(w.ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("StartTrailAutomation"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ssm.amazonaws.com","events.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`)})
	w.must("UpdateAssumeRolePolicy", err)
	w.expect(stop, home, checks.Fail, "no policy of role StartTrailAutomation allows ssm:StartAutomationExecution")
	_, err = iamc.PutRolePolicy(w.ctx, &iam.PutRolePolicyInput{RoleName: aws.String("StartTrailAutomation"), PolicyName: aws.String("start-automation"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:StartAutomationExecution","Resource":"arn:aws:ssm:us-east-1:123456789012:automation-definition/StartTrail:*"}]}`)})
	w.must("PutRolePolicy", err)
	// Started, the runbook's StartLogging step runs as the starting role, which may not call it.
	w.expect(stop, home, checks.Fail, "step Start calls cloudtrail:StartLogging with the role that starts it", "no policy of role StartTrailAutomation allows cloudtrail:StartLogging")
	_, err = iamc.PutRolePolicy(w.ctx, &iam.PutRolePolicyInput{RoleName: aws.String("StartTrailAutomation"), PolicyName: aws.String("start-logging"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:StartLogging","Resource":"arn:aws:cloudtrail:*:123456789012:trail/*"}]}`)})
	w.must("PutRolePolicy start-logging", err)
	w.expect(stop, home, checks.Pass, "SSM Automation runbook StartTrail", "its step Start calls cloudtrail:StartLogging")

	// A rule narrowed to IAM users misses StopLogging by a role, SSO, a federated user or root.
	w.rule(home, "enable_trail", `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"],"userIdentity":{"type":["IAMUser"]}}}`,
		"arn:aws:ssm:us-east-1:123456789012:automation-definition/StartTrail:$DEFAULT")
	w.expect(stop, home, checks.Fail, "StopLogging by an assumed role")

	// An SQS queue as the us-east-1 sign-in target: delivered only once its policy admits the rule.
	q := sqs.NewFromConfig(w.cfg(home))
	queue, err := q.CreateQueue(w.ctx, &sqs.CreateQueueInput{QueueName: aws.String("signin-events")})
	w.must("CreateQueue", err)
	queueARN := "arn:aws:sqs:us-east-1:123456789012:signin-events"
	eb = eventbridge.NewFromConfig(w.cfg(home))
	_, err = eb.RemoveTargets(w.ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("console-signin"), Ids: []string{"1"}})
	w.must("RemoveTargets", err)
	_, err = eb.PutTargets(w.ctx, &eventbridge.PutTargetsInput{Rule: aws.String("console-signin"), Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(queueARN)}}})
	w.must("PutTargets queue", err)
	w.expect(signin, home, checks.Fail, "SQS queue signin-events has no resource-based policy")
	_, err = q.SetQueueAttributes(w.ctx, &sqs.SetQueueAttributesInput{QueueUrl: queue.QueueUrl, Attributes: map[string]string{"Policy": `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + queueARN + `","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:events:us-east-1:123456789012:rule/console-signin"}}}]}`}})
	w.must("SetQueueAttributes", err)
	w.expect(signin, home, checks.Pass, "SQS queue signin-events, which lets EventBridge send to it")

	// us-west-2 forwards sign-in events to us-east-1's default bus, whose rule delivers them.
	ebW := eventbridge.NewFromConfig(w.cfg(west))
	_, err = ebW.RemoveTargets(w.ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("console-signin"), Ids: []string{"1"}})
	w.must("RemoveTargets", err)
	fwd, err := iamc.CreateRole(w.ctx, &iam.CreateRoleInput{RoleName: aws.String("ForwardSignin"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	w.must("CreateRole forward", err)
	_, err = iamc.PutRolePolicy(w.ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ForwardSignin"), PolicyName: aws.String("put-events"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"events:PutEvents","Resource":"arn:aws:events:us-east-1:123456789012:event-bus/default"}]}`)})
	w.must("PutRolePolicy forward", err)
	_, err = ebW.PutTargets(w.ctx, &eventbridge.PutTargetsInput{Rule: aws.String("console-signin"), Targets: []ebtypes.Target{{Id: aws.String("fwd"),
		Arn: aws.String("arn:aws:events:us-east-1:123456789012:event-bus/default"), RoleArn: fwd.Role.Arn}}})
	w.must("PutTargets forward", err)
	w.expect(signin, west, checks.Pass, "forwarded to event bus default in account 123456789012, us-east-1")
}
