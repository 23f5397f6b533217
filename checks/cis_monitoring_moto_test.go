package checks_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/detection"
)

func cisCheck(t *testing.T, id string) *checks.Check {
	for _, c := range checks.CISMonitoring() {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s", id)
	return nil
}

func refPattern(key string) string {
	for _, c := range detection.CISControls() {
		if c.Key == key {
			return c.RefPattern
		}
	}
	panic(key)
}

// filterAndAlarm puts a metric filter on the trail's log group and an alarm on its metric.
func (w *controlWorld) filterAndAlarm(name, pattern string) {
	w.t.Helper()
	_, err := cloudwatchlogs.NewFromConfig(w.cfg(home)).PutMetricFilter(w.ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: aws.String(logGroup), FilterName: aws.String(name), FilterPattern: aws.String(pattern),
		MetricTransformations: []logtypes.MetricTransformation{{MetricName: aws.String(name + "Count"), MetricNamespace: aws.String("CISBenchmark"), MetricValue: aws.String("1")}},
	})
	w.must("PutMetricFilter "+name, err)
	_, err = awsclient.CloudWatch(w.cfg(home)).PutMetricAlarm(w.ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name), MetricName: aws.String(name + "Count"), Namespace: aws.String("CISBenchmark"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, ActionsEnabled: aws.Bool(true), AlarmActions: []string{w.topic},
	})
	w.must("PutMetricAlarm "+name, err)
}

// TestMotoCISMonitoring builds both routes in moto: IAM policy changes by the Security Hub
// filter, security group changes by rules in both regions, then breaks each.
func TestMotoCISMonitoring(t *testing.T) {
	t.Parallel()
	w := buildControlWorld(t)
	iam := cisCheck(t, "cloudwatch-iam-policy-changes-alarm")
	sg := cisCheck(t, "cloudwatch-security-group-changes-alarm")

	w.expect(iam, home, checks.Fail, "IAM policy changes are not monitored", "by EventBridge, no rule delivers them in us-east-1")
	w.filterAndAlarm("IAMPolicyChanges", refPattern("iam-policy-changes"))
	w.expect(iam, home, checks.Pass, "by metric filter", "IAMPolicyChanges")
	// A careless wildcard: every IAM write, including CreateUser, and every IAM read.
	w.filterAndAlarm("IAMPolicyChanges", `{ $.eventSource = "iam.amazonaws.com" }`)
	w.expect(iam, home, checks.Fail, "also matches", "would also fire")

	const sgPattern = `{"source":["aws.ec2"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":["AuthorizeSecurityGroupIngress","AuthorizeSecurityGroupEgress","RevokeSecurityGroupIngress","RevokeSecurityGroupEgress","CreateSecurityGroup","DeleteSecurityGroup"]}}`
	w.rule(home, "sg-changes", sgPattern, w.fns[home+"/signin-to-slack"])
	w.expect(sg, "us-east-1", checks.Fail, "no rule delivers them in us-west-2", "covered: us-east-1: rule sg-changes")
	w.rule(west, "sg-changes", sgPattern, w.fns[west+"/signin-to-slack"])
	w.expect(sg, "global", checks.Pass, "by EventBridge", "us-west-2: rule sg-changes")
	_, err := eventbridge.NewFromConfig(w.cfg(west)).DisableRule(w.ctx, &eventbridge.DisableRuleInput{Name: aws.String("sg-changes")})
	w.must("DisableRule", err)
	w.expect(sg, "us-east-1", checks.Fail, "us-west-2 (closest: rule sg-changes in us-west-2: it is DISABLED")
}

// TestMotoCISMonitoringUnionAndForwarding: in moto, security group changes monitored by two
// us-east-1 rules each holding half the event names, and us-west-2 covered by a
// forward-everything rule whose events the us-east-1 rules act on.
func TestMotoCISMonitoringUnionAndForwarding(t *testing.T) {
	t.Parallel()
	w := buildControlWorld(t)
	sg := cisCheck(t, "cloudwatch-security-group-changes-alarm")
	slack := w.fns[home+"/signin-to-slack"]
	w.rule(home, "sg-grants", `{"source":["aws.ec2"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":["AuthorizeSecurityGroupIngress","AuthorizeSecurityGroupEgress","RevokeSecurityGroupIngress"]}}`, slack)
	w.expect(sg, "us-east-1", checks.Fail, "misses")
	w.rule(home, "sg-lifecycle", `{"source":["aws.ec2"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":["RevokeSecurityGroupEgress","CreateSecurityGroup","DeleteSecurityGroup"]}}`, slack)
	w.expect(sg, "us-east-1", checks.Fail, "no rule delivers them in us-west-2", "sg-grants + sg-lifecycle")

	// us-west-2 forwards every AWS event to the us-east-1 default bus through a role.
	iamc := iam.NewFromConfig(w.cfg(home))
	fwd, err := iamc.CreateRole(w.ctx, &iam.CreateRoleInput{RoleName: aws.String("ForwardAll"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	w.must("CreateRole", err)
	_, err = iamc.PutRolePolicy(w.ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ForwardAll"), PolicyName: aws.String("put-events"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"events:PutEvents","Resource":"arn:aws:events:us-east-1:123456789012:event-bus/default"}]}`)})
	w.must("PutRolePolicy", err)
	ebW := eventbridge.NewFromConfig(w.cfg(west))
	_, err = ebW.PutRule(w.ctx, &eventbridge.PutRuleInput{Name: aws.String("forward-all"), EventPattern: aws.String(`{"source":[{"prefix":"aws."}]}`), State: ebtypes.RuleStateEnabled})
	w.must("PutRule", err)
	_, err = ebW.PutTargets(w.ctx, &eventbridge.PutTargetsInput{Rule: aws.String("forward-all"), Targets: []ebtypes.Target{{Id: aws.String("fwd"),
		Arn: aws.String("arn:aws:events:us-east-1:123456789012:event-bus/default"), RoleArn: fwd.Role.Arn}}})
	w.must("PutTargets", err)
	w.expect(sg, "global", checks.Pass, "by EventBridge", "forwarded to event bus default in account 123456789012, us-east-1")
}
