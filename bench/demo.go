// Package bench holds lookout's performance benchmarks (go test -bench, see BENCHMARKS.md), the
// demo state they seed moto with, and Replay, the server that answers recorded moto answers
// concurrently, each held a round trip (replay.go). The benchmarks that run on moto itself add
// their round trip with internal/faultproxy, with latency and no faults.
//
// Nothing here runs in the ordinary test suite: the package has benchmarks only.
package bench

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/lookout-audit/lookout/internal/awsclient"
)

// rootPattern is the CIS root-usage metric filter.
const rootPattern = `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`

// SeedDemo gives one account the detection setup a benchmark reads: a logging multi-region
// trail homed in regions[0], and in every region a log group with the CIS root-usage metric
// filter, an alarm on it notifying an SNS topic with an email subscriber, and an EventBridge
// console sign-in rule targeting the topic. Every service lookout reads then has something
// to list and something to follow (targets, subscriptions), as in a real account.
func SeedDemo(ctx context.Context, cfg aws.Config, account string, regions []string) error {
	home := cfg.Copy()
	home.Region = regions[0]
	bucket := "trail-logs-" + account
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true; o.Region = "us-east-1" }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("s3:CreateBucket: %w", err)
	}
	ct := cloudtrail.NewFromConfig(home)
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("org-main"), S3BucketName: aws.String(bucket), IsMultiRegionTrail: aws.Bool(true)}); err != nil {
		return fmt.Errorf("cloudtrail:CreateTrail: %w", err)
	}
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("org-main")}); err != nil {
		return fmt.Errorf("cloudtrail:StartLogging: %w", err)
	}
	for _, region := range regions {
		rc := cfg.Copy()
		rc.Region = region
		topic, err := sns.NewFromConfig(rc).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("security-alerts")})
		if err != nil {
			return fmt.Errorf("sns:CreateTopic in %s: %w", region, err)
		}
		if _, err := sns.NewFromConfig(rc).Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("secops@example.com")}); err != nil {
			return fmt.Errorf("sns:Subscribe in %s: %w", region, err)
		}
		logs := cloudwatchlogs.NewFromConfig(rc)
		group := "/aws/cloudtrail/org-main"
		if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
			return fmt.Errorf("logs:CreateLogGroup in %s: %w", region, err)
		}
		if _, err := logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
			LogGroupName: aws.String(group), FilterName: aws.String("root-usage"), FilterPattern: aws.String(rootPattern),
			MetricTransformations: []logstypes.MetricTransformation{{MetricName: aws.String("RootUsage"), MetricNamespace: aws.String("CISBenchmark"), MetricValue: aws.String("1")}},
		}); err != nil {
			return fmt.Errorf("logs:PutMetricFilter in %s: %w", region, err)
		}
		if _, err := awsclient.CloudWatch(rc).PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String("root-usage"), MetricName: aws.String("RootUsage"), Namespace: aws.String("CISBenchmark"),
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, AlarmActions: []string{aws.ToString(topic.TopicArn)},
		}); err != nil {
			return fmt.Errorf("cloudwatch:PutMetricAlarm in %s: %w", region, err)
		}
		eb := eventbridge.NewFromConfig(rc)
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{
			Name:         aws.String("console-signin"),
			EventPattern: aws.String(`{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"]}`),
		}); err != nil {
			return fmt.Errorf("events:PutRule in %s: %w", region, err)
		}
		if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("console-signin"), Targets: []ebtypes.Target{{Id: aws.String("sns"), Arn: topic.TopicArn}}}); err != nil {
			return fmt.Errorf("events:PutTargets in %s: %w", region, err)
		}
	}
	return nil
}
