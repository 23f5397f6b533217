package checks_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/detection"
)

func cisCheck(t *testing.T, id string) *checks.Check {
	for _, c := range checks.CISMonitoring {
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
