package checks

import (
	"testing"
	"time"

	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// The fixture's scan ends on 2026-12-07; its window is the 14 days before.
var activityEnd = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func observedAt(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, time.UTC) }

// recorded gives region an activity section that was read for every rule, function and topic
// of the fixture's region with no points, then adds points: metric -> (time, sum) pairs, for
// the series of namespace with dims.
func recorded(region string, namespace string, dims map[string]string, points map[string][]snapshot.MetricPoint) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		r := s.Accounts[0].Region(region)
		if r.Activity == nil {
			r.Activity = quietActivity(r)
		}
		for i := range r.Activity.Series {
			sr := &r.Activity.Series[i]
			if sr.Namespace == namespace && equalDims(sr.Dimensions, dims) {
				sr.Points = append(sr.Points, points[sr.MetricName]...)
			}
		}
	}
}

func equalDims(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// quietActivity is what collectActivity reads in a region where nothing happened: every
// series asked for, none with a point.
func quietActivity(r *snapshot.Region) *snapshot.ActivityData {
	d := &snapshot.ActivityData{Start: activityEnd.Add(-14 * 24 * time.Hour), End: activityEnd, Period: 300}
	add := func(ns string, metrics []string, dims map[string]string) {
		for _, m := range metrics {
			d.Series = append(d.Series, snapshot.MetricSeries{Namespace: ns, MetricName: m, Dimensions: dims})
		}
	}
	for _, rule := range r.EventBridge.Rules {
		add("AWS/Events", []string{"Invocations", "FailedInvocations", "InvocationsSentToDlq", "InvocationsFailedToBeSentToDlq", "DeadLetterInvocations"}, map[string]string{"RuleName": rule.Name})
	}
	for _, f := range r.Lambda.Functions {
		add("AWS/Lambda", []string{"Invocations", "Errors", "Throttles"}, map[string]string{"FunctionName": f.Name})
	}
	for _, t := range r.SNS.Topics {
		add("AWS/SNS", []string{"NumberOfNotificationsDelivered", "NumberOfNotificationsFailed"}, map[string]string{"TopicName": t.ARN[len("arn:aws:sns:us-east-1:111111111111:"):]})
	}
	return d
}

func point(t time.Time, v float64) []snapshot.MetricPoint {
	return []snapshot.MetricPoint{{Timestamp: t, Value: v}}
}

var (
	enableTrailRule = map[string]string{"RuleName": "enable_trail"}
	enableTrailFn   = map[string]string{"FunctionName": "enable_trail"}
	alertsTopic     = map[string]string{"TopicName": "security-alerts"}
)

// A chain sound by its configuration still FAILs when AWS recorded that its latest delivery
// attempt failed; an older failure followed by a success does not; nothing recorded keeps the
// verdict and says so.
func TestObservedDeliveries(t *testing.T) {
	t.Run("StopLogging remediation", func(t *testing.T) {
		runControlCases(t, StopLoggingRemediation(), []controlCase{
			{name: "pass with nothing recorded: not exercised", status: Pass, mutate: recorded("us-east-1", "AWS/Events", enableTrailRule, nil),
				evidence: []string{`"state":"not exercised"`, "AWS/Events recorded no invocation of rule enable_trail: not exercised in the last 14 days",
					"AWS/Lambda recorded no run of function enable_trail"}},
			{name: "fail the function's latest run errored", status: Fail,
				broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopLambdaRecord},
				want:   []string{"AWS/Lambda recorded Errors 1 of function enable_trail at 2026-12-05T03:00Z, after the last successful run at 2026-12-01T03:00Z"},
				mutate: both(recorded("us-east-1", "AWS/Events", enableTrailRule, map[string][]snapshot.MetricPoint{"Invocations": point(observedAt(5, 3), 1)}),
					recorded("us-east-1", "AWS/Lambda", enableTrailFn, map[string][]snapshot.MetricPoint{
						"Invocations": append(point(observedAt(5, 3), 1), point(observedAt(1, 3), 1)...), "Errors": point(observedAt(5, 3), 1)}))},
			{name: "fail the function was throttled on its latest invocation", status: Fail,
				broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopLambdaRecord}, want: []string{"Throttles 4", "no successful run in the last 14 days"},
				mutate: recorded("us-east-1", "AWS/Lambda", enableTrailFn, map[string][]snapshot.MetricPoint{"Throttles": point(observedAt(5, 3), 4)})},
			{name: "pass the function failed once, then ran", status: Pass, evidence: []string{`"state":"delivered"`, "the last failure was at 2026-12-02T03:00Z"},
				mutate: recorded("us-east-1", "AWS/Lambda", enableTrailFn, map[string][]snapshot.MetricPoint{
					"Invocations": append(point(observedAt(6, 3), 1), point(observedAt(2, 3), 1)...), "Errors": point(observedAt(2, 3), 1)})},
			{name: "fail EventBridge's latest invocations failed", status: Fail,
				broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopEventsRecord},
				want:   []string{"AWS/Events recorded FailedInvocations 2 of rule enable_trail at 2026-12-06T08:00Z"},
				mutate: recorded("us-east-1", "AWS/Events", enableTrailRule, map[string][]snapshot.MetricPoint{
					"Invocations": append(point(observedAt(6, 8), 2), point(observedAt(3, 1), 1)...), "FailedInvocations": point(observedAt(6, 8), 2)})},
			{name: "fail events sent to the dead-letter queue", status: Fail,
				broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopEventsRecord}, want: []string{"InvocationsSentToDlq 1"},
				mutate: recorded("us-east-1", "AWS/Events", enableTrailRule, map[string][]snapshot.MetricPoint{
					"Invocations": point(observedAt(6, 8), 1), "InvocationsSentToDlq": point(observedAt(6, 8), 1)})},
			{name: "fail a target EventBridge did not invoke at all", status: Fail,
				broken: route.BrokenLink{Link: route.LinkTarget, Hop: route.HopEventsRecord}, want: []string{"DeadLetterInvocations 1"},
				mutate: recorded("us-east-1", "AWS/Events", enableTrailRule, map[string][]snapshot.MetricPoint{
					"Invocations": point(observedAt(2, 8), 1), "DeadLetterInvocations": point(observedAt(6, 8), 1)})},
			{name: "error the record could not be read", status: Error, want: []string{"could not be read: cloudwatch:GetMetricData: AccessDenied"},
				mutate: func(s *snapshot.Snapshot) {
					east(s).Activity = &snapshot.ActivityData{Error: &snapshot.ReadError{Operation: "cloudwatch:GetMetricData", Code: "AccessDenied", Message: "not allowed"}}
				}},
			{name: "pass another region's failures are not this rule's", status: Pass,
				mutate: both(recorded("us-east-1", "AWS/Events", enableTrailRule, nil), func(s *snapshot.Snapshot) {
					west(s).Activity = &snapshot.ActivityData{Start: activityEnd.Add(-14 * 24 * time.Hour), End: activityEnd, Series: []snapshot.MetricSeries{
						{Namespace: "AWS/Events", MetricName: "Invocations", Dimensions: enableTrailRule, Points: point(observedAt(6, 8), 1)},
						{Namespace: "AWS/Events", MetricName: "FailedInvocations", Dimensions: enableTrailRule, Points: point(observedAt(6, 8), 1)},
						{Namespace: "AWS/Events", MetricName: "InvocationsSentToDlq", Dimensions: enableTrailRule},
						{Namespace: "AWS/Events", MetricName: "InvocationsFailedToBeSentToDlq", Dimensions: enableTrailRule},
						{Namespace: "AWS/Events", MetricName: "DeadLetterInvocations", Dimensions: enableTrailRule},
					}}
				})},
		})
	})
	t.Run("CIS root usage by metric filter", func(t *testing.T) {
		runControlCases(t, RootUsageAlarm(), []controlCase{
			{name: "fail the topic's latest deliveries failed", status: Fail,
				broken: route.BrokenLink{Link: route.LinkSubscriber, Hop: route.HopSNSRecord},
				want:   []string{"AWS/SNS recorded NumberOfNotificationsFailed 1 of topic security-alerts at 2026-12-04T10:00Z, after the last successful delivery at 2026-11-30T10:00Z"},
				mutate: recorded("us-east-1", "AWS/SNS", alertsTopic, map[string][]snapshot.MetricPoint{
					"NumberOfNotificationsDelivered": point(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), 1), "NumberOfNotificationsFailed": point(observedAt(4, 10), 1)})},
			{name: "pass the topic delivered after an older failure", status: Pass, evidence: []string{"AWS/SNS recorded a successful delivery of topic security-alerts at 2026-12-05T10:00Z"},
				mutate: recorded("us-east-1", "AWS/SNS", alertsTopic, map[string][]snapshot.MetricPoint{
					"NumberOfNotificationsDelivered": point(observedAt(5, 10), 1), "NumberOfNotificationsFailed": point(observedAt(4, 10), 1)})},
			{name: "pass nothing recorded", status: Pass, mutate: recorded("us-east-1", "AWS/SNS", alertsTopic, nil),
				evidence: []string{"AWS/SNS recorded no delivery of topic security-alerts: not exercised in the last 14 days"}},
		})
	})
}
