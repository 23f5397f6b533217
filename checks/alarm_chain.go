package checks

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/filterpattern"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// The alarm chain is how a CloudWatch Logs detection reaches a person: log group → metric
// filter → metric → alarm → SNS topic → confirmed subscriber. Every link must hold, and each is
// judged by what it does rather than by its text: the filter pattern is evaluated against the
// detection's events, the alarm's statistic, threshold and datapoints against one matching
// event, the topic against its subscriptions. Peer scanners join these links by metric name
// only, or by log group name across regions; both give false PASSes (shared/notes).

// LogGroupRef names a log group where it lives. A log group is its account, region and name
// together: a group with the same name in another account or region is another group, and
// the filters and alarms that count are only those in the group's own account and region.
type LogGroupRef struct {
	Account, Region, Name string
}

// ARN is the log group's ARN (without the ":*" suffix).
func (l LogGroupRef) ARN() string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", l.Region, l.Account, l.Name)
}

func (l LogGroupRef) String() string {
	return fmt.Sprintf("%s (account %s, %s)", l.Name, l.Account, l.Region)
}

// LogGroupFromARN reads a log group ARN such as CloudTrail's CloudWatchLogsLogGroupArn
// ("arn:aws:logs:us-east-1:111122223333:log-group:NAME:*").
func LogGroupFromARN(s string) (LogGroupRef, error) {
	a, ok := parseARN(s)
	if !ok || a.Service != "logs" || !strings.HasPrefix(a.Resource, "log-group:") {
		return LogGroupRef{}, fmt.Errorf("%q is not a CloudWatch Logs log group ARN", s)
	}
	name := strings.TrimSuffix(strings.TrimPrefix(a.Resource, "log-group:"), ":*")
	if name == "" || a.Region == "" || a.Account == "" {
		return LogGroupRef{}, fmt.Errorf("%q is not a CloudWatch Logs log group ARN", s)
	}
	return LogGroupRef{Account: a.Account, Region: a.Region, Name: name}, nil
}

// ChainLink is one link of the alarm chain, in order.
type ChainLink int

const (
	LinkLogGroup ChainLink = iota + 1
	LinkMetricFilter
	LinkAlarm
	LinkTopic
	LinkSubscriber
)

func (l ChainLink) String() string {
	switch l {
	case LinkLogGroup:
		return "log group"
	case LinkMetricFilter:
		return "metric filter"
	case LinkAlarm:
		return "alarm"
	case LinkTopic:
		return "SNS topic"
	case LinkSubscriber:
		return "confirmed subscriber"
	}
	return "none"
}

// AlarmChainVerdict is the outcome of EvaluateAlarmChain.
type AlarmChainVerdict struct {
	// Status is Pass, Fail (a link is missing or does not do its job) or Error (a link could
	// not be judged because something was not read).
	Status   Status
	LogGroup LogGroupRef
	// Broken is the first link that does not hold on the closest path; 0 on PASS.
	Broken ChainLink
	// Holds counts the links that hold on the closest path (5 on PASS), so that a caller
	// with several log groups can name the closest chain.
	Holds int
	// Message says, in one sentence, what the complete chain is (PASS) or what is broken.
	Message string
	// Resource is the alarm's ARN on PASS, else the deepest resource reached.
	Resource string
	// Evidence holds what was read: filters with their verdicts, alarms, topics.
	Evidence map[string]any
}

// chainPath is one path through the chain and how far it holds.
type chainPath struct {
	holds    int
	state    linkState
	msg      string
	resource string
}

// EvaluateAlarmChain judges the chain from log group lg to a confirmed subscriber for
// detection d (a FilterPattern detection such as detection.RootUsage() or
// detection.SSHLogin()). It considers every metric filter on the group, every alarm on each
// filter's metric and every SNS action of each alarm, and PASSes if any path is complete;
// otherwise it reports the path that holds furthest (ERROR if some path could not be judged
// because data is missing, since that path might be complete).
//
// The links:
//  1. the log group exists in its own account and region;
//  2. a metric filter on it whose pattern matches every positive of d and none of its
//     negatives, and whose metric value is > 0 for the positives (a filter that publishes 0
//     counts nothing);
//  3. a metric alarm in the same account and region on the same metric name, namespace and
//     dimensions, with actions enabled, such that one matching event raises it: a Sum,
//     SampleCount or Maximum (Average, Minimum and percentiles only without a default value)
//     of one event's value meets a >= or > threshold, one breaching datapoint is enough
//     (DatapointsToAlarm, or EvaluationPeriods, is 1), the period is whole minutes (metric
//     filter metrics have one-minute resolution), the default value alone does not already
//     breach, and missing data is not treated as breaching;
//  4. an alarm action that is an SNS topic that exists;
//  5. that topic has at least one confirmed subscription (PendingConfirmation does not count).
func EvaluateAlarmChain(s *snapshot.Snapshot, lg LogGroupRef, d detection.Detection) AlarmChainVerdict {
	v := AlarmChainVerdict{LogGroup: lg, Resource: lg.ARN(), Evidence: map[string]any{"log_group": lg.ARN()}}
	fail := func(status Status, link ChainLink, msg string) AlarmChainVerdict {
		v.Status, v.Broken, v.Holds, v.Message = status, link, int(link)-1, msg
		return v
	}
	r, where := regionOf(s, lg.Account, lg.Region)
	switch {
	case r == nil:
		return fail(Error, LinkLogGroup, fmt.Sprintf("log group %s cannot be verified: %s", lg, where))
	case r.Logs == nil:
		return fail(Error, LinkLogGroup, fmt.Sprintf("log group %s cannot be verified: CloudWatch Logs was not collected in %s", lg.Name, lg.Region))
	case r.Logs.Error != nil:
		return fail(Error, LinkLogGroup, fmt.Sprintf("log group %s cannot be verified: %s", lg.Name, r.Logs.Error.Error()))
	}
	exists := false
	for _, g := range r.Logs.LogGroups {
		if g.Name == lg.Name {
			exists = true
			break
		}
	}
	if !exists {
		return fail(Fail, LinkLogGroup, fmt.Sprintf("log group %s does not exist", lg))
	}
	if r.Logs.MetricFiltersError != nil {
		return fail(Error, LinkMetricFilter, fmt.Sprintf("the metric filters of log group %s could not be read: %s", lg.Name, r.Logs.MetricFiltersError.Error()))
	}

	filters := judgeFilters(r.Logs.MetricFilters, lg.Name, d)
	v.Evidence["metric_filters"] = filters
	var metrics []metricRef
	for _, f := range filters {
		metrics = append(metrics, f.counting...)
	}
	if len(metrics) == 0 {
		// CloudWatch Logs accepted every saved filter pattern, so one lookout cannot parse
		// might detect the events: ERROR, not FAIL.
		for _, f := range filters {
			if f.unparsed {
				return fail(Error, LinkMetricFilter, fmt.Sprintf("metric filter %s on log group %s could not be evaluated (%s); no other filter on it counts %s",
					f.Name, lg.Name, strings.TrimPrefix(f.Verdict, "does not parse: "), d.Summary))
			}
		}
		return fail(Fail, LinkMetricFilter, filterFailure(filters, lg, d))
	}

	if r.CloudWatch == nil {
		return fail(Error, LinkAlarm, fmt.Sprintf("metric filter %s publishes %s, but CloudWatch alarms were not collected in %s", metrics[0].filter, metrics[0], lg.Region))
	}
	if r.CloudWatch.Error != nil {
		return fail(Error, LinkAlarm, fmt.Sprintf("metric filter %s publishes %s, but the alarms of %s could not be read: %s", metrics[0].filter, metrics[0], lg.Region, r.CloudWatch.Error.Error()))
	}

	var paths []chainPath
	var alarmsSeen []map[string]any
	var topicsSeen []targetVerdict
	for _, m := range metrics {
		var onMetric []snapshot.Alarm
		var near []string
		for _, a := range r.CloudWatch.Alarms {
			if a.MetricName != m.Name {
				continue
			}
			if a.Namespace == m.Namespace && sameDimensions(a.Dimensions, m.Dimensions) {
				onMetric = append(onMetric, a)
			} else {
				near = append(near, fmt.Sprintf("alarm %s watches %s", a.Name, metricRef{Name: a.MetricName, Namespace: a.Namespace, Dimensions: a.Dimensions}))
			}
		}
		if len(onMetric) == 0 {
			msg := fmt.Sprintf("metric filter %s on %s publishes %s, but no alarm in account %s, %s watches that metric", m.filter, lg.Name, m, lg.Account, lg.Region)
			if len(near) > 0 {
				msg += " (" + strings.Join(near, "; ") + ": a different metric)"
			}
			paths = append(paths, chainPath{holds: 2, state: linkBroken, msg: msg, resource: lg.ARN()})
			continue
		}
		for _, a := range onMetric {
			problems := alarmProblems(a, m)
			alarmsSeen = append(alarmsSeen, alarmEvidence(a, problems))
			if len(problems) > 0 {
				paths = append(paths, chainPath{holds: 2, state: linkBroken, resource: alarmResource(a),
					msg: fmt.Sprintf("alarm %s on %s (metric filter %s on %s) would not go off on one matching event: %s", a.Name, m, m.filter, lg.Name, strings.Join(problems, "; "))})
				continue
			}
			paths = append(paths, alarmActionPaths(s, a, m, lg, &topicsSeen)...)
		}
	}
	if len(alarmsSeen) > 0 {
		v.Evidence["alarms"] = alarmsSeen
	}
	if len(topicsSeen) > 0 {
		v.Evidence["topics"] = topicsSeen
	}
	best := closestPath(paths)
	v.Message, v.Resource, v.Holds = best.msg, best.resource, best.holds
	switch best.state {
	case linkOK:
		v.Status = Pass
	case linkUnknown:
		v.Status, v.Broken = Error, ChainLink(best.holds+1)
	default:
		v.Status, v.Broken = Fail, ChainLink(best.holds+1)
	}
	return v
}

// closestPath picks a complete path, else a path that could not be judged (it might be
// complete), else the one that holds furthest; ties go to the first, which follows the sorted
// order of filters and alarms.
func closestPath(paths []chainPath) chainPath {
	rank := map[linkState]int{linkOK: 2, linkUnknown: 1, linkBroken: 0}
	best := paths[0]
	for _, p := range paths[1:] {
		if rank[p.state] > rank[best.state] || (rank[p.state] == rank[best.state] && p.holds > best.holds) {
			best = p
		}
	}
	return best
}

// alarmActionPaths follows each SNS action of an alarm that would go off.
func alarmActionPaths(s *snapshot.Snapshot, a snapshot.Alarm, m metricRef, lg LogGroupRef, seen *[]targetVerdict) []chainPath {
	res := alarmResource(a)
	head := fmt.Sprintf("metric filter %s on %s feeds alarm %s (%s)", m.filter, lg.Name, a.Name, alarmCondition(a))
	var paths []chainPath
	var others []string
	for _, action := range a.AlarmActions {
		if p, ok := parseARN(action); !ok || p.Service != "sns" {
			others = append(others, action)
			continue
		}
		tv := judgeTopic(s, action)
		*seen = append(*seen, tv)
		switch {
		case tv.State == linkOK:
			paths = append(paths, chainPath{holds: 5, state: linkOK, resource: res, msg: head + ", which notifies " + tv.Reason})
		case tv.State == linkUnknown:
			paths = append(paths, chainPath{holds: 3, state: linkUnknown, resource: res, msg: head + ", but " + tv.Reason})
		case tv.absent:
			paths = append(paths, chainPath{holds: 3, state: linkBroken, resource: res, msg: head + ", but its action " + tv.Reason})
		default:
			paths = append(paths, chainPath{holds: 4, state: linkBroken, resource: res, msg: head + ", but " + tv.Reason})
		}
	}
	if len(paths) == 0 {
		msg := head + ", but the alarm notifies no SNS topic"
		if len(others) > 0 {
			msg += " (its actions: " + strings.Join(others, ", ") + ")"
		}
		paths = append(paths, chainPath{holds: 3, state: linkBroken, resource: res, msg: msg})
	}
	return paths
}

func alarmResource(a snapshot.Alarm) string {
	if a.ARN != "" {
		return a.ARN
	}
	return a.Name
}

// metricRef is a metric a filter publishes, and the value one positive event adds to it.
type metricRef struct {
	Name       string            `json:"metric_name"`
	Namespace  string            `json:"namespace"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Value      float64           `json:"value_per_event"`
	Default    *float64          `json:"default_value,omitempty"`
	filter     string
}

func (m metricRef) String() string {
	s := m.Namespace + "/" + m.Name
	if len(m.Dimensions) > 0 {
		keys := make([]string, 0, len(m.Dimensions))
		for k := range m.Dimensions {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+"="+m.Dimensions[k])
		}
		s += " {" + strings.Join(parts, ", ") + "}"
	}
	return s
}

// filterVerdict is one metric filter on the log group, judged.
type filterVerdict struct {
	Name       string      `json:"name"`
	Pattern    string      `json:"pattern"`
	Verdict    string      `json:"verdict"`
	Metrics    []metricRef `json:"metrics,omitempty"`
	Problem    string      `json:"problem,omitempty"`
	detects    bool
	unparsed   bool
	missedPos  int
	matchedNeg int
	counting   []metricRef
}

// judgeFilters evaluates every metric filter of the log group against d, sorted by name.
func judgeFilters(all []snapshot.MetricFilter, group string, d detection.Detection) []filterVerdict {
	var out []filterVerdict
	for _, mf := range all {
		if mf.LogGroupName != group {
			continue
		}
		fv := filterVerdict{Name: mf.Name, Pattern: mf.Pattern}
		pv, err := d.EvaluateFilterPattern(mf.Pattern)
		if err != nil {
			fv.Verdict = "does not parse: " + err.Error()
			fv.Problem = "its pattern does not parse: " + err.Error()
			fv.unparsed, fv.missedPos = true, math.MaxInt
			out = append(out, fv)
			continue
		}
		fv.Verdict, fv.detects = pv.String(), pv.Detects
		fv.missedPos, fv.matchedNeg = len(pv.MissedPositives), len(pv.MatchedNegatives)
		if !pv.Detects {
			fv.Problem = patternProblem(pv)
			out = append(out, fv)
			continue
		}
		var zero []string
		for _, t := range mf.Transformations {
			m := metricRef{Name: t.MetricName, Namespace: t.MetricNamespace, Dimensions: t.Dimensions, Default: t.DefaultValue, filter: mf.Name}
			val, err := valuePerEvent(mf.Pattern, t.MetricValue, d)
			if err != nil {
				zero = append(zero, fmt.Sprintf("metric %s: %v", m, err))
				continue
			}
			m.Value = val
			fv.Metrics = append(fv.Metrics, m)
			if val > 0 {
				fv.counting = append(fv.counting, m)
			} else {
				zero = append(zero, fmt.Sprintf("metric %s gets %g per matching event (metric value %q), so it never counts", m, val, t.MetricValue))
			}
		}
		if len(fv.counting) == 0 {
			if len(zero) == 0 {
				zero = append(zero, "it publishes no metric")
			}
			fv.Problem = "it matches, but " + strings.Join(zero, "; ")
		}
		out = append(out, fv)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// valuePerEvent is the smallest value the metric transformation publishes for a positive
// event the pattern matches (a "$.field" value can differ per event).
func valuePerEvent(pattern, spec string, d detection.Detection) (float64, error) {
	p, err := filterpattern.Parse(pattern)
	if err != nil {
		return 0, err
	}
	events := append([]detection.Event{}, d.Positives...)
	for _, g := range d.AnyOf {
		events = append(events, g...)
	}
	min, seen := math.Inf(1), false
	for _, e := range events {
		res := p.Match(string(e.Body))
		if !res.Matched {
			continue
		}
		val, err := filterpattern.MetricValue(spec, res, string(e.Body))
		if err != nil {
			return 0, err
		}
		seen = true
		min = math.Min(min, val)
	}
	if !seen {
		return 0, fmt.Errorf("matches no positive event")
	}
	return min, nil
}

// filterFailure explains why no filter on the group counts the detection's events: the
// closest filter (one that detects but publishes nothing useful, else the one matching most
// positives and fewest negatives) with its full verdict, and a short tally for a few others.
func filterFailure(filters []filterVerdict, lg LogGroupRef, d detection.Detection) string {
	if len(filters) == 0 {
		return fmt.Sprintf("log group %s has no metric filter (none detects %s)", lg, d.Summary)
	}
	ranked := append([]filterVerdict{}, filters...)
	sort.SliceStable(ranked, func(i, j int) bool {
		a, b := ranked[i], ranked[j]
		if a.detects != b.detects {
			return a.detects
		}
		if a.missedPos != b.missedPos {
			return a.missedPos < b.missedPos
		}
		return a.matchedNeg < b.matchedNeg
	})
	msg := fmt.Sprintf("no metric filter on log group %s counts %s: closest is %s, %s", lg.Name, d.Summary, ranked[0].Name, ranked[0].Problem)
	positives, negatives := len(d.Positives)+len(d.AnyOf), len(d.Negatives)
	const listed = 3
	var others []string
	for i, f := range ranked[1:] {
		if i == listed {
			others = append(others, fmt.Sprintf("%d more (see evidence)", len(ranked)-1-listed))
			break
		}
		switch {
		case f.unparsed:
			others = append(others, f.Name+" (does not parse)")
		case f.detects:
			others = append(others, f.Name+" (detects, but publishes no count)")
		default:
			others = append(others, fmt.Sprintf("%s (matches %d of %d positives, %d of %d negatives)", f.Name, positives-f.missedPos, positives, f.matchedNeg, negatives))
		}
	}
	if len(others) > 0 {
		msg += "; others: " + strings.Join(others, ", ")
	}
	return msg
}

// sameDimensions: an alarm watches exactly one dimension set; a filter's metric with
// dimensions is a different metric from the same name without them.
func sameDimensions(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// alarmProblems lists why one matching event would not raise the alarm (empty if it would).
func alarmProblems(a snapshot.Alarm, m metricRef) []string {
	var out []string
	if !a.ActionsEnabled {
		out = append(out, "its actions are disabled")
	}
	breaches := func(y float64) (bool, bool) {
		switch a.ComparisonOperator {
		case "GreaterThanOrEqualToThreshold":
			return y >= a.Threshold, true
		case "GreaterThanThreshold":
			return y > a.Threshold, true
		}
		return false, false
	}
	// x is what one event gives the alarm's statistic over a period with nothing else in it.
	// Average, Minimum and percentiles also see the default value the filter publishes for
	// every non-matching event, so with a default value they cannot be relied on.
	stat, x, known, diluted := a.Statistic, m.Value, true, false
	switch {
	case a.ExtendedStatistic != "":
		stat, diluted = a.ExtendedStatistic, m.Default != nil
	case stat == "Sum" || stat == "Maximum":
	case stat == "SampleCount":
		x = 1
	case stat == "Average" || stat == "Minimum":
		diluted = m.Default != nil
	default:
		known = false
		out = append(out, fmt.Sprintf("its statistic %q is not one lookout can evaluate", stat))
	}
	switch ok, comparable := breaches(x); {
	case !comparable:
		out = append(out, fmt.Sprintf("its comparison %s does not go off when events are counted (use GreaterThanOrEqualToThreshold)", a.ComparisonOperator))
	case diluted:
		out = append(out, fmt.Sprintf("its statistic %s is diluted by the filter's default value %g (use Sum)", stat, *m.Default))
	case known && !ok:
		out = append(out, fmt.Sprintf("one event gives %s %g, which does not meet %s %g", stat, x, opSymbol(a.ComparisonOperator), a.Threshold))
	}
	if m.Default != nil {
		if ok, known := breaches(*m.Default); known && ok {
			out = append(out, fmt.Sprintf("the filter's default value %g already meets %s %g, so the alarm stays in ALARM and never changes state on an event", *m.Default, opSymbol(a.ComparisonOperator), a.Threshold))
		}
	}
	need := a.DatapointsToAlarm
	if need == 0 {
		need = a.EvaluationPeriods
	}
	if need > 1 {
		out = append(out, fmt.Sprintf("it needs %d of %d datapoints to breach, and one event makes one", need, a.EvaluationPeriods))
	}
	if a.Period < 60 || a.Period%60 != 0 {
		out = append(out, fmt.Sprintf("its period %ds is not whole minutes (metric filter metrics have one-minute resolution)", a.Period))
	}
	if a.TreatMissingData == "breaching" {
		out = append(out, "it treats missing data as breaching, so it sits in ALARM without any event")
	}
	return out
}

func opSymbol(op string) string {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return ">="
	case "GreaterThanThreshold":
		return ">"
	case "LessThanThreshold":
		return "<"
	case "LessThanOrEqualToThreshold":
		return "<="
	}
	return op
}

// alarmCondition is "Sum >= 1 over 300s, 1 of 1".
func alarmCondition(a snapshot.Alarm) string {
	stat := a.Statistic
	if a.ExtendedStatistic != "" {
		stat = a.ExtendedStatistic
	}
	need := a.DatapointsToAlarm
	if need == 0 {
		need = a.EvaluationPeriods
	}
	return fmt.Sprintf("%s %s %g over %ds, %d of %d", stat, opSymbol(a.ComparisonOperator), a.Threshold, a.Period, need, a.EvaluationPeriods)
}

func alarmEvidence(a snapshot.Alarm, problems []string) map[string]any {
	e := map[string]any{
		"name":            a.Name,
		"arn":             a.ARN,
		"metric":          metricRef{Name: a.MetricName, Namespace: a.Namespace, Dimensions: a.Dimensions}.String(),
		"condition":       alarmCondition(a),
		"actions_enabled": a.ActionsEnabled,
		"alarm_actions":   a.AlarmActions,
	}
	if len(problems) > 0 {
		e["problems"] = problems
	}
	return e
}
