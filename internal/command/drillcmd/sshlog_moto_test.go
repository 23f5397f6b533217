package drillcmd

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/drill"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

// moto's AMI catalogue: an Amazon Linux 2 image.
const amzn2AMI = "ami-04681a1dbd79675a5"

const (
	sshGroup = "ssh-logs"
	sshAlarm = "SSHLogins"
)

// sshSetup is an SSH-log chain as the CloudWatch agent user guide and the SSH-login alarm
// design build it, one knob per way it breaks: an SSM-managed Amazon Linux instance whose
// agent (configured by a ManageAgent Run Command) ships /var/log/secure to its {instance_id}
// stream of group ssh-logs, which holds a fresh sshd line; a metric filter counting
// "Accepted publickey for" lines; alarm SSHLogins (Sum >= 1 over 1 minute) notifying an SNS
// topic.
type sshSetup struct {
	platformVersion string // reported to SSM ("2023": Amazon Linux 2023, no syslog daemon)
	alarmPeriods    int32  // evaluation periods and datapoints to alarm (1 when 0)
	alarmInALARM    bool   // the alarm is in ALARM before the drill
	commandsFail    bool   // Run Command invocations on the instance fail after the agent was configured
}

// build makes the chain in region (after rootChain's reset) and returns the instance id.
func (s sshSetup) build(t *testing.T) string {
	t.Helper()
	ctx, cfg := motoserver.Ctx(t), srv.Config(region)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	tags := []ec2types.Tag{{Key: aws.String("ssm:managed"), Value: aws.String("true")}}
	if s.platformVersion != "" {
		tags = append(tags, ec2types.Tag{Key: aws.String("ssm:platform-version"), Value: aws.String(s.platformVersion)})
	}
	ec := ec2.NewFromConfig(cfg)
	run, err := ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(amzn2AMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: tags}}})
	must("RunInstances", err)
	instance := aws.ToString(run.Instances[0].InstanceId)

	sm := ssm.NewFromConfig(cfg)
	_, err = sm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("AmazonCloudWatch-linux"), Type: ssmtypes.ParameterTypeString,
		Value: aws.String(`{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/secure","log_group_name":"` + sshGroup + `","log_stream_name":"{instance_id}"}]}}}}`)})
	must("PutParameter", err)
	_, err = sm.SendCommand(ctx, &ssm.SendCommandInput{DocumentName: aws.String("AmazonCloudWatch-ManageAgent"), InstanceIds: []string{instance},
		Parameters: map[string][]string{"action": {"configure"}, "mode": {"ec2"}, "optionalConfigurationSource": {"ssm"},
			"optionalConfigurationLocation": {"AmazonCloudWatch-linux"}, "optionalRestart": {"yes"}}})
	must("SendCommand ManageAgent", err)
	if s.commandsFail {
		_, err = ec.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{instance}, Tags: []ec2types.Tag{{Key: aws.String("ssm:command-status"), Value: aws.String("Failed")}}})
		must("CreateTags", err)
	}

	logs := cloudwatchlogs.NewFromConfig(cfg)
	_, err = logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(sshGroup)})
	must("CreateLogGroup", err)
	_, err = logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(sshGroup), LogStreamName: aws.String(instance)})
	must("CreateLogStream", err)
	_, err = logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String(sshGroup), FilterName: aws.String("ssh-logins"),
		FilterPattern:         aws.String(`"Accepted publickey for"`),
		MetricTransformations: []logtypes.MetricTransformation{{MetricName: aws.String(sshAlarm), MetricNamespace: aws.String("Lookout/SSH"), MetricValue: aws.String("1")}}})
	must("PutMetricFilter", err)
	// An earlier login, ten minutes old: the stream is fresh, and its datapoint lies in an
	// earlier period than the drill's.
	_, err = logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(sshGroup), LogStreamName: aws.String(instance),
		LogEvents: []logtypes.InputLogEvent{{Timestamp: aws.Int64(time.Now().Add(-10 * time.Minute).UnixMilli()),
			Message: aws.String("Dec  7 09:58:01 ip-10-0-0-5 sshd[1234]: Accepted publickey for ec2-user from 203.0.113.9 port 50022 ssh2: ED25519 SHA256:abc")}}})
	must("PutLogEvents", err)

	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("ssh-alerts")})
	must("CreateTopic", err)
	_, err = sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("secops@example.com")})
	must("Subscribe", err)
	periods := max(s.alarmPeriods, 1)
	cw := awsclient.CloudWatch(cfg)
	_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(sshAlarm), MetricName: aws.String(sshAlarm), Namespace: aws.String("Lookout/SSH"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(periods), DatapointsToAlarm: aws.Int32(periods),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		TreatMissingData: aws.String("notBreaching"), ActionsEnabled: aws.Bool(true), AlarmActions: []string{aws.ToString(topic.TopicArn)}})
	must("PutMetricAlarm", err)
	if s.alarmInALARM {
		_, err = cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(sshAlarm), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("Threshold Crossed: a real login")})
		must("SetAlarmState", err)
	}
	return instance
}

// sshChecks drills the SSH log shipping and the SSH-login alarm.
func sshChecks(o *Options) {
	o.Checks = []string{"ssm-cloudwatch-agent-ssh-logs", "cloudwatch-ssh-login-alarm"}
	fastPoll(o)
}

// The SSH log drill on the emulator (its launcher runs AWS-RunShellScript's logger line into
// the instance's syslog file, ships it per the agent's configuration, counts it by the group's
// metric filter and evaluates the alarm): each step's success and the ways it fails where a
// scan still passes.
func TestDrillSSHLog(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  sshSetup
		status drill.Status
		steps  string
		says   string
	}{
		{"the whole chain holds", sshSetup{}, drill.Pass,
			"PASS send-command, PASS command-result, PASS marker-shipped, PASS alarm-state, PASS alarm-action, PASS sns-delivery",
			"after SendCommand and the SSH-login alarm notified its SNS topic"},
		// Amazon Linux 2023 has no syslog daemon: /var/log/secure is never written, though the
		// stream is fresh (something else feeds it) and no inventory says so to the scan.
		{"the file is never written", sshSetup{platformVersion: "2023"}, drill.Fail,
			"PASS send-command, PASS command-result, FAIL marker-shipped",
			"did not reach log group ssh-logs within"},
		// An alarm needing two breaching minutes does not fire on one login.
		{"the alarm needs two datapoints", sshSetup{alarmPeriods: 2}, drill.Fail,
			"PASS send-command, PASS command-result, PASS marker-shipped, FAIL alarm-state",
			"but alarm SSHLogins did not go to ALARM within"},
		{"the alarm is already in ALARM", sshSetup{alarmInALARM: true}, drill.Pass,
			"PASS send-command, PASS command-result, PASS marker-shipped, SKIPPED alarm-state",
			"alarm SSHLogins was already in ALARM, so it was not exercised"},
		{"Run Command fails on the instance", sshSetup{commandsFail: true}, drill.Fail,
			"PASS send-command, FAIL command-result",
			"the drill's command did not run on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rootChain(t)
			instance := tc.setup.build(t)
			plan, err := runDrill(t, "", false, sshChecks)
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			if len(plan.Results) != 1 {
				t.Fatalf("plan: want one result (the alarm drilled by the line), got %+v", plan.Results)
			}
			if p := plan.Results[0]; p.CheckID != "ssm-cloudwatch-agent-ssh-logs" || p.Status != drill.Skipped ||
				strings.Join(p.AlsoChecks, ",") != "cloudwatch-ssh-login-alarm" || !strings.Contains(p.Plan[0], "on instance "+instance) {
				t.Fatalf("plan %+v", p)
			}
			r, err := runDrill(t, "", true, func(o *Options) {
				sshChecks(o)
				if tc.status != drill.Pass {
					o.Deadline = 400 * time.Millisecond
				}
			})
			want := 0
			if tc.status == drill.Fail {
				want = exitcode.Findings
			}
			if exitcode.Code(err) != want {
				t.Errorf("exit %d (%v), want %d", exitcode.Code(err), err, want)
			}
			res := r.Results[0]
			if res.Status != tc.status || !res.Exercised || steps(res) != tc.steps || !strings.Contains(res.Message, tc.says) {
				t.Errorf("%s %q [%s]", res.Status, res.Message, steps(res))
			}
			marker := markerEvents(t, instance, r.DrillID)
			if tc.setup.platformVersion == "" && !tc.setup.commandsFail && marker != 1 {
				t.Errorf("the marker is in the stream %d times, want once", marker)
			}
			// The alarm was drilled by the line only: no transition bears the drill's reason.
			h, err := awsclient.CloudWatch(srv.Config(region)).DescribeAlarmHistory(motoserver.Ctx(t), &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String(sshAlarm)})
			if err != nil {
				t.Fatal(err)
			}
			for _, item := range h.AlarmHistoryItems {
				if strings.Contains(aws.ToString(item.HistoryData), "lookout drill") {
					t.Errorf("the drill set the alarm's state itself: %s", aws.ToString(item.HistoryData))
				}
			}
		})
	}
}

// markerEvents counts the drill's marked lines in the instance's stream.
func markerEvents(t *testing.T, instance, id string) int {
	t.Helper()
	out, err := cloudwatchlogs.NewFromConfig(srv.Config(region)).FilterLogEvents(motoserver.Ctx(t), &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(sshGroup), LogStreamNames: []string{instance}, FilterPattern: aws.String(fmt.Sprintf("%q", drill.Marker(id)))})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Events)
}
