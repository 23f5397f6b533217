package drill

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/route"
)

var srv *motoserver.Server

func TestMain(m *testing.M) { os.Exit(motoserver.RunShared(m, &srv)) }

// fakeClock is a clock that only Sleep moves.
type fakeClock struct {
	now    time.Time
	sleeps int
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps++
	c.now = c.now.Add(d)
	return nil
}

// unrecorded hides the alarm history's Action items, as AWS's history reads before it has
// recorded them (or when the action never runs).
type unrecorded struct{ *cloudwatch.Client }

func (u unrecorded) DescribeAlarmHistory(ctx context.Context, in *cloudwatch.DescribeAlarmHistoryInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmHistoryOutput, error) {
	out, err := u.Client.DescribeAlarmHistory(ctx, in, opts...)
	if err == nil {
		out.AlarmHistoryItems = nil
	}
	return out, err
}

func TestExerciseAlarm(t *testing.T) {
	motoserver.Require(t)
	const account, region = "123456789012", "us-east-1"
	type alarm struct {
		name    string
		enabled bool
		state   cwtypes.StateValue
		actions func(topic string) []string
	}
	tests := []struct {
		name  string
		alarm alarm
		hide  bool // Action items are never recorded
		// subscribed gives the topic an email subscriber; failures seeds SNS's figures with
		// failed deliveries in the drill's minute (an endpoint refusing them).
		subscribed, failures bool
		cancel               bool
		status               Status
		steps                string
		says                 string
		sleeps               int // how often the watch slept (PollInterval 5s, Deadline 1m)
	}{
		{name: "its SNS action runs and SNS delivers", alarm: alarm{enabled: true, actions: func(t string) []string { return []string{t} }}, subscribed: true,
			status: Pass, steps: "PASS read-alarm, PASS set-alarm-state, PASS alarm-action, PASS sns-delivery", says: "the alarm's SNS action succeeded 0s after SetAlarmState"},
		{name: "a topic without subscribers publishes no figures", alarm: alarm{enabled: true, actions: func(t string) []string { return []string{t} }},
			status: Pass, steps: "PASS read-alarm, PASS set-alarm-state, PASS alarm-action, SKIPPED sns-delivery", says: "the alarm's SNS action succeeded", sleeps: 12},
		{name: "SNS fails to deliver", alarm: alarm{enabled: true, actions: func(t string) []string { return []string{t} }}, failures: true,
			status: Fail, steps: "PASS read-alarm, PASS set-alarm-state, PASS alarm-action, FAIL sns-delivery", says: "SNS failed to deliver to subscribers of security-alerts"},
		{name: "two topics, one gone", alarm: alarm{enabled: true, actions: func(t string) []string { return []string{t, t + "-gone"} }},
			status: Fail, steps: "PASS read-alarm, PASS set-alarm-state, PASS alarm-action, FAIL alarm-action", says: "security-alerts-gone (Topic does not exist)"},
		{name: "actions disabled: the transition runs nothing", alarm: alarm{enabled: false, actions: func(t string) []string { return []string{t} }},
			status: Fail, steps: "PASS read-alarm, PASS set-alarm-state", says: "its actions are disabled"},
		{name: "no SNS action", alarm: alarm{enabled: true, actions: func(string) []string { return nil }},
			status: Fail, steps: "PASS read-alarm, PASS set-alarm-state", says: "has no SNS action"},
		{name: "already in ALARM: not exercised", alarm: alarm{enabled: true, state: cwtypes.StateValueAlarm, actions: func(t string) []string { return []string{t} }},
			status: Skipped, steps: "PASS read-alarm", says: "already in ALARM"},
		{name: "nothing recorded by the deadline", alarm: alarm{enabled: true, actions: func(t string) []string { return []string{t} }}, hide: true,
			status: Fail, steps: "PASS read-alarm, PASS set-alarm-state, FAIL alarm-action", says: "no action was recorded for SNS topic security-alerts within 1m0s", sleeps: 12},
		{name: "interrupted (Ctrl-C) before it starts", alarm: alarm{enabled: true, actions: func(t string) []string { return []string{t} }}, cancel: true,
			status: Error, steps: "ERROR read-alarm", says: "interrupted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv.Reset(t)
			ctx, cfg := motoserver.Ctx(t), srv.Config(region)
			topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("security-alerts")})
			if err != nil {
				t.Fatal(err)
			}
			if tc.subscribed {
				if _, err := sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("secops@example.com")}); err != nil {
					t.Fatal(err)
				}
			}
			cw := awsclient.CloudWatch(cfg)
			if tc.failures {
				if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/SNS"), MetricData: []cwtypes.MetricDatum{{
					MetricName: aws.String("NumberOfNotificationsFailed"), Value: aws.Float64(1), Timestamp: aws.Time(time.Now()),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("TopicName"), Value: aws.String("security-alerts")}}}}}); err != nil {
					t.Fatal(err)
				}
			}
			actions := tc.alarm.actions(aws.ToString(topic.TopicArn))
			if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
				AlarmName: aws.String("RootAccountUsage"), MetricName: aws.String("RootAccountUsageCount"), Namespace: aws.String("CloudTrailMetrics"),
				Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
				ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, ActionsEnabled: aws.Bool(tc.alarm.enabled), AlarmActions: actions,
			}); err != nil {
				t.Fatal(err)
			}
			if tc.alarm.state != "" {
				if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("RootAccountUsage"), StateValue: tc.alarm.state, StateReason: aws.String("a real breach")}); err != nil {
					t.Fatal(err)
				}
			}
			arnOf := "arn:aws:cloudwatch:us-east-1:123456789012:alarm:RootAccountUsage"
			f := checks.Finding{CheckID: "cloudwatch-root-usage-alarm", Account: account, Region: "global", Resource: account}
			results := []Result{alarmPlan(f, route.AlarmEvidence{Name: "RootAccountUsage", ARN: arnOf, ActionsEnabled: tc.alarm.enabled, AlarmActions: actions}, "d-test")}
			clock := &fakeClock{now: time.Now()}
			var api CloudWatchAPI = cw
			if tc.hide {
				api = unrecorded{cw}
			}
			run := ctx
			if tc.cancel {
				c, cancel := context.WithCancel(ctx)
				cancel()
				run = c
			}
			Exercise(run, results, Options{ID: "d-test", Deadline: time.Minute, PollInterval: 5 * time.Second, Now: clock.Now, Sleep: clock.Sleep,
				CloudWatch: func(a, r string) (CloudWatchAPI, error) {
					if a != account || r != region {
						t.Errorf("client asked for %s %s", a, r)
					}
					return api, nil
				}})
			r := results[0]
			var got []string
			for _, st := range r.Steps {
				got = append(got, string(st.Status)+" "+st.Step)
			}
			if r.Status != tc.status || strings.Join(got, ", ") != tc.steps || !strings.Contains(r.Message, tc.says) {
				t.Errorf("%s %q [%s]\nwant %s containing %q [%s]", r.Status, r.Message, strings.Join(got, ", "), tc.status, tc.says, tc.steps)
			}
			if clock.sleeps != tc.sleeps {
				t.Errorf("the watch slept %d times, want %d", clock.sleeps, tc.sleeps)
			}
			if r.Exercised != (tc.status == Pass || tc.status == Fail) {
				t.Errorf("exercised = %t for %s", r.Exercised, r.Status)
			}
		})
	}
}
