package collect

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// TestCollectActivity: the delivery metrics of a region's rules, the functions they invoke and
// its topics are read for each resource's exact dimension set, newest first, in one
// GetMetricData call per 500 series; metrics of the same name in another namespace, another
// region or with other dimensions are another resource's.
func TestCollectActivity(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Ctx(t)
	const region, account = "us-east-1", motoserver.DefaultAccount
	cfg := srv.Config(region)
	now := time.Now().UTC().Truncate(time.Minute)
	hoursAgo := func(h int) time.Time { return now.Add(-time.Duration(h) * time.Hour) }
	put := func(cfg aws.Config, namespace, metric string, dims map[string]string, at time.Time, v float64) {
		t.Helper()
		var d []cwtypes.Dimension
		for k, val := range dims {
			d = append(d, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(val)})
		}
		if _, err := awsclient.CloudWatch(cfg).PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(namespace),
			MetricData: []cwtypes.MetricDatum{{MetricName: aws.String(metric), Dimensions: d, Timestamp: aws.Time(at), Value: aws.Float64(v)}}}); err != nil {
			t.Fatalf("PutMetricData %s %s: %v", namespace, metric, err)
		}
	}
	notify := map[string]string{"RuleName": "notify"}
	put(cfg, "AWS/Events", "Invocations", notify, hoursAgo(30), 1)
	put(cfg, "AWS/Events", "Invocations", notify, hoursAgo(2), 2)
	put(cfg, "AWS/Events", "FailedInvocations", notify, hoursAgo(2), 1)
	put(cfg, "AWS/Events", "FailedInvocations", notify, hoursAgo(2), 1)                                                             // summed with the one before
	put(cfg, "AWS/Events", "FailedInvocations", notify, hoursAgo(24*20), 5)                                                         // before the window
	put(cfg, "Custom/App", "FailedInvocations", notify, hoursAgo(1), 7)                                                             // another namespace
	put(cfg, "AWS/Events", "FailedInvocations", map[string]string{"RuleName": "notify", "EventBusName": "default"}, hoursAgo(1), 9) // another dimension set
	put(srv.Config("us-west-2"), "AWS/Events", "FailedInvocations", notify, hoursAgo(1), 3)                                         // another region
	put(cfg, "AWS/Events", "FailedInvocations", map[string]string{"RuleName": "forward", "EventBusName": "central"}, hoursAgo(3), 4)
	put(cfg, "AWS/Lambda", "Errors", map[string]string{"FunctionName": "enable_trail"}, hoursAgo(5), 1)
	put(cfg, "AWS/SNS", "NumberOfNotificationsDelivered", map[string]string{"TopicName": "alerts"}, hoursAgo(4), 3)

	arn := func(service, resource string) string {
		return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource
	}
	rules := []snapshot.Rule{
		{Name: "notify", State: "ENABLED", EventPattern: `{"source":["aws.signin"]}`, Targets: []snapshot.Target{{ID: "1", ARN: arn("sns", "alerts")}}},
		{Name: "enable_trail", State: "ENABLED", EventPattern: `{"source":["aws.cloudtrail"]}`, Targets: []snapshot.Target{{ID: "1", ARN: arn("lambda", "function:enable_trail:live")}}},
		{Name: "forward", EventBusName: "central", State: "ENABLED", EventPattern: `{"source":["aws.ec2"]}`, Targets: []snapshot.Target{{ID: "1", ARN: arn("sns", "alerts")}}},
		{Name: "off", State: "DISABLED", EventPattern: `{"source":["aws.ec2"]}`, Targets: []snapshot.Target{{ID: "1", ARN: arn("sns", "alerts")}}},
		{Name: "nightly", State: "ENABLED", ScheduleExpression: "rate(1 day)", Targets: []snapshot.Target{{ID: "1", ARN: arn("sns", "alerts")}}},
		{Name: "no-targets", State: "ENABLED", EventPattern: `{"source":["aws.ec2"]}`, Targets: []snapshot.Target{}},
		{Name: "elsewhere", State: "ENABLED", EventPattern: `{"source":["aws.ec2"]}`, Targets: []snapshot.Target{{ID: "1", ARN: "arn:aws:lambda:us-west-2:" + account + ":function:far"}}},
	}
	// Enough rules that the series need two requests (5 series a rule, 500 a request).
	for i := range 170 { // 870 rule series: two requests
		rules = append(rules, snapshot.Rule{Name: fmt.Sprintf("bulk-%03d", i), State: "ENABLED", EventPattern: `{"source":["aws.ec2"]}`,
			Targets: []snapshot.Target{{ID: "1", ARN: arn("sns", "alerts")}}})
	}
	r := &snapshot.Region{Name: region, EventBridge: &snapshot.EventBridgeData{Rules: rules},
		SNS: &snapshot.SNSData{Topics: []snapshot.Topic{{ARN: arn("sns", "alerts")}}}}

	rec := &awsclient.Recorder{}
	rec.Attach(&cfg)
	collectActivity(ctx, newRegionClients(cfg, account, region), r)
	d := r.Activity
	if d == nil || d.Error != nil {
		t.Fatalf("activity = %+v", d)
	}
	if n := rec.Operations()["CloudWatch:GetMetricData"]; n != 2 {
		t.Errorf("%d GetMetricData calls for %d series, want 2", n, len(d.Series))
	}
	if want := 5*(4+170) + 3 + 2; len(d.Series) != want {
		t.Errorf("%d series, want %d (enabled event-pattern rules with targets, the function they invoke here, the topic)", len(d.Series), want)
	}
	if d.Period != 300 || d.End.Sub(d.Start) != 14*24*time.Hour || d.End.Before(now) {
		t.Errorf("window [%s, %s) period %d, want the 14 days to now at 300 s", d.Start, d.End, d.Period)
	}
	find := func(ns, metric string, dims map[string]string) *snapshot.MetricSeries {
		for i := range d.Series {
			s := &d.Series[i]
			if s.Namespace == ns && s.MetricName == metric && fmt.Sprint(s.Dimensions) == fmt.Sprint(dims) {
				return s
			}
		}
		t.Fatalf("no series %s %s %v", ns, metric, dims)
		return nil
	}
	values := func(s *snapshot.MetricSeries) string {
		out := ""
		for _, p := range s.Points {
			out += fmt.Sprintf("%g@%dh ", p.Value, int(now.Sub(p.Timestamp).Round(time.Hour).Hours()))
		}
		return out
	}
	for _, c := range []struct {
		s    *snapshot.MetricSeries
		want string
	}{
		{find("AWS/Events", "Invocations", notify), "2@2h 1@30h "},
		{find("AWS/Events", "FailedInvocations", notify), "2@2h "},
		{find("AWS/Events", "InvocationsSentToDlq", notify), ""},
		{find("AWS/Events", "FailedInvocations", map[string]string{"EventBusName": "central", "RuleName": "forward"}), "4@3h "},
		{find("AWS/Lambda", "Errors", map[string]string{"FunctionName": "enable_trail"}), "1@5h "},
		{find("AWS/SNS", "NumberOfNotificationsDelivered", map[string]string{"TopicName": "alerts"}), "3@4h "},
	} {
		if got := values(c.s); got != c.want {
			t.Errorf("%s %s %v = %q, want %q", c.s.Namespace, c.s.MetricName, c.s.Dimensions, got, c.want)
		}
	}
	for _, s := range d.Series {
		if name := s.Dimensions["RuleName"]; name == "off" || name == "nightly" || name == "no-targets" {
			t.Errorf("series read for rule %s, which delivers nothing", name)
		}
		if s.Dimensions["FunctionName"] == "far" {
			t.Errorf("series read for another region's function")
		}
		if s.Partial || s.Error != nil {
			t.Errorf("%s %s: partial %v, error %v", s.MetricName, s.Dimensions, s.Partial, s.Error)
		}
	}

	// A region with nothing that delivers costs no call.
	rec2 := &awsclient.Recorder{}
	cfg2 := srv.Config(region)
	rec2.Attach(&cfg2)
	empty := &snapshot.Region{Name: region, EventBridge: &snapshot.EventBridgeData{Rules: []snapshot.Rule{}}, SNS: &snapshot.SNSData{Topics: []snapshot.Topic{}}}
	collectActivity(ctx, newRegionClients(cfg2, account, region), empty)
	if n := len(rec2.Calls()); n != 0 || empty.Activity == nil || len(empty.Activity.Series) != 0 {
		t.Errorf("empty region: %d calls, activity %+v", n, empty.Activity)
	}
}

// Every follow-up waits only on tasks that exist: a name that does not would block the region
// forever.
func TestFollowUpsWaitOnKnownTasks(t *testing.T) {
	known := map[string]bool{}
	for _, c := range regionCollectors {
		known[c.service] = true
	}
	for _, f := range followUps {
		known[f.name] = true
	}
	for _, f := range followUps {
		for _, dep := range f.after {
			if !known[dep] || dep == f.name {
				t.Errorf("follow-up %s waits on %q, which is no other collector or follow-up", f.name, dep)
			}
		}
	}
}
