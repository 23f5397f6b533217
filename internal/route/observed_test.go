package route

import (
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// at is a period start on the fixture's day: at(4, 10) is 2026-12-01T04:10Z.
func at(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, time.UTC) }

// pts builds a series' points, newest first as GetMetricData answers them.
func pts(p ...any) []snapshot.MetricPoint {
	var out []snapshot.MetricPoint
	for i := 0; i+1 < len(p); i += 2 {
		out = append(out, snapshot.MetricPoint{Timestamp: p[i].(time.Time), Value: float64(p[i+1].(int))})
	}
	return out
}

// activityRegion is a region whose activity section holds the given series of one resource,
// metric by metric in k's order (nil: no points).
func activitySeriesOf(k recordKind, dims map[string]string, points ...[]snapshot.MetricPoint) []snapshot.MetricSeries {
	out := make([]snapshot.MetricSeries, len(k.metrics))
	for i, m := range k.metrics {
		out[i] = snapshot.MetricSeries{Namespace: k.namespace, MetricName: m, Dimensions: dims}
		if i < len(points) {
			out[i].Points = points[i]
		}
	}
	return out
}

func TestJudgeRecord(t *testing.T) {
	rule := map[string]string{"RuleName": "notify"}
	fn := map[string]string{"FunctionName": "enable_trail"}
	topic := map[string]string{"TopicName": "alerts"}
	cases := []struct {
		name   string
		kind   recordKind
		dims   map[string]string
		series []snapshot.MetricSeries
		want   ObservedState
		// summary holds substrings of the evidence's sentence.
		summary []string
	}{
		{name: "rule latest failure after the latest success", kind: ruleRecord, dims: rule, want: ObservedFailed,
			series:  activitySeriesOf(ruleRecord, rule, pts(at(4, 10), 3, at(2, 0), 1), pts(at(4, 10), 3)),
			summary: []string{"AWS/Events recorded FailedInvocations 3 of rule notify at 2026-12-01T04:10Z", "after the last successful invocation at 2026-12-01T02:00Z"}},
		{name: "rule older failure then a success", kind: ruleRecord, dims: rule, want: ObservedDelivered,
			series:  activitySeriesOf(ruleRecord, rule, pts(at(5, 0), 1, at(4, 10), 3), pts(at(4, 10), 3)),
			summary: []string{"successful invocation of rule notify at 2026-12-01T05:00Z (Invocations 1)", "the last failure was at 2026-12-01T04:10Z"}},
		{name: "rule failures only, no success in the window", kind: ruleRecord, dims: rule, want: ObservedFailed,
			series:  activitySeriesOf(ruleRecord, rule, pts(at(4, 10), 2), pts(at(4, 10), 2)),
			summary: []string{"FailedInvocations 2", "and no successful invocation in the last 14 days"}},
		{name: "rule sent to its dead-letter queue counts as a failure", kind: ruleRecord, dims: rule, want: ObservedFailed,
			series:  activitySeriesOf(ruleRecord, rule, pts(at(4, 10), 1, at(1, 0), 1), nil, pts(at(4, 10), 1)),
			summary: []string{"InvocationsSentToDlq 1"}},
		{name: "rule target not invoked at all", kind: ruleRecord, dims: rule, want: ObservedFailed,
			series: activitySeriesOf(ruleRecord, rule, pts(at(1, 0), 1), nil, nil, nil, pts(at(4, 10), 1)), summary: []string{"DeadLetterInvocations 1"}},
		{name: "rule events the dead-letter queue did not take", kind: ruleRecord, dims: rule, want: ObservedFailed,
			series: activitySeriesOf(ruleRecord, rule, pts(at(1, 0), 1), nil, nil, pts(at(4, 10), 2)), summary: []string{"InvocationsFailedToBeSentToDlq 2"}},
		{name: "rule failure and success in one period is not ordered: a success", kind: ruleRecord, dims: rule, want: ObservedDelivered,
			series: activitySeriesOf(ruleRecord, rule, pts(at(4, 10), 2), pts(at(4, 10), 1))},
		{name: "rule with every invocation of a period failed is no success", kind: ruleRecord, dims: rule, want: ObservedFailed,
			series: activitySeriesOf(ruleRecord, rule, pts(at(4, 10), 2, at(3, 0), 1), pts(at(4, 10), 1), pts(at(4, 10), 1))},
		{name: "rule with no data is not exercised", kind: ruleRecord, dims: rule, want: ObservedQuiet,
			series: activitySeriesOf(ruleRecord, rule), summary: []string{"recorded no invocation of rule notify: not exercised in the last 14 days"}},
		{name: "rule series read in part is unknown", kind: ruleRecord, dims: rule, want: ObservedUnknown,
			series: func() []snapshot.MetricSeries {
				s := activitySeriesOf(ruleRecord, rule, pts(at(4, 10), 1))
				s[1].Partial = true
				return s
			}(), summary: []string{"FailedInvocations of rule notify was read only in part"}},
		{name: "rule series AWS refused is unknown", kind: ruleRecord, dims: rule, want: ObservedUnknown,
			series: func() []snapshot.MetricSeries {
				s := activitySeriesOf(ruleRecord, rule)
				s[0].Error = &snapshot.ReadError{Operation: "cloudwatch:GetMetricData", Code: "Forbidden", Message: "denied"}
				return s
			}(), summary: []string{"could not be read: cloudwatch:GetMetricData: Forbidden: denied"}},
		{name: "function errors on every run of the latest period", kind: functionRecord, dims: fn, want: ObservedFailed,
			series:  activitySeriesOf(functionRecord, fn, pts(at(4, 10), 1, at(1, 0), 1), pts(at(4, 10), 1)),
			summary: []string{"AWS/Lambda recorded Errors 1 of function enable_trail at 2026-12-01T04:10Z", "after the last successful run at 2026-12-01T01:00Z"}},
		{name: "function throttled only: no run at all", kind: functionRecord, dims: fn, want: ObservedFailed,
			series:  activitySeriesOf(functionRecord, fn, pts(at(1, 0), 1), nil, pts(at(4, 10), 5)),
			summary: []string{"Throttles 5", "after the last successful run at 2026-12-01T01:00Z"}},
		{name: "function some errors but a successful run in the latest period", kind: functionRecord, dims: fn, want: ObservedDelivered,
			series: activitySeriesOf(functionRecord, fn, pts(at(4, 10), 3), pts(at(4, 10), 1))},
		{name: "function succeeded after throttling", kind: functionRecord, dims: fn, want: ObservedDelivered,
			series: activitySeriesOf(functionRecord, fn, pts(at(5, 0), 1), nil, pts(at(4, 10), 2))},
		{name: "topic failed deliveries after the last delivery", kind: topicRecord, dims: topic, want: ObservedFailed,
			series:  activitySeriesOf(topicRecord, topic, pts(at(1, 0), 1), pts(at(4, 10), 1)),
			summary: []string{"AWS/SNS recorded NumberOfNotificationsFailed 1 of topic alerts at 2026-12-01T04:10Z"}},
		{name: "topic failed with no delivery recorded at all", kind: topicRecord, dims: topic, want: ObservedFailed,
			series:  activitySeriesOf(topicRecord, topic, nil, pts(at(4, 10), 1)),
			summary: []string{"no successful delivery in the last 14 days"}},
		{name: "topic delivered after an older failure", kind: topicRecord, dims: topic, want: ObservedDelivered,
			series: activitySeriesOf(topicRecord, topic, pts(at(6, 0), 2), pts(at(4, 10), 1))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.kind
			k.what = map[string]string{"AWS/Events": "rule notify", "AWS/Lambda": "function enable_trail", "AWS/SNS": "topic alerts"}[k.namespace]
			series := make([]*snapshot.MetricSeries, len(tc.series))
			for i := range tc.series {
				series[i] = &tc.series[i]
			}
			o := judgeRecord(k, series, 14)
			if o.State != tc.want {
				t.Fatalf("state = %q, want %q (%s)", o.State, tc.want, o.Summary)
			}
			for _, w := range tc.summary {
				if !strings.Contains(o.Summary, w) {
					t.Errorf("summary %q lacks %q", o.Summary, w)
				}
			}
			if tc.want == ObservedFailed && (o.LastFailure == nil || (o.LastSuccess != nil && !o.LastFailure.After(*o.LastSuccess))) {
				t.Errorf("a failed record needs its failure after any success: %+v", o)
			}
		})
	}
}

// A resource's record is read in its own account and region: series of the same name in
// another region belong to another resource, and a resource nobody asked about has none.
func TestObserveReadsTheResourcesOwnRegion(t *testing.T) {
	dims := map[string]string{"RuleName": "notify"}
	failing := activitySeriesOf(ruleRecord, dims, pts(at(4, 10), 1), pts(at(4, 10), 1))
	quiet := activitySeriesOf(ruleRecord, dims)
	s := &snapshot.Snapshot{Accounts: []snapshot.Account{{ID: "111111111111", Regions: []snapshot.Region{
		{Name: "us-east-1", Activity: &snapshot.ActivityData{Start: at(0, 0).Add(-14 * 24 * time.Hour), End: at(0, 0), Series: quiet}},
		{Name: "us-west-2", Activity: &snapshot.ActivityData{Start: at(0, 0).Add(-14 * 24 * time.Hour), End: at(0, 0), Series: failing}},
		{Name: "eu-west-1"},
	}}}}
	rule := func(region string) snapshot.Rule {
		return snapshot.Rule{Name: "notify", ARN: "arn:aws:events:" + region + ":111111111111:rule/notify"}
	}
	if o := observeRule(s, "us-east-1", rule("us-east-1")); o == nil || o.State != ObservedQuiet {
		t.Errorf("us-east-1: %+v, want not exercised (the failures are us-west-2's)", o)
	}
	if o := observeRule(s, "us-west-2", rule("us-west-2")); !o.Failed() {
		t.Errorf("us-west-2: %+v, want failed", o)
	}
	if o := observeRule(s, "eu-west-1", rule("eu-west-1")); o != nil {
		t.Errorf("eu-west-1 read no activity: %+v, want nil", o)
	}
	other := snapshot.Rule{Name: "other", ARN: "arn:aws:events:us-west-2:111111111111:rule/other"}
	if o := observeRule(s, "us-west-2", other); o != nil {
		t.Errorf("a rule whose series were not asked for: %+v, want nil", o)
	}
	onBus := snapshot.Rule{Name: "notify", ARN: "arn:aws:events:us-west-2:111111111111:rule/central/notify", EventBusName: "central"}
	if o := observeRule(s, "us-west-2", onBus); o != nil {
		t.Errorf("a custom bus's rule has its own dimension set (EventBusName): %+v, want nil", o)
	}
	s.Accounts[0].Regions[1].Activity.Error = &snapshot.ReadError{Operation: "cloudwatch:GetMetricData", Code: "AccessDenied", Message: "no"}
	if o := observeRule(s, "us-west-2", rule("us-west-2")); !o.Unknown() {
		t.Errorf("a failed read: %+v, want unknown", o)
	}
}
