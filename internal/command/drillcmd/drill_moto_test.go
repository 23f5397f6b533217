package drillcmd

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/drill"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

var srv *motoserver.Server

func TestMain(m *testing.M) { os.Exit(motoserver.RunShared(m, &srv)) }

const (
	region   = "us-east-1"
	group    = "cloudtrail-logs"
	alarmARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:RootAccountUsage"
)

// rootChain builds the CIS root-usage chain in moto as the AWS CloudTrail guide sets it up:
// a logging multi-region trail delivering to a log group, the reference metric filter, an
// alarm (Sum >= 1 over 5 minutes) notifying an SNS topic with a subscriber. It returns the
// topic's ARN.
func rootChain(t *testing.T) string {
	t.Helper()
	motoserver.Require(t)
	srv.Reset(t)
	srv.UseAsDefault(t)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	ctx, cfg := motoserver.Ctx(t), srv.Config(region)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("trail-to-logs"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	must("CreateRole", err)
	_, err = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-bucket")})
	must("CreateBucket", err)
	logs := cloudwatchlogs.NewFromConfig(cfg)
	_, err = logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)})
	must("CreateLogGroup", err)
	ct := cloudtrail.NewFromConfig(cfg)
	_, err = ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("trail-bucket"), IsMultiRegionTrail: aws.Bool(true),
		CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:" + group + ":*"), CloudWatchLogsRoleArn: role.Role.Arn})
	must("CreateTrail", err)
	_, err = ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")})
	must("StartLogging", err)
	_, err = logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String(group), FilterName: aws.String("RootAccountUsage"),
		FilterPattern:         aws.String(detection.RefRootUsage),
		MetricTransformations: []logtypes.MetricTransformation{{MetricName: aws.String("RootAccountUsageCount"), MetricNamespace: aws.String("CloudTrailMetrics"), MetricValue: aws.String("1")}}})
	must("PutMetricFilter", err)
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("security-alerts")})
	must("CreateTopic", err)
	_, err = sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("secops@example.com")})
	must("Subscribe", err)
	_, err = awsclient.CloudWatch(cfg).PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("RootAccountUsage"), MetricName: aws.String("RootAccountUsageCount"), Namespace: aws.String("CloudTrailMetrics"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, ActionsEnabled: aws.Bool(true),
		AlarmActions: []string{aws.ToString(topic.TopicArn)},
	})
	must("PutMetricAlarm", err)
	return aws.ToString(topic.TopicArn)
}

// run runs `lookout drill --checks cloudwatch-root-usage-alarm --format json` against moto.
func run(t *testing.T, apply bool) (drill.Report, error) {
	t.Helper()
	return runDrill(t, "cloudwatch-root-usage-alarm", apply, nil)
}

// runDrill runs `lookout drill --checks CHECK --format json` against moto.
func runDrill(t *testing.T, check string, apply bool, extra func(*Options)) (drill.Report, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	var list []string
	if check != "" {
		list = []string{check}
	}
	o := &Options{Checks: list, Apply: apply, Deadline: time.Minute, Format: "json", Quiet: true,
		SigninRegions: "us-east-1", Stdout: &out, Stderr: &errOut}
	o.Scope.Regions = region
	if extra != nil {
		extra(o)
	}
	err := Run(motoserver.Ctx(t), o)
	if out.Len() == 0 {
		return drill.Report{}, err
	}
	var r drill.Report
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
		t.Fatalf("drill output is not a drill report: %v\n%s\n%s", jerr, out.String(), errOut.String())
	}
	return r, err
}

// alarmState is the alarm's state and the number of its history items (of every kind).
func alarmState(t *testing.T) (cwtypes.StateValue, string, int) {
	t.Helper()
	cw := awsclient.CloudWatch(srv.Config(region))
	out, err := cw.DescribeAlarms(motoserver.Ctx(t), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"RootAccountUsage"}})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms: %v %+v", err, out)
	}
	h, err := cw.DescribeAlarmHistory(motoserver.Ctx(t), &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("RootAccountUsage")})
	if err != nil {
		t.Fatalf("DescribeAlarmHistory: %v", err)
	}
	a := out.MetricAlarms[0]
	return a.StateValue, aws.ToString(a.StateReason), len(h.AlarmHistoryItems)
}

func steps(r drill.Result) string {
	var s []string
	for _, st := range r.Steps {
		s = append(s, string(st.Status)+" "+st.Step)
	}
	return strings.Join(s, ", ")
}

// The root-usage chain, drilled on the emulator: the plan changes nothing; --apply sets the
// alarm to ALARM and reads CloudWatch's Action item of its SNS action; a second drill, the
// alarm still in ALARM, is not exercised; with the topic gone, AWS's failure is the verdict.
func TestDrillRootUsageChain(t *testing.T) {
	topic := rootChain(t)

	plan, err := run(t, false)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if len(plan.Results) != 1 || plan.Applied {
		t.Fatalf("plan: %+v", plan)
	}
	p := plan.Results[0]
	if p.Status != drill.Skipped || p.Exercised || p.Resource != alarmARN || len(p.Steps) != 0 || !strings.Contains(p.Receives, "security-alerts") {
		t.Errorf("plan result %+v", p)
	}
	if st, _, n := alarmState(t); st != cwtypes.StateValueOk || n != 0 {
		t.Fatalf("the plan changed the alarm: state %s, %d history items", st, n)
	}

	applied, err := run(t, true)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	r := applied.Results[0]
	if r.Status != drill.Pass || !r.Exercised || steps(r) != "PASS read-alarm, PASS set-alarm-state, PASS alarm-action, PASS sns-delivery" ||
		!strings.Contains(r.Message, "the alarm's SNS action succeeded") {
		t.Fatalf("drill: %s %s [%s]", r.Status, r.Message, steps(r))
	}
	if !strings.Contains(r.Steps[2].Detail, "Successfully executed action "+topic) {
		t.Errorf("the action step does not carry AWS's record: %q", r.Steps[2].Detail)
	}
	if applied.Summary != (drill.Summary{Pass: 1}) || len(applied.Created) != 0 || !applied.Applied || applied.SchemaVersion != 1 {
		t.Errorf("report %+v", applied)
	}
	st, reason, _ := alarmState(t)
	if st != cwtypes.StateValueAlarm || reason != drill.Reason(applied.DrillID) {
		t.Errorf("after the drill the alarm is %s (%q)", st, reason)
	}

	again, err := run(t, true)
	if err != nil || again.Results[0].Status != drill.Skipped || !strings.Contains(again.Results[0].Message, "already in ALARM") {
		t.Errorf("a drill of an alarm in ALARM: %v %+v", err, again.Results[0])
	}

	// CloudWatch's next evaluation would return it to OK; here, as if it had. Then the topic
	// is deleted: the scan sees the chain broken at the topic, and the drill shows what AWS
	// records when it tries.
	cw := awsclient.CloudWatch(srv.Config(region))
	if _, err := cw.SetAlarmState(motoserver.Ctx(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("RootAccountUsage"),
		StateValue: cwtypes.StateValueOk, StateReason: aws.String("evaluated")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sns.NewFromConfig(srv.Config(region)).DeleteTopic(motoserver.Ctx(t), &sns.DeleteTopicInput{TopicArn: aws.String(topic)}); err != nil {
		t.Fatal(err)
	}
	broken, err := run(t, true)
	if exitcode.Code(err) != exitcode.Findings {
		t.Errorf("a failed drill exits %d (%v), want %d", exitcode.Code(err), err, exitcode.Findings)
	}
	b := broken.Results[0]
	if b.Status != drill.Fail || !strings.Contains(b.Message, "Topic does not exist") || steps(b) != "PASS read-alarm, PASS set-alarm-state, FAIL alarm-action" {
		t.Errorf("drill of a chain whose topic is gone: %s %s [%s]", b.Status, b.Message, steps(b))
	}
}
