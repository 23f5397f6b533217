package checks_test

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/collect"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// controlWorld builds the detection controls of the published designs in moto, the way an
// engineer following them would: a multi-region trail homed in us-east-1 delivering to a log
// group (the AWS CloudTrail guide's filters and alarms to a subscribed SNS topic), the
// StopLogging rule with its StartLogging Lambda (the StopLogging auto-remediation design), the
// console sign-in rule with a Lambda target in us-east-1 and us-west-2 (the console sign-in
// alert design) and the EC2 state-change notification rule to SNS.
type controlWorld struct {
	t     *testing.T
	srv   *motoserver.Server
	ctx   context.Context
	topic string
	role  string
	fns   map[string]string // region/name -> ARN
}

const (
	home     = "us-east-1"
	west     = "us-west-2"
	logGroup = "aws-cloudtrail-logs"
)

func (w *controlWorld) cfg(region string) aws.Config { return w.srv.Config(region) }

func (w *controlWorld) must(what string, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("%s: %v\nmoto:\n%s", what, err, tail(w.srv.Logs()))
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

func zipped(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.Create("lambda_function.py")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte("import boto3\ndef lambda_handler(event, context):\n    boto3.client('cloudtrail').start_logging(Name=event['detail']['requestParameters']['name'])\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (w *controlWorld) function(region, name string) string {
	out, err := lambda.NewFromConfig(w.cfg(region)).CreateFunction(w.ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: lambdatypes.RuntimePython312, Role: aws.String(w.role),
		Handler: aws.String("lambda_function.lambda_handler"), Code: &lambdatypes.FunctionCode{ZipFile: zipped(w.t)},
	})
	w.must("CreateFunction "+name, err)
	w.fns[region+"/"+name] = aws.ToString(out.FunctionArn)
	return aws.ToString(out.FunctionArn)
}

func (w *controlWorld) rule(region, name, pattern, target string) {
	eb := eventbridge.NewFromConfig(w.cfg(region))
	put, err := eb.PutRule(w.ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(pattern), State: ebtypes.RuleStateEnabled})
	w.must("PutRule "+name, err)
	_, err = eb.PutTargets(w.ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: []ebtypes.Target{{Id: aws.String("1"), Arn: aws.String(target)}}})
	w.must("PutTargets "+name, err)
	if strings.Contains(target, ":function:") {
		// What the console does when it adds a Lambda target: let this rule invoke it.
		_, err = lambda.NewFromConfig(w.cfg(region)).AddPermission(w.ctx, &lambda.AddPermissionInput{
			FunctionName: aws.String(target), StatementId: aws.String("events-" + name), Action: aws.String("lambda:InvokeFunction"),
			Principal: aws.String("events.amazonaws.com"), SourceArn: put.RuleArn,
		})
		w.must("AddPermission "+name, err)
	}
}

// rootAlarm is the AWS CloudTrail guide's alarm table: >= 1, 1 datapoint, 5 minutes, Sum.
func (w *controlWorld) rootAlarm(mut func(*cloudwatch.PutMetricAlarmInput)) {
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("RootAccountUsage"), MetricName: aws.String("RootAccountUsageCount"), Namespace: aws.String("CloudTrailMetrics"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, ActionsEnabled: aws.Bool(true),
		AlarmActions: []string{w.topic},
	}
	if mut != nil {
		mut(in)
	}
	_, err := awsclient.CloudWatch(w.cfg(home)).PutMetricAlarm(w.ctx, in)
	w.must("PutMetricAlarm", err)
}

func (w *controlWorld) rootFilter(region, group, pattern string) {
	_, err := cloudwatchlogs.NewFromConfig(w.cfg(region)).PutMetricFilter(w.ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: aws.String(group), FilterName: aws.String("RootAccountUsage"), FilterPattern: aws.String(pattern),
		MetricTransformations: []logtypes.MetricTransformation{{
			MetricName: aws.String("RootAccountUsageCount"), MetricNamespace: aws.String("CloudTrailMetrics"), MetricValue: aws.String("1"),
		}},
	})
	w.must("PutMetricFilter", err)
}

func buildControlWorld(t *testing.T) *controlWorld {
	srv := motoserver.Start(t)
	w := &controlWorld{t: t, srv: srv, ctx: motoserver.Ctx(t), fns: map[string]string{}}
	c := w.cfg(home)

	r, err := iam.NewFromConfig(c).CreateRole(w.ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("enable_trail-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	w.must("CreateRole", err)
	w.role = aws.ToString(r.Role.Arn)
	// What the StopLogging design's function needs of its execution role: StartLogging on the trail.
	_, err = iam.NewFromConfig(c).PutRolePolicy(w.ctx, &iam.PutRolePolicyInput{RoleName: aws.String("enable_trail-role"), PolicyName: aws.String("start-logging"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:StartLogging","Resource":"arn:aws:cloudtrail:us-east-1:123456789012:trail/main"}]}`)})
	w.must("PutRolePolicy", err)

	_, err = s3.NewFromConfig(c, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(w.ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-bucket-main")})
	w.must("CreateBucket", err)
	logs := cloudwatchlogs.NewFromConfig(c)
	_, err = logs.CreateLogGroup(w.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(logGroup)})
	w.must("CreateLogGroup", err)
	ct := cloudtrail.NewFromConfig(c)
	_, err = ct.CreateTrail(w.ctx, &cloudtrail.CreateTrailInput{
		Name: aws.String("main"), S3BucketName: aws.String("trail-bucket-main"), IsMultiRegionTrail: aws.Bool(true),
		CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:" + logGroup + ":*"),
		CloudWatchLogsRoleArn:     aws.String(w.role),
	})
	w.must("CreateTrail", err)
	_, err = ct.StartLogging(w.ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
	w.must("StartLogging", err)

	topic, err := sns.NewFromConfig(c).CreateTopic(w.ctx, &sns.CreateTopicInput{Name: aws.String("security-alerts")})
	w.must("CreateTopic", err)
	w.topic = aws.ToString(topic.TopicArn)
	// What the EventBridge console adds when the topic becomes a rule target.
	w.must("SetTopicAttributes", setPolicy(w, w.topic, consolePolicy(w.topic)))
	_, err = sns.NewFromConfig(c).Subscribe(w.ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("secops@example.com")})
	w.must("Subscribe", err)

	w.rootFilter(home, logGroup, detection.RefRootUsage)
	w.rootAlarm(nil)

	w.rule(home, "enable_trail", `{"source":["aws.cloudtrail"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["cloudtrail.amazonaws.com"],"eventName":["StopLogging"]}}`,
		w.function(home, "enable_trail"))
	for _, region := range []string{home, west} {
		w.rule(region, "console-signin", `{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"]}`, w.function(region, "signin-to-slack"))
	}
	w.rule(home, "ec2_state_change", `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["running","stopped","terminated"]}}`, w.topic)
	return w
}

// scan collects both regions and runs one check.
func (w *controlWorld) scan(c *checks.Check) []checks.Finding {
	w.t.Helper()
	col := collect.New(collect.Options{Regions: []string{home, west}, Now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)})
	snap, err := col.Snapshot(w.ctx, []collect.Target{{Config: w.cfg(home)}})
	w.must("collect", err)
	// What scan --snapshot would read: the collected document, written and loaded back.
	var buf bytes.Buffer
	w.must("write snapshot", snapshot.Write(&buf, snap))
	loaded, err := snapshot.Decode(&buf)
	w.must("load snapshot back", err)
	fs := checks.Run(loaded, []*checks.Check{c}, checks.Options{})
	for _, f := range fs {
		if err := checks.SentenceProblem(f); err != nil {
			w.t.Error(err)
		}
	}
	return fs
}

// expect asserts the finding of check c in region has status and a message containing want.
func (w *controlWorld) expect(c *checks.Check, region string, status checks.Status, want ...string) {
	w.t.Helper()
	var got []checks.Finding
	for _, f := range w.scan(c) {
		if f.Region == region {
			got = append(got, f)
		}
	}
	if len(got) != 1 {
		w.t.Fatalf("%s in %s: want one finding, got %+v", c.ID, region, got)
	}
	f := got[0]
	if f.Status != status {
		w.t.Errorf("%s in %s: status %s, want %s: %s", c.ID, region, f.Status, status, f.Message)
	}
	for _, s := range want {
		if !strings.Contains(f.Reasoning(), s) {
			w.t.Errorf("%s in %s: message %q lacks %q", c.ID, region, f.Message, s)
		}
	}
}

func TestMotoStopLoggingRemediation(t *testing.T) {
	t.Parallel()
	w := buildControlWorld(t)
	c := checks.StopLoggingRemediation()
	eb := eventbridge.NewFromConfig(w.cfg(home))
	w.expect(c, home, checks.Pass, "rule enable_trail", "Lambda function enable_trail lets EventBridge invoke it, is Active",
		"its execution role enable_trail-role may call cloudtrail:StartLogging")

	// Invocable is not remediating: a throttled function never runs (GetFunction's
	// Concurrency.ReservedConcurrentExecutions 0, reported by the launcher as AWS does).
	lc := lambda.NewFromConfig(w.cfg(home))
	_, err := lc.PutFunctionConcurrency(w.ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("enable_trail"), ReservedConcurrentExecutions: aws.Int32(0)})
	w.must("PutFunctionConcurrency", err)
	w.expect(c, home, checks.Fail, "reserved concurrency 0")
	_, err = lc.DeleteFunctionConcurrency(w.ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("enable_trail")})
	w.must("DeleteFunctionConcurrency", err)
	// An execution role scoped to another trail cannot restart this one.
	iamc := iam.NewFromConfig(w.cfg(home))
	_, err = iamc.PutRolePolicy(w.ctx, &iam.PutRolePolicyInput{RoleName: aws.String("enable_trail-role"), PolicyName: aws.String("start-logging"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:StartLogging","Resource":"arn:aws:cloudtrail:us-east-1:123456789012:trail/other"}]}`)})
	w.must("PutRolePolicy other trail", err)
	w.expect(c, home, checks.Fail, "acts with its execution role enable_trail-role", "no policy of role enable_trail-role allows cloudtrail:StartLogging on arn:aws:cloudtrail:us-east-1:123456789012:trail/main")
	_, err = iamc.PutRolePolicy(w.ctx, &iam.PutRolePolicyInput{RoleName: aws.String("enable_trail-role"), PolicyName: aws.String("start-logging"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:StartLogging","Resource":"*"}]}`)})
	w.must("PutRolePolicy any trail", err)
	_, err = iamc.PutRolePolicy(w.ctx, &iam.PutRolePolicyInput{RoleName: aws.String("enable_trail-role"), PolicyName: aws.String("deny-trail-tampering"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"cloudtrail:*","Resource":"*"}]}`)})
	w.must("PutRolePolicy deny", err)
	w.expect(c, home, checks.Fail, "policy deny-trail-tampering of role enable_trail-role denies cloudtrail:StartLogging")
	_, err = iamc.DeleteRolePolicy(w.ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("enable_trail-role"), PolicyName: aws.String("deny-trail-tampering")})
	w.must("DeleteRolePolicy", err)
	w.expect(c, home, checks.Pass)

	_, err = eb.DisableRule(w.ctx, &eventbridge.DisableRuleInput{Name: aws.String("enable_trail")})
	w.must("DisableRule", err)
	w.expect(c, home, checks.Fail, "it is DISABLED")
	_, err = eb.EnableRule(w.ctx, &eventbridge.EnableRuleInput{Name: aws.String("enable_trail")})
	w.must("EnableRule", err)

	w.rule(home, "enable_trail", `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"],"requestParameters":{"name":["main"]}}}`, w.fns[home+"/enable_trail"])
	w.expect(c, home, checks.Fail, "misses [StopLogging with the trail ARN]")

	w.rule(home, "enable_trail", `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"]}}`, w.topic)
	_, err = eb.RemoveTargets(w.ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("enable_trail"), Ids: []string{"1"}})
	w.must("RemoveTargets", err)
	_, err = eb.PutTargets(w.ctx, &eventbridge.PutTargetsInput{Rule: aws.String("enable_trail"), Targets: []ebtypes.Target{{Id: aws.String("sns"), Arn: aws.String(w.topic)}}})
	w.must("PutTargets", err)
	w.expect(c, home, checks.Fail, "only notifies")

	_, err = eb.RemoveTargets(w.ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("enable_trail"), Ids: []string{"sns"}})
	w.must("RemoveTargets", err)
	w.rule(home, "enable_trail", `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"]}}`, w.fns[home+"/enable_trail"])
	w.expect(c, home, checks.Pass)
	_, err = lambda.NewFromConfig(w.cfg(home)).DeleteFunction(w.ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("enable_trail")})
	w.must("DeleteFunction", err)
	w.expect(c, home, checks.Fail, "enable_trail no longer exists")

	// The same rule and function in another region do not protect a trail homed in us-east-1.
	_, err = eb.RemoveTargets(w.ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("enable_trail"), Ids: []string{"1"}})
	w.must("RemoveTargets", err)
	_, err = eb.DeleteRule(w.ctx, &eventbridge.DeleteRuleInput{Name: aws.String("enable_trail")})
	w.must("DeleteRule", err)
	w.rule(west, "enable_trail", `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"]}}`, w.function(west, "enable_trail"))
	w.expect(c, home, checks.Fail, "rule enable_trail in us-west-2 does", "only emitted in us-east-1")
}

func TestMotoRootUsageAlarmChain(t *testing.T) {
	t.Parallel()
	w := buildControlWorld(t)
	c := checks.RootUsageAlarm()
	w.expect(c, home, checks.Pass, "metric filter RootAccountUsage", "SNS topic security-alerts (1 confirmed subscription(s): email)")

	w.rootAlarm(func(in *cloudwatch.PutMetricAlarmInput) { in.EvaluationPeriods = aws.Int32(3) })
	w.expect(c, home, checks.Fail, "broken link: alarm", "needs 3 of 3 datapoints")
	w.rootAlarm(func(in *cloudwatch.PutMetricAlarmInput) {
		in.ComparisonOperator = cwtypes.ComparisonOperatorGreaterThanThreshold
	})
	w.expect(c, home, checks.Fail, "does not meet > 1")
	w.rootAlarm(func(in *cloudwatch.PutMetricAlarmInput) { in.Namespace = aws.String("LogMetrics") })
	w.expect(c, home, checks.Fail, "a different metric")
	w.rootAlarm(func(in *cloudwatch.PutMetricAlarmInput) { in.ActionsEnabled = aws.Bool(false) })
	w.expect(c, home, checks.Fail, "actions are disabled")

	// A topic whose only subscriber can never confirm (see launcher.py).
	snsc := sns.NewFromConfig(w.cfg(home))
	pending, err := snsc.CreateTopic(w.ctx, &sns.CreateTopicInput{Name: aws.String("unconfirmed")})
	w.must("CreateTopic", err)
	_, err = snsc.Subscribe(w.ctx, &sns.SubscribeInput{TopicArn: pending.TopicArn, Protocol: aws.String("https"), Endpoint: aws.String("https://hooks.example.invalid/alarm")})
	w.must("Subscribe", err)
	w.rootAlarm(func(in *cloudwatch.PutMetricAlarmInput) { in.AlarmActions = []string{aws.ToString(pending.TopicArn)} })
	w.expect(c, home, checks.Fail, "broken link: confirmed subscriber", "PendingConfirmation")
	w.rootAlarm(func(in *cloudwatch.PutMetricAlarmInput) { in.AlarmActions = nil })
	w.expect(c, home, checks.Fail, "broken link: SNS topic")
	w.rootAlarm(nil)
	w.expect(c, home, checks.Pass)

	w.rootFilter(home, logGroup, `{ $.userIdentity.type = "root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`)
	w.expect(c, home, checks.Fail, "broken link: metric filter", "RootAccountUsage")
	w.rootFilter(home, logGroup, `{ ($.eventType != "AwsServiceEvent") && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type = "Root") }`)
	w.expect(c, home, checks.Pass)

	// The same-named log group, filter and alarm in us-west-2 do not stand in for the trail's.
	logsW := cloudwatchlogs.NewFromConfig(w.cfg(west))
	_, err = logsW.CreateLogGroup(w.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(logGroup)})
	w.must("CreateLogGroup west", err)
	w.rootFilter(west, logGroup, detection.RefRootUsage)
	_, err = cloudwatchlogs.NewFromConfig(w.cfg(home)).DeleteLogGroup(w.ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(logGroup)})
	w.must("DeleteLogGroup", err)
	w.expect(c, home, checks.Fail, "broken link: log group", "does not exist")

	// A trail that stops logging breaks the first link.
	_, err = cloudtrail.NewFromConfig(w.cfg(home)).StopLogging(w.ctx, &cloudtrail.StopLoggingInput{Name: aws.String("main")})
	w.must("StopLogging", err)
	w.expect(c, home, checks.Fail, "broken link: trail", "not logging")
}

func TestMotoConsoleSigninAndEC2Rules(t *testing.T) {
	t.Parallel()
	w := buildControlWorld(t)
	signin := checks.ConsoleSigninRule()
	w.expect(signin, home, checks.Pass, "rule console-signin")
	w.expect(signin, west, checks.Pass, "rule console-signin")

	ebW := eventbridge.NewFromConfig(w.cfg(west))
	_, err := ebW.RemoveTargets(w.ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("console-signin"), Ids: []string{"1"}})
	w.must("RemoveTargets", err)
	w.expect(signin, west, checks.Fail, "it has no target")
	_, err = ebW.DeleteRule(w.ctx, &eventbridge.DeleteRuleInput{Name: aws.String("console-signin")})
	w.must("DeleteRule", err)
	w.expect(signin, west, checks.Fail, "no EventBridge rule on the default bus in us-west-2")
	// The console sign-in rule narrowed to the root user by ARN.
	w.rule(west, "root-signin", `{"source":["aws.signin"],"detail-type":["AWS Console Signin via CloudTrail"],"detail":{"userIdentity":{"arn":["arn:aws:iam::123456789012:root"]}}}`, w.fns[west+"/signin-to-slack"])
	w.expect(signin, west, checks.Pass, "rule root-signin")

	ec2rule := checks.EC2StateChangeRule()
	if f := w.scan(ec2rule); len(f) != 0 {
		t.Fatalf("no instances: want no finding, got %+v", f)
	}
	_, err = ec2.NewFromConfig(w.cfg(home)).RunInstances(w.ctx, &ec2.RunInstancesInput{
		ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
	})
	w.must("RunInstances", err)
	w.expect(ec2rule, home, checks.Pass, "rule ec2_state_change", "SNS topic security-alerts")
	w.rule(home, "ec2_state_change", `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["running"]}}`, w.topic)
	w.expect(ec2rule, home, checks.Fail, "misses [EC2 instance state-change: stopped]")
}

// seed publishes what AWS would have recorded: one datapoint of namespace's metric for dims at
// time at (the scan's window is the 14 days before 2026-11-22T10:00Z).
func (w *controlWorld) seed(region, namespace, metric string, dims map[string]string, at time.Time, v float64) {
	w.t.Helper()
	var d []cwtypes.Dimension
	for k, val := range dims {
		d = append(d, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(val)})
	}
	_, err := awsclient.CloudWatch(w.cfg(region)).PutMetricData(w.ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(namespace),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String(metric), Dimensions: d, Timestamp: aws.Time(at), Value: aws.Float64(v)}}})
	w.must("PutMetricData "+namespace+" "+metric, err)
}

// TestMotoObservedDeliveries: sound chains whose latest recorded delivery failed FAIL, from the
// metrics AWS publishes, read in the resource's own region; a later success clears it.
func TestMotoObservedDeliveries(t *testing.T) {
	t.Parallel()
	w := buildControlWorld(t)
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }

	remediation := checks.StopLoggingRemediation()
	fn := map[string]string{"FunctionName": "enable_trail"}
	w.seed(home, "AWS/Lambda", "Invocations", fn, day(20, 3), 1)
	w.expect(remediation, home, checks.Pass)
	w.seed(home, "AWS/Lambda", "Invocations", fn, day(21, 3), 1)
	w.seed(home, "AWS/Lambda", "Errors", fn, day(21, 3), 1)
	w.expect(remediation, home, checks.Fail, "no usable target",
		"AWS/Lambda recorded Errors 1 of function enable_trail at 2026-11-21T03:00Z, after the last successful run at 2026-11-20T03:00Z")
	w.seed(home, "AWS/Lambda", "Invocations", fn, day(21, 9), 1)
	w.expect(remediation, home, checks.Pass)

	root := checks.RootUsageAlarm()
	topic := map[string]string{"TopicName": "security-alerts"}
	w.seed(home, "AWS/SNS", "NumberOfNotificationsFailed", topic, day(19, 6), 1)
	w.expect(root, home, checks.Fail, "broken link: confirmed subscriber (AWS/SNS record)", "no successful delivery in the last 14 days")
	w.seed(home, "AWS/SNS", "NumberOfNotificationsDelivered", topic, day(20, 6), 1)
	w.expect(root, home, checks.Pass)

	// The sign-in rule's failed invocations in us-west-2 are that region's rule's, not us-east-1's.
	signin := checks.ConsoleSigninRule()
	w.seed(west, "AWS/Events", "FailedInvocations", map[string]string{"RuleName": "console-signin"}, day(21, 12), 2)
	w.expect(signin, west, checks.Fail, "AWS/Events recorded FailedInvocations 2 of rule console-signin at 2026-11-21T12:00Z")
	w.expect(signin, home, checks.Pass)
}
