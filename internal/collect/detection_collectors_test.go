package collect

import (
	"archive/zip"
	"bytes"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// lambdaZip is a deployment package built in memory: moto stores it without running it.
func lambdaZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.Create("lambda_function.py")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("def lambda_handler(event, context):\n    return None\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCollectDetectionServices builds the StopLogging auto-remediation control and the AWS
// CloudTrail guide's root-usage filter and alarm in moto, then checks that the collector reads
// every piece the checks need and none of the secrets (Lambda environment, subscription
// endpoints, target input).
func TestCollectDetectionServices(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Ctx(t)
	const region = "ap-northeast-2"
	cfg := srv.Config(region)

	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("enable_trail-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	fn, err := lambda.NewFromConfig(cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("enable_trail"),
		Runtime:      lambdatypes.RuntimePython312,
		Role:         role.Role.Arn,
		Handler:      aws.String("lambda_function.lambda_handler"),
		Code:         &lambdatypes.FunctionCode{ZipFile: lambdaZip(t)},
		Environment:  &lambdatypes.Environment{Variables: map[string]string{"HOOK_URL": "https://hooks.slack.com/services/SECRET"}},
	})
	if err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	eb := eventbridge.NewFromConfig(cfg)
	pattern := `{"source":["aws.cloudtrail"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":["StopLogging"]}}`
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("enable_trail"), EventPattern: aws.String(pattern), State: ebtypes.RuleStateEnabled}); err != nil {
		t.Fatalf("PutRule: %v", err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("enable_trail"), Targets: []ebtypes.Target{
		{Id: aws.String("fn"), Arn: fn.FunctionArn, Input: aws.String(`{"token":"SECRET"}`)},
	}}); err != nil {
		t.Fatalf("PutTargets: %v", err)
	}

	logs := cloudwatchlogs.NewFromConfig(cfg)
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("aws-cloudtrail-logs")}); err != nil {
		t.Fatalf("CreateLogGroup: %v", err)
	}
	if _, err := logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName:  aws.String("aws-cloudtrail-logs"),
		FilterName:    aws.String("RootAccountUsage"),
		FilterPattern: aws.String(`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`),
		MetricTransformations: []logtypes.MetricTransformation{{
			MetricName: aws.String("RootAccountUsageCount"), MetricNamespace: aws.String("CloudTrailMetrics"), MetricValue: aws.String("1"),
		}},
	}); err != nil {
		t.Fatalf("PutMetricFilter: %v", err)
	}

	snsc := sns.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("security-alerts")})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("secops@example.com")}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if _, err := awsclient.CloudWatch(cfg).PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("RootAccountUsage"), MetricName: aws.String("RootAccountUsageCount"), Namespace: aws.String("CloudTrailMetrics"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, ActionsEnabled: aws.Bool(true),
		AlarmActions: []string{aws.ToString(topic.TopicArn)},
	}); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}

	c := New(Options{Regions: []string{region}, Now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)})
	snap, err := c.Snapshot(ctx, []Target{{Config: cfg}})
	if err != nil {
		t.Fatal(err)
	}
	r := snap.Accounts[0].Region(region)
	if r == nil {
		t.Fatalf("region %s missing", region)
	}
	for name, e := range map[string]*snapshot.ReadError{"eventbridge": r.EventBridge.Error, "logs": r.Logs.Error, "metric filters": r.Logs.MetricFiltersError,
		"cloudwatch": r.CloudWatch.Error, "sns": r.SNS.Error, "lambda": r.Lambda.Error} {
		if e != nil {
			t.Errorf("%s read error: %v", name, e)
		}
	}

	if len(r.EventBridge.Rules) != 1 {
		t.Fatalf("rules = %+v, want the enable_trail rule", r.EventBridge.Rules)
	}
	rule := r.EventBridge.Rules[0]
	if rule.State != "ENABLED" || rule.EventPattern != pattern || len(rule.Targets) != 1 || rule.Targets[0].ARN != aws.ToString(fn.FunctionArn) {
		t.Errorf("rule = %+v, want ENABLED with the StopLogging pattern and the Lambda target", rule)
	}
	if len(r.Lambda.Functions) != 1 || r.Lambda.Functions[0].ARN != aws.ToString(fn.FunctionArn) || r.Lambda.Functions[0].Runtime != "python3.12" {
		t.Errorf("functions = %+v", r.Lambda.Functions)
	}
	if len(r.Logs.LogGroups) != 1 || r.Logs.LogGroups[0].Name != "aws-cloudtrail-logs" || r.Logs.LogGroups[0].ARN == "" {
		t.Errorf("log groups = %+v", r.Logs.LogGroups)
	}
	if len(r.Logs.MetricFilters) != 1 {
		t.Fatalf("metric filters = %+v", r.Logs.MetricFilters)
	}
	mf := r.Logs.MetricFilters[0]
	if mf.LogGroupName != "aws-cloudtrail-logs" || len(mf.Transformations) != 1 || mf.Transformations[0].MetricName != "RootAccountUsageCount" ||
		mf.Transformations[0].MetricNamespace != "CloudTrailMetrics" || mf.Transformations[0].MetricValue != "1" {
		t.Errorf("metric filter = %+v", mf)
	}
	if len(r.CloudWatch.Alarms) != 1 {
		t.Fatalf("alarms = %+v", r.CloudWatch.Alarms)
	}
	al := r.CloudWatch.Alarms[0]
	if al.MetricName != "RootAccountUsageCount" || al.Statistic != "Sum" || al.Threshold != 1 || al.ComparisonOperator != "GreaterThanOrEqualToThreshold" ||
		!al.ActionsEnabled || len(al.AlarmActions) != 1 || al.AlarmActions[0] != aws.ToString(topic.TopicArn) || al.Period != 300 {
		t.Errorf("alarm = %+v", al)
	}
	if len(r.SNS.Topics) != 1 || len(r.SNS.Topics[0].Subscriptions) != 1 || !r.SNS.Topics[0].Subscriptions[0].Confirmed ||
		r.SNS.Topics[0].Subscriptions[0].Protocol != "email" {
		t.Errorf("topics = %+v", r.SNS.Topics)
	}

	var buf bytes.Buffer
	if err := snapshot.Write(&buf, snap); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"SECRET", "secops@example.com", "hooks.slack.com"} {
		if bytes.Contains(buf.Bytes(), []byte(secret)) {
			t.Errorf("snapshot contains %q: environment, endpoints and target input must never be stored", secret)
		}
	}
}

// TestCollectPendingSubscription: a subscriber that has not confirmed is recorded as
// unconfirmed, and a confirmed one next to it as confirmed. (The moto launcher keeps
// subscriptions to endpoints in the reserved .invalid domain pending, as AWS would, since
// they can never confirm.)
func TestCollectPendingSubscription(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Ctx(t)
	cfg := srv.Config("us-east-1")
	snsc := sns.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts")})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ protocol, endpoint string }{{"https", "https://hooks.example.invalid/x"}, {"sqs", "arn:aws:sqs:us-east-1:123456789012:q"}} {
		if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String(s.protocol), Endpoint: aws.String(s.endpoint)}); err != nil {
			t.Fatal(err)
		}
	}
	d := &snapshot.Region{}
	collectSNS(ctx, newRegionClients(cfg, motoserver.DefaultAccount, "us-east-1"), d)
	if d.SNS.Error != nil || len(d.SNS.Topics) != 1 {
		t.Fatalf("sns = %+v", d.SNS)
	}
	got := map[string]snapshot.Subscription{}
	for _, s := range d.SNS.Topics[0].Subscriptions {
		got[s.Protocol] = s
	}
	if s := got["https"]; s.Confirmed || s.ARN != pendingConfirmation {
		t.Errorf("https subscription = %+v, want unconfirmed (PendingConfirmation)", s)
	}
	if s := got["sqs"]; !s.Confirmed || s.ARN == pendingConfirmation {
		t.Errorf("sqs subscription = %+v, want confirmed", s)
	}
}
