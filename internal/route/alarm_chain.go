package route

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lookout-audit/lookout/internal/alarmrule"
	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/filterpattern"
	"github.com/lookout-audit/lookout/internal/metricmath"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// The alarm chain is how a CloudWatch Logs detection reaches a person: log group → metric
// filter → metric → alarm → SNS topic → confirmed subscriber. Every link must hold, and each is
// judged by what it does rather than by its text: the filter pattern is evaluated against the
// detection's events, the alarm's statistic, threshold and datapoints against one matching
// event, the topic against its subscriptions. Other scanners join these links by metric name
// only (ignoring namespace, region and the topic's subscribers), or join log groups by name
// across regions; both give false PASSes.

// LogGroupRef names a log group where it lives. A log group is its account, region and name
// together: a group with the same name in another account or region is another group, and
// the filters and alarms that count are only those in the group's own account and region.
type LogGroupRef struct {
	Account, Region, Name string
	// Partition is the ARN partition ("" means aws).
	Partition string
}

// ARN is the log group's ARN (without the ":*" suffix).
func (l LogGroupRef) ARN() string {
	return awsarn.Build(l.Partition, "logs", l.Region, l.Account, "log-group:"+l.Name)
}

func (l LogGroupRef) String() string {
	return fmt.Sprintf("%s (account %s, %s)", l.Name, l.Account, l.Region)
}

// LogGroupFromARN reads a log group ARN such as CloudTrail's CloudWatchLogsLogGroupArn
// ("arn:aws:logs:us-east-1:111122223333:log-group:NAME:*").
func LogGroupFromARN(s string) (LogGroupRef, error) {
	a, ok := awsarn.Parse(s)
	if !ok || a.Service != "logs" || !strings.HasPrefix(a.Resource, "log-group:") {
		return LogGroupRef{}, fmt.Errorf("%q is not a CloudWatch Logs log group ARN", s)
	}
	name := strings.TrimSuffix(strings.TrimPrefix(a.Resource, "log-group:"), ":*")
	if name == "" || a.Region == "" || a.Account == "" {
		return LogGroupRef{}, fmt.Errorf("%q is not a CloudWatch Logs log group ARN", s)
	}
	return LogGroupRef{Account: a.Account, Region: a.Region, Name: name, Partition: a.Partition}, nil
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

// The links of an EventBridge route, and the trail that feeds either kind of chain. They come
// after the alarm chain's so that an alarm chain's link still counts the links before it.
const (
	// LinkTrail: a logging trail records the events (and delivers them to the log group).
	LinkTrail ChainLink = iota + 10
	// LinkRule: an enabled rule on the default bus whose pattern matches the events.
	LinkRule
	// LinkTarget: one of the rule's targets delivers (Hop names what stops it).
	LinkTarget
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
	case LinkTrail:
		return "trail"
	case LinkRule:
		return "EventBridge rule"
	case LinkTarget:
		return "rule target"
	}
	return "none"
}

// MarshalText writes the link's name in evidence.
func (l ChainLink) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a link's name back (a finding read from a JSON report).
func (l *ChainLink) UnmarshalText(b []byte) error {
	for c := LinkLogGroup; c <= LinkTarget; c++ {
		if c.String() == string(b) && c.String() != "none" {
			*l = c
			return nil
		}
	}
	return fmt.Errorf("unknown chain link %q", b)
}

// AlarmChainVerdict is the outcome of EvaluateAlarmChain.
type AlarmChainVerdict struct {
	// Status is Pass, Fail (a link is missing or does not do its job) or Error (a link could
	// not be judged because something was not read).
	Status   Verdict
	LogGroup LogGroupRef
	// Broken is the first link that does not hold on the closest path; zero on PASS.
	Broken BrokenLink
	// Holds counts the links that hold on the closest path (5 on PASS), so that a caller
	// with several log groups can name the closest chain.
	Holds int
	// Message says, in one sentence, what the complete chain is (PASS) or what is broken.
	Message string
	// Resource is the alarm's ARN on PASS, else the deepest resource reached.
	Resource string
	// Evidence holds what was read: filters with their verdicts, alarms, topics.
	Evidence AlarmChainEvidence
}

// chainPath is one path through the chain and how far it holds.
type chainPath struct {
	holds int
	state Verdict
	// hop is the delivery hop that does not hold, when the broken link is the topic or
	// the subscriber.
	hop      DeliveryHop
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
	v := AlarmChainVerdict{LogGroup: lg, Resource: lg.ARN(), Evidence: AlarmChainEvidence{LogGroup: lg.ARN()}}
	fail := func(status Verdict, link ChainLink, msg string) AlarmChainVerdict {
		v.Status, v.Holds, v.Message = status, int(link)-1, msg
		v.Broken = BrokenLink{Link: link, Unknown: status == Error}
		return v
	}
	r, where := s.FindRegion(lg.Account, lg.Region)
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
	v.Evidence.MetricFilters, v.Evidence.OtherMetricFilters = filterEvidence(filters)
	var metrics, partial []metricRef
	for _, f := range filters {
		metrics = append(metrics, f.counting...)
		partial = append(partial, f.partial...)
	}
	if len(metrics) == 0 && len(partial) == 0 {
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
	var alarmsSeen []AlarmEvidence
	var topicsSeen []TargetVerdict
	metricPaths := func(m metricRef) []chainPath {
		var paths []chainPath
		var onMetric []snapshot.Alarm
		var near []string
		for _, a := range r.CloudWatch.Alarms {
			for _, w := range watchedMetrics(a) {
				if w.MetricName != m.Name {
					continue
				}
				if w.Namespace == m.Namespace && sameDimensionKeys(w.Dimensions, m.Dimensions) {
					onMetric = append(onMetric, a)
					break
				}
				near = append(near, fmt.Sprintf("alarm %s watches %s", a.Name, metricRef{Name: w.MetricName, Namespace: w.Namespace, Dimensions: w.Dimensions}))
			}
		}
		if len(onMetric) == 0 {
			msg := fmt.Sprintf("metric filter %s on %s publishes %s, but no alarm in account %s, %s watches that metric", m.filter, lg.Name, m, lg.Account, lg.Region)
			if len(near) > 0 {
				msg += " (" + strings.Join(near, "; ") + ": a different metric)"
			}
			return append(paths, chainPath{holds: 2, state: Fail, msg: msg, resource: lg.ARN()})
		}
		for _, a := range onMetric {
			problems, unknown := alarmProblems(a, m)
			alarmsSeen = append(alarmsSeen, alarmEvidence(a, problems))
			// An alarm whose only problem is that it acts on nothing itself still goes off,
			// and may notify through a composite alarm whose rule it raises.
			goesOff := len(problems) == 0 || (len(problems) == 1 && !a.ActionsEnabled)
			switch {
			case len(problems) > 0:
				paths = append(paths, chainPath{holds: 2, state: Fail, resource: alarmResource(a),
					msg: fmt.Sprintf("alarm %s on %s (metric filter %s on %s) would not go off on one matching event: %s", a.Name, m, m.filter, lg.Name, strings.Join(problems, "; "))})
			case unknown != "":
				paths = append(paths, chainPath{holds: 2, state: Error, resource: alarmResource(a),
					msg: fmt.Sprintf("alarm %s on %s (metric filter %s on %s) cannot be evaluated: %s", a.Name, m, m.filter, lg.Name, unknown)})
				continue
			default:
				paths = append(paths, alarmActionPaths(s, r, a, m, lg, &topicsSeen)...)
			}
			if goesOff && unknown == "" && len(r.CloudWatch.CompositeAlarms) > 0 {
				paths = append(paths, compositePaths(s, r, a, m, lg, &topicsSeen)...)
			}
		}
		return paths
	}
	for _, m := range metrics {
		paths = append(paths, metricPaths(m)...)
	}
	// Filters that each count some of the events: every event reaches every filter of the
	// group, so their complete chains together may carry them all.
	var together []chainPath
	covered := map[string]bool{}
	if !anyComplete(paths) {
		for _, m := range partial {
			for _, p := range metricPaths(m) {
				if p.state == Pass {
					together = append(together, p)
					for n := range m.covers {
						covered[n] = true
					}
				}
			}
		}
	}
	v.Evidence.Alarms, v.Evidence.Topics = alarmsSeen, topicsSeen
	if len(together) > 0 && covers(d, covered) {
		msgs := make([]string, len(together))
		for i, p := range together {
			msgs[i] = p.msg
		}
		v.Status, v.Holds, v.Resource = Pass, 5, together[0].resource
		v.Message = "metric filters together count every event (each event reaches every filter of the group): " + strings.Join(msgs, "; ")
		return v
	}
	if len(paths) == 0 {
		return fail(Fail, LinkMetricFilter, filterFailure(filters, lg, d))
	}
	best := closestPath(paths)
	v.Message, v.Resource, v.Holds = best.msg, best.resource, best.holds
	switch best.state {
	case Pass:
		v.Status = Pass
	case Error:
		v.Status, v.Broken = Error, BrokenLink{Link: ChainLink(best.holds + 1), Hop: best.hop, Unknown: true}
	default:
		v.Status, v.Broken = Fail, BrokenLink{Link: ChainLink(best.holds + 1), Hop: best.hop}
	}
	return v
}

// closestPath picks a complete path, else a path that could not be judged (it might be
// complete), else the one that holds furthest; ties go to the first, which follows the sorted
// order of filters and alarms.
func closestPath(paths []chainPath) chainPath {
	best := paths[0]
	for _, p := range paths[1:] {
		if ComparePaths(p.state, p.holds, best.state, best.holds) < 0 {
			best = p
		}
	}
	return best
}

// alarmActionPaths follows each SNS action of an alarm that would go off, judging delivery
// as CloudWatch (cloudwatch.amazonaws.com) publishing on the alarm's behalf. A complete path
// is then held against what CloudWatch itself recorded: if the alarm's latest action failed,
// no configuration reading overrides AWS's own word.
func alarmActionPaths(s *snapshot.Snapshot, r *snapshot.Region, a snapshot.Alarm, m metricRef, lg LogGroupRef, seen *[]TargetVerdict) []chainPath {
	head := fmt.Sprintf("metric filter %s on %s feeds alarm %s (%s)", m.filter, lg.Name, a.Name, alarmCondition(a))
	return actionPaths(s, r, a, head, lg, seen)
}

// actionPaths follows each SNS action of alarm a (a metric alarm, or a composite alarm as
// its name, ARN and actions) that goes off; head describes how the event got there.
func actionPaths(s *snapshot.Snapshot, r *snapshot.Region, a snapshot.Alarm, head string, lg LogGroupRef, seen *[]TargetVerdict) []chainPath {
	res := alarmResource(a)
	source := a.ARN
	if source == "" {
		source = fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", s.PartitionOf(lg.Account), lg.Region, lg.Account, a.Name)
	}
	snd := sender{service: principalCloudWatch, source: source, account: lg.Account, what: "alarm " + a.Name,
		messages: [][]byte{alarmNotification(a, lg.Account, lg.Region)}}
	var paths []chainPath
	var others []string
	for _, action := range a.AlarmActions {
		if p, ok := awsarn.Parse(action); !ok || p.Service != "sns" {
			others = append(others, action)
			continue
		}
		tv := judgeTopicDelivery(s, action, snd)
		*seen = append(*seen, tv)
		switch {
		case tv.State == Pass:
			paths = append(paths, historyPath(r, a, action, chainPath{holds: 5, state: Pass, resource: res, msg: head + ", which notifies " + tv.Reason}, head))
		case tv.absent:
			paths = append(paths, chainPath{holds: 3, state: Fail, hop: tv.Hop, resource: res, msg: head + ", but its action " + tv.Reason})
		default:
			// The topic link holds when what stops delivery is at its subscribers.
			holds := 3
			if tv.atSubscriber {
				holds = 4
			}
			paths = append(paths, chainPath{holds: holds, state: tv.State, hop: tv.Hop, resource: res, msg: head + ", but " + tv.Reason})
		}
	}
	if len(paths) == 0 {
		msg := head + ", but the alarm notifies no SNS topic"
		if len(others) > 0 {
			msg += " (its actions: " + strings.Join(others, ", ") + ")"
		}
		paths = append(paths, chainPath{holds: 3, state: Fail, hop: HopTarget, resource: res, msg: msg})
	}
	return paths
}

// historyPath holds a complete path against the alarm's latest Action history item
// (DescribeAlarmHistory): a failed action FAILs with AWS's message; history that could not be
// read leaves the verdict unknown, since it might hold exactly such a failure.
func historyPath(r *snapshot.Region, a snapshot.Alarm, action string, ok chainPath, head string) chainPath {
	if r == nil || r.CloudWatch == nil {
		return ok
	}
	if r.CloudWatch.HistoryError != nil {
		return chainPath{holds: 4, state: Error, hop: HopActionHistory, resource: ok.resource,
			msg: head + ", but its action history could not be read: " + r.CloudWatch.HistoryError.Error()}
	}
	for _, rec := range r.CloudWatch.LastActions {
		// A record that names another action says nothing of this one; one that names none
		// may be about any of the alarm's actions.
		if rec.AlarmName == a.Name && rec.Failed && (rec.Action == "" || rec.Action == action) {
			return chainPath{holds: 4, state: Fail, hop: HopActionHistory, resource: ok.resource,
				msg: fmt.Sprintf("%s, but the last time it fired (%s) CloudWatch could not run its action: %q", head, rec.Timestamp.UTC().Format(time.RFC3339), rec.Summary)}
		}
	}
	return ok
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
	// Unit is what the transformation publishes with ("" means None).
	Unit   string `json:"unit,omitempty"`
	filter string
	// covers, for a filter that matches only some positives (and nothing else), names the
	// positives it counts; nil for a filter that detects them all.
	covers map[string]bool
	// series are the dimension values each matching positive event publishes to, keyed by the
	// event's name: a filter with dimensions from fields makes one series per value.
	series map[string]map[string]string
}

func (m metricRef) String() string {
	return m.Namespace + "/" + m.Name + m.dimString()
}

// dimString renders the dimensions as " {k=v, ...}" ("" without dimensions).
func (m metricRef) dimString() string {
	s := ""
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
		s = " {" + strings.Join(parts, ", ") + "}"
	}
	return s
}

// FilterVerdict is one metric filter on the log group, judged.
type FilterVerdict struct {
	Name    string      `json:"name"`
	Pattern string      `json:"pattern"`
	Verdict string      `json:"verdict"`
	Metrics []metricRef `json:"metrics,omitempty"`
	Problem string      `json:"problem,omitempty"`
	// Noise names (up to three) calls of the AWS API catalogue the pattern also matches that
	// no CIS monitoring control watches.
	Noise []string `json:"noise,omitempty"`
	// AWSEvaluator is what logs:TestMetricFilter answered for the detection's events (scan
	// --verify-patterns).
	AWSEvaluator *SecondOpinion `json:"aws_evaluator,omitempty"`
	// d is the detection the pattern was judged against, for a second opinion.
	d          detection.Detection
	detects    bool
	unparsed   bool
	missedPos  int
	matchedNeg int
	counting   []metricRef
	// partial are the metrics of a filter that matches some positives and nothing else: alone
	// it does not detect, with other filters' chains it may (each event reaches every filter).
	partial []metricRef
}

// Shortfall says in a word or two why a filter that does not detect the events falls short:
// "misses some events", "is too broad" (it also matches activity the control does not watch),
// "misses some events and is too broad", "does not parse"; "" when it detects them (what
// stops its chain is further on).
func (f FilterVerdict) Shortfall() string {
	switch {
	case f.unparsed:
		return "does not parse"
	case f.detects:
		return ""
	case f.missedPos > 0 && f.matchedNeg > 0:
		return "misses some events and is too broad"
	case f.missedPos > 0:
		return "misses some events"
	case f.matchedNeg > 0:
		return "is too broad"
	}
	return ""
}

// compareFilters orders filters from the closest to detecting the events: one that detects
// them, then by fewer positives missed, then by fewer negatives matched.
func compareFilters(a, b FilterVerdict) int {
	if a.detects != b.detects {
		if a.detects {
			return -1
		}
		return 1
	}
	return cmp.Or(cmp.Compare(a.missedPos, b.missedPos), cmp.Compare(a.matchedNeg, b.matchedNeg))
}

// filterEvidence keeps, of a log group's judged filters, those on a path (they publish a
// count of some or all of the events), those lookout could not evaluate (they may be on one,
// and an ERROR names them) and, when none counts the events, the closest one
// (compareFilters, the one a failure names); the others are named only.
func filterEvidence(filters []FilterVerdict) (kept []FilterVerdict, others []string) {
	closest, counts := -1, false
	for i, f := range filters {
		counts = counts || len(f.counting) > 0
		if closest < 0 || compareFilters(f, filters[closest]) < 0 {
			closest = i
		}
	}
	for i, f := range filters {
		if len(f.counting) > 0 || len(f.partial) > 0 || f.unparsed || (i == closest && !counts) {
			kept = append(kept, f)
		} else {
			others = append(others, f.Name)
		}
	}
	return kept, others
}

// judgeFilters evaluates every metric filter of the log group against d, sorted by name.
func judgeFilters(all []snapshot.MetricFilter, group string, d detection.Detection) []FilterVerdict {
	var out []FilterVerdict
	for _, mf := range all {
		if mf.LogGroupName != group {
			continue
		}
		fv := FilterVerdict{Name: mf.Name, Pattern: mf.Pattern, d: d}
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
		if pv.Detects && d.ByAPICalls() {
			// Too broad is judged against every AWS API, not only the corpus's negatives.
			if noise, err := detection.CatalogueNoise(detection.FilterPattern, mf.Pattern, "", ""); err == nil && len(noise) > 0 {
				fv.detects, fv.matchedNeg = false, len(noise)
				fv.Noise = callStrings(noise, 3)
				fv.Verdict = "also matches " + detection.Examples(noise, 3) + " of the AWS API catalogue, which no CIS monitoring control watches"
				fv.Problem = "its pattern also matches " + detection.Examples(noise, 3) +
					", API calls no CIS monitoring control asks to watch, so the alarm would also fire on that ordinary activity"
				out = append(out, fv)
				continue
			}
		}
		if !pv.Detects {
			fv.Problem = patternProblem(pv)
			fv.partial = partialMetrics(mf, d, pv)
			out = append(out, fv)
			continue
		}
		var zero []string
		for _, t := range mf.Transformations {
			m := metricRef{Name: t.MetricName, Namespace: t.MetricNamespace, Dimensions: t.Dimensions, Default: t.DefaultValue, Unit: t.Unit, filter: mf.Name}
			val, series, err := valuePerEvent(mf.Pattern, t.MetricValue, t.Dimensions, d)
			if err != nil {
				zero = append(zero, fmt.Sprintf("metric %s: %v", m, err))
				continue
			}
			m.Value, m.series = val, series
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
// event the pattern matches (a "$.field" value can differ per event), and the dimension values
// each such event publishes to: CloudWatch Logs takes a dimension's value from a field the
// pattern names, so every distinct value is its own series.
func valuePerEvent(pattern, spec string, dims map[string]string, d detection.Detection) (float64, map[string]map[string]string, error) {
	p, err := filterpattern.Parse(pattern)
	if err != nil {
		return 0, nil, err
	}
	events := append([]detection.Event{}, d.Positives...)
	for _, g := range d.AnyOf {
		events = append(events, g...)
	}
	min, seen := math.Inf(1), false
	series := map[string]map[string]string{}
	for _, e := range events {
		msg := e.Message()
		res := p.MatchMessage(msg)
		if !res.Matched {
			continue
		}
		val, err := filterpattern.MetricValue(spec, res, msg.Text())
		if err != nil {
			return 0, nil, err
		}
		seen = true
		min = math.Min(min, val)
		if len(dims) > 0 {
			values := map[string]string{}
			for k, field := range dims {
				if !strings.HasPrefix(field, "$") {
					values[k] = field
					continue
				}
				v, ok := res.Fields[field]
				if !ok {
					return 0, nil, fmt.Errorf("dimension %s takes %s, which the pattern does not extract from [%s]", k, field, e.Name)
				}
				values[k] = v
			}
			series[e.Name] = values
		}
	}
	if !seen {
		return 0, nil, fmt.Errorf("matches no positive event")
	}
	return min, series, nil
}

// filterFailure explains why no filter on the group counts the detection's events: the
// closest filter (one that detects but publishes nothing useful, else the one matching most
// positives and fewest negatives) with its full verdict, and a short tally for a few others.
func filterFailure(filters []FilterVerdict, lg LogGroupRef, d detection.Detection) string {
	if len(filters) == 0 {
		return fmt.Sprintf("log group %s has no metric filter (none detects %s)", lg, d.Summary)
	}
	ranked := append([]FilterVerdict{}, filters...)
	slices.SortStableFunc(ranked, compareFilters)
	msg := fmt.Sprintf("no metric filter on log group %s counts %s: closest is %s, %s", lg.Name, d.Summary, ranked[0].Name, ranked[0].Problem)
	positives, negatives := len(d.Positives)+len(d.AnyOf), len(d.Negatives)
	const listed = 3
	var others []string
	for i, f := range ranked[1:] {
		if i == listed {
			others = append(others, fmt.Sprintf("%d more", len(ranked)-1-listed))
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

// sameDimensionKeys: an alarm watches exactly one dimension set; a filter's metric with
// dimensions is a different metric from the same name without them. Values are compared per
// event by seriesProblem, since a filter's dimension value comes from the event.
func sameDimensionKeys(alarm, filter map[string]string) bool {
	if len(alarm) != len(filter) {
		return false
	}
	for k := range alarm {
		if _, ok := filter[k]; !ok {
			return false
		}
	}
	return true
}

// seriesProblem says which positive events publish to series other than the one the alarm
// watches ("" when every one lands on it).
func seriesProblem(watched map[string]string, m metricRef) string {
	var missed []string
	for name, values := range m.series {
		for k, v := range values {
			if watched[k] != v {
				missed = append(missed, fmt.Sprintf("[%s] goes to %s=%s", name, k, v))
				break
			}
		}
	}
	if len(missed) == 0 {
		return ""
	}
	sort.Strings(missed)
	return fmt.Sprintf("it watches only the series%s, and the filter publishes one series per dimension value: %s",
		metricRef{Dimensions: watched}.dimString(), strings.Join(missed, "; "))
}

// watchedMetrics are the metrics an alarm reads: its own metric, or the MetricStat queries of
// its metric math.
func watchedMetrics(a snapshot.Alarm) []snapshot.MetricStat {
	if len(a.Metrics) == 0 {
		if a.MetricName == "" {
			return nil
		}
		return []snapshot.MetricStat{{MetricName: a.MetricName, Namespace: a.Namespace, Dimensions: a.Dimensions, Period: a.Period, Stat: a.Statistic, Unit: a.Unit}}
	}
	var out []snapshot.MetricStat
	for _, q := range a.Metrics {
		if q.MetricStat != nil {
			out = append(out, *q.MetricStat)
		}
	}
	return out
}

// oneEvent is what one matching event gives statistic stat of metric m over a period with
// nothing else in it. diluted is set when the filter's default value (published for every
// non-matching event) would pull the statistic below it; known is false for a statistic
// lookout does not evaluate.
func oneEvent(stat string, m metricRef) (x float64, known, diluted bool) {
	switch {
	case stat == "Sum" || stat == "Maximum":
		return m.Value, true, false
	case stat == "SampleCount":
		return 1, true, false
	case stat == "Average" || stat == "Minimum" || isPercentile(stat):
		return m.Value, true, m.Default != nil
	}
	return 0, false, false
}

func isPercentile(stat string) bool {
	return len(stat) > 1 && (stat[0] == 'p' || stat[0] == 'P') && strings.Trim(stat[1:], "0123456789.") == ""
}

// defaultBreaches says whether a period with log events but no match (the filter then
// publishes its default value) already breaches: under SampleCount every default datapoint
// counts as a sample, under Sum or Maximum the value itself.
func defaultBreaches(stat string, m metricRef, breaches func(float64) (bool, bool)) (float64, bool) {
	if m.Default == nil {
		return 0, false
	}
	y := *m.Default
	if stat == "SampleCount" {
		y = 1
	}
	ok, known := breaches(y)
	return y, known && ok
}

// alarmProblems lists why one matching event would not raise the alarm (empty if it would),
// or, in unknown, why lookout cannot tell (metric math it does not evaluate).
func alarmProblems(a snapshot.Alarm, m metricRef) (out []string, unknown string) {
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
	watched, stat, period, unit := a.Dimensions, a.Statistic, a.Period, a.Unit
	if a.ExtendedStatistic != "" {
		stat = a.ExtendedStatistic
	}
	var x float64
	var known, diluted bool
	if len(a.Metrics) > 0 {
		mm := evaluateMetricMath(a, m)
		if mm.unknown != "" {
			return out, mm.unknown
		}
		out = append(out, mm.problems...)
		x, known, watched, stat, period, unit = mm.value, true, mm.watched, mm.stat, mm.period, mm.unit
	} else {
		x, known, diluted = oneEvent(stat, m)
		if !known {
			// CloudWatch accepted the statistic, so what it computes is lookout's blind spot.
			return out, fmt.Sprintf("its statistic %q is not one lookout evaluates", stat)
		}
	}
	if p := seriesProblem(watched, m); p != "" {
		out = append(out, p)
	}
	if unit != "" && unit != orNone(m.Unit) {
		out = append(out, fmt.Sprintf("its unit %s does not match the unit the filter publishes (%s), so it sees no datapoint and stays INSUFFICIENT_DATA", unit, orNone(m.Unit)))
	}
	switch ok, comparable := breaches(x); {
	case !comparable:
		out = append(out, fmt.Sprintf("its comparison %s does not go off when events are counted (use GreaterThanOrEqualToThreshold)", a.ComparisonOperator))
	case diluted:
		out = append(out, fmt.Sprintf("its statistic %s is diluted by the filter's default value %g (use Sum)", stat, *m.Default))
	case known && !ok:
		what := stat
		if len(a.Metrics) > 0 {
			what = "its expression"
		}
		out = append(out, fmt.Sprintf("one event gives %s %g, which does not meet %s %g", what, x, opSymbol(a.ComparisonOperator), a.Threshold))
	}
	if len(a.Metrics) == 0 {
		if y, ok := defaultBreaches(stat, m, breaches); ok {
			out = append(out, fmt.Sprintf("the filter's default value %g gives %s %g in every period with any log event, which already meets %s %g: the alarm stays in ALARM and never changes state on an event",
				*m.Default, stat, y, opSymbol(a.ComparisonOperator), a.Threshold))
		}
	}
	need := a.DatapointsToAlarm
	if need == 0 {
		need = a.EvaluationPeriods
	}
	if need > 1 {
		out = append(out, fmt.Sprintf("it needs %d of %d datapoints to breach, and one event makes one", need, a.EvaluationPeriods))
	}
	if period < 60 || period%60 != 0 {
		out = append(out, fmt.Sprintf("its period %ds is not whole minutes (metric filter metrics have one-minute resolution)", period))
	}
	switch {
	case a.TreatMissingData == "breaching":
		out = append(out, "it treats missing data as breaching, so it sits in ALARM without any event")
	case a.TreatMissingData == "ignore" && m.Default == nil:
		// A filter without a default value publishes nothing between matches, and "ignore"
		// keeps the alarm in the state it was in: after the first event it stays in ALARM, and
		// every later event is ALARM to ALARM, which runs no action (PutMetricAlarm,
		// TreatMissingData "ignore": the current alarm state is maintained).
		out = append(out, "it ignores missing data and the filter publishes none between matches, so after the first event it stays in ALARM and later events notify nobody (use notBreaching or missing)")
	}
	return out, ""
}

func orNone(unit string) string {
	if unit == "" {
		return "None"
	}
	return unit
}

// mathVerdict is a metric-math alarm evaluated for a period holding one matching event.
type mathVerdict struct {
	value    float64
	watched  map[string]string // dimensions of the query on the filter's metric
	stat     string
	period   int32
	unit     string
	problems []string
	unknown  string
}

// evaluateMetricMath computes an alarm's returned query for a period holding one matching
// event: each MetricStat on the filter's metric gets what one event gives its statistic, and
// the returned expression is evaluated over them (CloudWatch user guide, "Create a CloudWatch
// alarm based on a metric math expression"). A query on another metric has no value lookout
// knows, so an expression that needs one cannot be evaluated.
func evaluateMetricMath(a snapshot.Alarm, m metricRef) mathVerdict {
	var v mathVerdict
	byID := map[string]snapshot.AlarmQuery{}
	var ret *snapshot.AlarmQuery
	for i, q := range a.Metrics {
		byID[q.ID] = q
		if q.ReturnData {
			ret = &a.Metrics[i]
		}
	}
	if ret == nil {
		v.unknown = "its metric math has no query with ReturnData"
		return v
	}
	vals := map[string]float64{}
	for _, q := range a.Metrics {
		ms := q.MetricStat
		if ms == nil {
			continue
		}
		if ms.MetricName != m.Name || ms.Namespace != m.Namespace || !sameDimensionKeys(ms.Dimensions, m.Dimensions) {
			vals[q.ID] = math.NaN()
			continue
		}
		x, known, diluted := oneEvent(ms.Stat, m)
		switch {
		case !known:
			v.unknown = fmt.Sprintf("query %s uses statistic %q, which lookout does not evaluate", q.ID, ms.Stat)
			return v
		case diluted:
			v.problems = append(v.problems, fmt.Sprintf("query %s's statistic %s is diluted by the filter's default value %g (use Sum)", q.ID, ms.Stat, *m.Default))
		}
		vals[q.ID] = x
		v.watched, v.stat, v.period, v.unit = ms.Dimensions, ms.Stat, ms.Period, ms.Unit
	}
	// The alarm must also be quiet without an event: in a period with no log event the filter
	// publishes nothing (missing data), and in one with log events but no match it publishes its
	// default value. An expression that breaches in either sits in ALARM and never notifies.
	if p := mathQuietProblem(a, m, byID, ret); p != "" {
		v.problems = append(v.problems, p)
	}
	if ret.MetricStat != nil {
		x := vals[ret.ID]
		if math.IsNaN(x) {
			v.unknown = fmt.Sprintf("its returned query %s reads %s/%s, not the filter's metric", ret.ID, ret.MetricStat.Namespace, ret.MetricStat.MetricName)
			return v
		}
		v.value = x
		return v
	}
	x, err := evalQuery(ret.ID, byID, vals, 0)
	if err != nil {
		v.unknown = fmt.Sprintf("its metric math %q: %v", ret.Expression, err)
		return v
	}
	if math.IsNaN(x) {
		v.problems = append(v.problems, fmt.Sprintf("its expression %q gives no value (missing data) for a period with one matching event", ret.Expression))
	}
	if ret.Period != 0 {
		v.period = ret.Period
	}
	v.value = x
	return v
}

// ownMetricKey marks, in the values passed to evalQuery, the queries that read the filter's own
// metric: their missing data is known (no event), unlike another metric's.
const ownMetricKey = "\x00own:"

func ownMetric(q snapshot.AlarmQuery, vals map[string]float64) bool {
	_, ok := vals[ownMetricKey+q.ID]
	return ok
}

// mathQuietProblem evaluates the returned query for the periods without a matching event.
func mathQuietProblem(a snapshot.Alarm, m metricRef, byID map[string]snapshot.AlarmQuery, ret *snapshot.AlarmQuery) string {
	breaches := func(y float64) bool {
		switch a.ComparisonOperator {
		case "GreaterThanOrEqualToThreshold":
			return y >= a.Threshold
		case "GreaterThanThreshold":
			return y > a.Threshold
		}
		return false
	}
	periods := []struct {
		name  string
		value func(stat string) float64
	}{
		{"with no log event (no data)", func(string) float64 { return math.NaN() }},
	}
	if m.Default != nil {
		periods = append(periods, struct {
			name  string
			value func(stat string) float64
		}{fmt.Sprintf("with log events but no match (the default value %g)", *m.Default), func(stat string) float64 {
			if stat == "SampleCount" {
				return 1
			}
			return *m.Default
		}})
	}
	for _, p := range periods {
		vals := map[string]float64{}
		for _, q := range a.Metrics {
			if ms := q.MetricStat; ms != nil {
				if ms.MetricName == m.Name && ms.Namespace == m.Namespace && sameDimensionKeys(ms.Dimensions, m.Dimensions) {
					vals[q.ID] = p.value(ms.Stat)
					vals[ownMetricKey+q.ID] = 0
				} else {
					vals[q.ID] = math.NaN()
				}
			}
		}
		y, err := evalQuery(ret.ID, byID, vals, 0)
		if err != nil || math.IsNaN(y) {
			continue
		}
		if breaches(y) {
			return fmt.Sprintf("in a period %s its expression already gives %g, which meets %s %g: the alarm stays in ALARM and never changes state on an event",
				p.name, y, opSymbol(a.ComparisonOperator), a.Threshold)
		}
	}
	return ""
}

// evalQuery evaluates query id, recursing through the expression queries it references.
func evalQuery(id string, byID map[string]snapshot.AlarmQuery, vals map[string]float64, depth int) (float64, error) {
	if v, ok := vals[id]; ok {
		if q, isQuery := byID[id]; isQuery && q.MetricStat != nil && math.IsNaN(v) && depth > 0 && !ownMetric(q, vals) {
			return 0, fmt.Errorf("query %s reads %s/%s, another metric whose value lookout cannot know", id, q.MetricStat.Namespace, q.MetricStat.MetricName)
		}
		return v, nil
	}
	q, ok := byID[id]
	if !ok {
		return 0, fmt.Errorf("it references %s, which is not one of its queries", id)
	}
	if depth > len(byID) {
		return 0, fmt.Errorf("its queries reference each other in a cycle")
	}
	e, err := metricmath.Parse(q.Expression)
	if err != nil {
		return 0, err
	}
	in := map[string]float64{}
	for _, ref := range e.IDs() {
		v, err := evalQuery(ref, byID, vals, depth+1)
		if err != nil {
			return 0, err
		}
		in[ref] = v
	}
	v, err := e.Eval(in)
	if err != nil {
		return 0, err
	}
	vals[id] = v
	return v, nil
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
	if len(a.Metrics) > 0 {
		expr := "metric math"
		for _, q := range a.Metrics {
			if q.ReturnData && q.Expression != "" {
				expr = q.Expression
			}
		}
		need := a.DatapointsToAlarm
		if need == 0 {
			need = a.EvaluationPeriods
		}
		return fmt.Sprintf("%s %s %g, %d of %d", expr, opSymbol(a.ComparisonOperator), a.Threshold, need, a.EvaluationPeriods)
	}
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

func alarmEvidence(a snapshot.Alarm, problems []string) AlarmEvidence {
	return AlarmEvidence{
		Name:           a.Name,
		ARN:            a.ARN,
		Metric:         metricRef{Name: a.MetricName, Namespace: a.Namespace, Dimensions: a.Dimensions}.String(),
		Condition:      alarmCondition(a),
		ActionsEnabled: a.ActionsEnabled,
		AlarmActions:   a.AlarmActions,
		Problems:       problems,
	}
}

// callStrings names up to n catalogue calls.
func callStrings(calls []detection.CatalogueCall, n int) []string {
	var out []string
	for i, c := range calls {
		if i == n {
			break
		}
		out = append(out, c.String())
	}
	return out
}

// compositePaths follows the composite alarms that metric alarm a raises when one matching
// event puts it in ALARM (every other metric alarm OK): a composite's actions run on its own
// state changes, so it notifies when its AlarmRule turns TRUE because of a, to any depth of
// composites (internal/alarmrule), its actions are enabled, no ActionsSuppressor holds them
// back (the suppressor in ALARM: a itself, or a composite a raises), and an ALARM action is a
// topic that delivers, judged as for a metric alarm (CloudWatch user guide, "Combining
// alarms", "Alarm suppression").
func compositePaths(s *snapshot.Snapshot, r *snapshot.Region, a snapshot.Alarm, m metricRef, lg LogGroupRef, seen *[]TargetVerdict) []chainPath {
	inventory := make([]alarmrule.Alarm, 0, len(r.CloudWatch.Alarms)+len(r.CloudWatch.CompositeAlarms))
	for _, x := range r.CloudWatch.Alarms {
		inventory = append(inventory, alarmrule.Alarm{Name: x.Name, ARN: x.ARN})
	}
	composites := map[string]snapshot.CompositeAlarm{}
	for _, c := range r.CloudWatch.CompositeAlarms {
		inventory = append(inventory, alarmrule.Alarm{Name: c.Name, ARN: c.ARN, Composite: true, Rule: c.AlarmRule})
		composites[c.Name] = c
	}
	raised, errs := alarmrule.Raised(inventory, a.Name)
	head := fmt.Sprintf("metric filter %s on %s feeds alarm %s (%s)", m.filter, lg.Name, a.Name, alarmCondition(a))
	var paths []chainPath
	for _, name := range raised {
		c := composites[name]
		via := fmt.Sprintf("%s, which raises composite alarm %s (%s)", head, c.Name, c.AlarmRule)
		res := c.ARN
		if res == "" {
			res = c.Name
		}
		switch changes, err := alarmrule.Transitions(inventory, c.Name, a.Name); {
		case err != nil:
			paths = append(paths, chainPath{holds: 3, state: Error, resource: res, msg: via + ", but whether it changes state cannot be told: " + err.Error()})
			continue
		case !changes:
			continue // TRUE whatever a does: it never changes state on a's account
		case !c.ActionsEnabled:
			paths = append(paths, chainPath{holds: 3, state: Fail, resource: res, msg: via + ", but its actions are disabled"})
			continue
		}
		if sup := c.ActionsSuppressor; sup != "" {
			suppressed := sup == a.Name || sup == a.ARN
			if sc, ok := compositeByRef(r, sup); ok && !suppressed {
				var err error
				if suppressed, err = alarmrule.RaisedBy(inventory, sc.Name, a.Name); err != nil {
					paths = append(paths, chainPath{holds: 3, state: Error, resource: res, msg: via + ", but whether its actions suppressor " + sup + " holds them back cannot be told: " + err.Error()})
					continue
				}
			}
			if suppressed {
				paths = append(paths, chainPath{holds: 3, state: Fail, resource: res,
					msg: via + ", but its actions suppressor " + sup + " goes to ALARM on the same event and holds its actions back"})
				continue
			}
		}
		paths = append(paths, actionPaths(s, r, snapshot.Alarm{Name: c.Name, ARN: c.ARN, ActionsEnabled: true, AlarmActions: c.AlarmActions}, via, lg, seen)...)
	}
	for _, name := range slices.Sorted(maps.Keys(errs)) {
		err := errs[name]
		if name == "" {
			name = "composite alarms"
		}
		paths = append(paths, chainPath{holds: 3, state: Error, resource: a.ARN,
			msg: fmt.Sprintf("%s, and whether %s notifies for it cannot be told: %v", head, name, err)})
	}
	return paths
}

// compositeByRef finds a composite alarm of the region by name or ARN.
func compositeByRef(r *snapshot.Region, ref string) (snapshot.CompositeAlarm, bool) {
	for _, c := range r.CloudWatch.CompositeAlarms {
		if c.Name == ref || c.ARN == ref {
			return c, true
		}
	}
	return snapshot.CompositeAlarm{}, false
}

// anyComplete reports whether some path holds end to end.
func anyComplete(paths []chainPath) bool {
	for _, p := range paths {
		if p.state == Pass {
			return true
		}
	}
	return false
}

// partialMetrics are the counting metrics of a filter that matches some of d's positives and
// no negative (nor, for a detection defined by API calls, an unwatched call of the catalogue):
// it detects part of the activity, each metric marked with the positives it counts.
func partialMetrics(mf snapshot.MetricFilter, d detection.Detection, pv detection.Verdict) []metricRef {
	if len(pv.MatchedNegatives) > 0 || len(pv.MissedPositives) >= len(d.Positives)+len(d.AnyOf) || len(d.AnyOf) > 0 {
		return nil
	}
	if d.ByAPICalls() {
		if noise, err := detection.CatalogueNoise(detection.FilterPattern, mf.Pattern, "", ""); err != nil || len(noise) > 0 {
			return nil
		}
	}
	missed := map[string]bool{}
	for _, n := range pv.MissedPositives {
		missed[n] = true
	}
	matched := map[string]bool{}
	for _, e := range d.Positives {
		if !missed[e.Name] {
			matched[e.Name] = true
		}
	}
	part := d.Restrict(func(e detection.Event) bool { return matched[e.Name] })
	var out []metricRef
	for _, t := range mf.Transformations {
		m := metricRef{Name: t.MetricName, Namespace: t.MetricNamespace, Dimensions: t.Dimensions, Default: t.DefaultValue, Unit: t.Unit, filter: mf.Name, covers: matched}
		val, series, err := valuePerEvent(mf.Pattern, t.MetricValue, t.Dimensions, part)
		if err != nil || val <= 0 {
			continue
		}
		m.Value, m.series = val, series
		out = append(out, m)
	}
	return out
}
