package route

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// A path judged sound from its configuration can still fail where lookout cannot see: a
// service control policy, a function whose code throws, a revoked webhook, a quota. AWS
// records whether deliveries worked, as CloudWatch metrics of the resource that delivers
// (snapshot.ActivityData), and its word on the most recent attempt overrides the reading of
// the configuration: a sound path whose latest attempt failed FAILs; an older failure followed
// by a success does not; a path with nothing recorded keeps its verdict, and its evidence says
// it was not exercised. The metrics, by namespace (EventBridge, Lambda and SNS user guides,
// "Monitoring ... with CloudWatch metrics"):
//   - AWS/Events per rule: Invocations counts every invocation of a target, successful or
//     failed; FailedInvocations those that failed permanently, InvocationsSentToDlq those sent
//     to the target's dead-letter queue instead (neither counts the other), and
//     InvocationsFailedToBeSentToDlq those the queue did not take; DeadLetterInvocations counts
//     the times a target was not invoked at all (a rule that would trigger itself);
//   - AWS/Lambda per function: Invocations counts runs, successful or not, Errors the runs that
//     failed, Throttles the requests refused for concurrency (never counted in Invocations);
//     EventBridge counts only its hand-off to Lambda, so the function's own failures show here;
//   - AWS/SNS per topic: NumberOfNotificationsDelivered and NumberOfNotificationsFailed, per
//     delivery to a subscriber.
// Each is published only for periods in which it is non-zero: a missing datapoint is zero, and
// a series without points means nothing happened, never that something failed.

// ObservedState is what AWS's record says of a resource's most recent delivery attempt.
type ObservedState string

const (
	// ObservedDelivered: the most recent attempt (or one in the same period) succeeded.
	ObservedDelivered ObservedState = "delivered"
	// ObservedFailed: the most recent attempt failed, after the last success or with none.
	ObservedFailed ObservedState = "failed"
	// ObservedQuiet: nothing was recorded in the window; the static verdict stands.
	ObservedQuiet ObservedState = "not exercised"
	// ObservedUnknown: the record could not be read in full, so it may hold a failure.
	ObservedUnknown ObservedState = "unknown"
)

// Observation is what AWS recorded of one resource's deliveries in the observation window.
type Observation struct {
	// Source names the series: "AWS/Events RuleName=notify-root".
	Source string        `json:"source"`
	State  ObservedState `json:"state"`
	// LastFailure and LastSuccess are the starts of the latest periods with a failed and a
	// successful attempt.
	LastFailure *time.Time `json:"last_failure,omitempty"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	// Summary says it with the figures and their times.
	Summary string `json:"summary"`
}

// Failed reports whether AWS recorded that the latest attempt failed.
func (o *Observation) Failed() bool { return o != nil && o.State == ObservedFailed }

// Unknown reports whether the record could not be read in full.
func (o *Observation) Unknown() bool { return o != nil && o.State == ObservedUnknown }

// recordKind is how one kind of resource's series tell a failed attempt from a successful one.
type recordKind struct {
	namespace string
	metrics   []string
	// what names the resource ("rule r1") and attempt the thing attempted ("invocation").
	what, attempt string
	// judge classifies one period's sums (a metric without a datapoint is 0).
	judge func(p map[string]float64) (failed, succeeded bool)
	// failures are the metrics a failure's figures are named from.
	failures []string
	// success is the metric a success's figure is named from.
	success string
}

var (
	ruleRecord = recordKind{namespace: "AWS/Events", metrics: []string{"Invocations", "FailedInvocations", "InvocationsSentToDlq", "InvocationsFailedToBeSentToDlq", "DeadLetterInvocations"},
		attempt: "invocation", failures: []string{"FailedInvocations", "InvocationsSentToDlq", "InvocationsFailedToBeSentToDlq", "DeadLetterInvocations"}, success: "Invocations",
		judge: func(p map[string]float64) (bool, bool) {
			// Invocations counts the failed ones too, but not those sent to the dead-letter
			// queue; a target not invoked at all (DeadLetterInvocations) or an event that could
			// not even reach the dead-letter queue is a failure of its own.
			lost := p["FailedInvocations"] + p["InvocationsSentToDlq"]
			return lost > 0 || p["InvocationsFailedToBeSentToDlq"] > 0 || p["DeadLetterInvocations"] > 0, p["Invocations"] > lost
		}}
	functionRecord = recordKind{namespace: "AWS/Lambda", metrics: []string{"Invocations", "Errors", "Throttles"},
		attempt: "run", failures: []string{"Errors", "Throttles"}, success: "Invocations",
		judge: func(p map[string]float64) (bool, bool) {
			ok := p["Invocations"] > p["Errors"]
			return (p["Invocations"] > 0 || p["Throttles"] > 0) && !ok, ok
		}}
	topicRecord = recordKind{namespace: "AWS/SNS", metrics: []string{"NumberOfNotificationsDelivered", "NumberOfNotificationsFailed"},
		attempt: "delivery", failures: []string{"NumberOfNotificationsFailed"}, success: "NumberOfNotificationsDelivered",
		judge: func(p map[string]float64) (bool, bool) {
			return p["NumberOfNotificationsFailed"] > 0, p["NumberOfNotificationsDelivered"] > 0
		}}
)

// observeRule is what AWS/Events recorded of rule's invocations; nil when it was not read.
func observeRule(s *snapshot.Snapshot, region string, rule snapshot.Rule) *Observation {
	account := ""
	if a, ok := awsarn.Parse(rule.ARN); ok {
		account, region = a.Account, a.Region
	}
	dims := map[string]string{"RuleName": rule.Name}
	if !OnDefaultBus(rule) {
		dims["EventBusName"] = rule.EventBusName
	}
	k := ruleRecord
	k.what = "rule " + rule.Name
	return observe(s, account, region, k, dims)
}

// observeFunction is what AWS/Lambda recorded of the runs of the function target names (every
// version and alias: FunctionName alone); nil when it was not read.
func observeFunction(s *snapshot.Snapshot, target string) *Observation {
	a, ok := awsarn.Parse(target)
	if !ok {
		return nil
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(a.Resource, "function:"), ":")
	k := functionRecord
	k.what = "function " + name
	return observe(s, a.Account, a.Region, k, map[string]string{"FunctionName": name})
}

// observeTopic is what AWS/SNS recorded of the deliveries of topic to its subscribers; nil
// when it was not read.
func observeTopic(s *snapshot.Snapshot, topic string) *Observation {
	a, ok := awsarn.Parse(topic)
	if !ok {
		return nil
	}
	k := topicRecord
	k.what = "topic " + a.Resource
	return observe(s, a.Account, a.Region, k, map[string]string{"TopicName": a.Resource})
}

// observe judges k's series of the resource with exactly dims, read in account and region:
// nil when they were not read (no activity section there, or the resource was not asked for).
func observe(s *snapshot.Snapshot, account, region string, k recordKind, dims map[string]string) *Observation {
	r, _ := s.FindRegion(account, region)
	if r == nil || r.Activity == nil {
		return nil
	}
	o := &Observation{Source: k.namespace + " " + dimString(dims)}
	if r.Activity.Error != nil {
		o.State, o.Summary = ObservedUnknown, fmt.Sprintf("what %s recorded of %s could not be read: %s", k.namespace, k.what, r.Activity.Error.Error())
		return o
	}
	series := make([]*snapshot.MetricSeries, len(k.metrics))
	for i, m := range k.metrics {
		for j := range r.Activity.Series {
			if sr := &r.Activity.Series[j]; sr.Namespace == k.namespace && sr.MetricName == m && maps.Equal(sr.Dimensions, dims) {
				series[i] = sr
				break
			}
		}
		if series[i] == nil {
			return nil
		}
	}
	days := int(r.Activity.End.Sub(r.Activity.Start).Round(time.Hour).Hours() / 24)
	return judgeRecord(k, series, days)
}

// judgeRecord decides from series (k.metrics, in order) whether the latest attempt failed:
// the latest period with a failure is later than the latest with a success, or there is no
// success at all. A failure and a success in the same period are not ordered, so the period
// counts as a success.
func judgeRecord(k recordKind, series []*snapshot.MetricSeries, days int) *Observation {
	o := &Observation{Source: series[0].Namespace + " " + dimString(series[0].Dimensions)}
	for _, sr := range series {
		switch {
		case sr.Error != nil:
			o.State, o.Summary = ObservedUnknown, fmt.Sprintf("%s %s of %s could not be read: %s", k.namespace, sr.MetricName, k.what, sr.Error.Error())
			return o
		case sr.Partial:
			o.State, o.Summary = ObservedUnknown, fmt.Sprintf("%s %s of %s was read only in part (AWS had more datapoints than lookout reads)", k.namespace, sr.MetricName, k.what)
			return o
		}
	}
	periods := map[time.Time]map[string]float64{}
	for i, sr := range series {
		for _, p := range sr.Points {
			at := p.Timestamp.UTC()
			if periods[at] == nil {
				periods[at] = map[string]float64{}
			}
			periods[at][k.metrics[i]] += p.Value
		}
	}
	var failAt, okAt time.Time
	for at, p := range periods {
		failed, ok := k.judge(p)
		if failed && at.After(failAt) {
			failAt = at
		}
		if ok && at.After(okAt) {
			okAt = at
		}
	}
	if !failAt.IsZero() {
		o.LastFailure = &failAt
	}
	if !okAt.IsZero() {
		o.LastSuccess = &okAt
	}
	switch {
	case failAt.IsZero() && okAt.IsZero():
		o.State = ObservedQuiet
		o.Summary = fmt.Sprintf("%s recorded no %s of %s: not exercised in the last %d days", k.namespace, k.attempt, k.what, days)
	case !failAt.IsZero() && failAt.After(okAt):
		o.State = ObservedFailed
		o.Summary = fmt.Sprintf("%s recorded %s of %s at %s", k.namespace, figures(periods[failAt], k.failures), k.what, stamp(failAt))
		if okAt.IsZero() {
			o.Summary += fmt.Sprintf(", and no successful %s in the last %d days", k.attempt, days)
		} else {
			o.Summary += fmt.Sprintf(", after the last successful %s at %s", k.attempt, stamp(okAt))
		}
	default:
		o.State = ObservedDelivered
		o.Summary = fmt.Sprintf("%s recorded a successful %s of %s at %s (%s)", k.namespace, k.attempt, k.what, stamp(okAt), figures(periods[okAt], []string{k.success}))
		if !failAt.IsZero() {
			o.Summary += fmt.Sprintf(", the latest; the last failure was at %s", stamp(failAt))
		}
	}
	return o
}

// figures names the non-zero sums of metrics in one period: "FailedInvocations 3".
func figures(p map[string]float64, metrics []string) string {
	var out []string
	for _, m := range metrics {
		if v := p[m]; v > 0 {
			out = append(out, fmt.Sprintf("%s %g", m, v))
		}
	}
	return strings.Join(out, ", ")
}

// stamp writes a period's start as the evidence does: 2026-12-01T04:10Z.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04Z") }

// dimString writes a dimension set in a stable order: "EventBusName=b,RuleName=r".
func dimString(dims map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(dims)) {
		parts = append(parts, k+"="+dims[k])
	}
	return strings.Join(parts, ",")
}

// withRecord holds a target that delivers by its configuration against AWS's record of it:
// the latest attempt failed FAILs at hop; a record that could not be read in full leaves it
// unknown, as it might hold such a failure. The observation is kept in the evidence.
func withRecord(v TargetVerdict, o *Observation, hop DeliveryHop) TargetVerdict {
	if v.State != Pass || o == nil {
		return v
	}
	v.Observed = o
	switch o.State {
	case ObservedFailed:
		v.State, v.Hop, v.Reason = Fail, hop, o.Summary
	case ObservedUnknown:
		v.State, v.Hop, v.Reason = Error, "", o.Summary
	}
	return v
}
