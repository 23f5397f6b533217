package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// The three CIS CloudWatch alarms of the AWS CloudTrail User Guide, "Creating CloudWatch
// alarms for CloudTrail events: additional examples" (root usage, API calls without MFA,
// console sign-in without MFA). Each is one finding per account that PASSes only when a whole
// chain holds: trail → its log group → metric filter → alarm → SNS topic → confirmed subscriber.

// cisAlarm describes one of the three checks: its detection, and the names `lookout fix`
// would give the filter and metric it creates (those of the AWS CloudTrail guide's examples).
type cisAlarm struct {
	detection func() detection.Detection
	// fix is what `lookout fix` creates for this check (its planner and its fix hints).
	fix cisAlarmFix
}

// The three checks' specifications: one value each, read by the check and by its planner.
var (
	rootUsageSpec = cisAlarm{detection: detection.RootUsage, fix: cisAlarmFix{
		filter: "lookout-root-usage", metric: "RootAccountUsageCount", alarm: "lookout-root-usage", pattern: detection.RefRootUsage, what: "root user activity"}}
	apiWithoutMFASpec = cisAlarm{detection: detection.APIWithoutMFA, fix: cisAlarmFix{
		filter: "lookout-api-without-mfa", metric: "ApiActivityWithoutMFACount", alarm: "lookout-api-without-mfa", pattern: detection.RefAPIWithoutMFA, what: "API activity without MFA"}}
	consoleWithoutMFASpec = cisAlarm{detection: detection.ConsoleSigninWithoutMFA, fix: cisAlarmFix{
		filter: "lookout-console-signin-without-mfa", metric: "ConsoleSignInWithoutMfaCount", alarm: "lookout-console-signin-without-mfa", pattern: detection.RefConsoleSigninWithoutMFA, what: "console sign-in without MFA"}}
)

const cisChainVerifies = "PASS needs one complete chain: a multi-region trail that includes global service events, " +
	"is logging, records the detection's events (its selectors are evaluated against them) and delivers to a CloudWatch Logs log group (no CloudWatch Logs delivery error); on that log group, in " +
	"its own account and region (never a same-named group elsewhere), a metric filter whose pattern — evaluated " +
	"against CloudTrail records, not compared as text — matches every positive event and no negative, with a " +
	"metric value > 0; a metric alarm in that account and region on the same metric name, namespace and " +
	"dimensions, actions enabled, that one matching event raises (e.g. Sum >= 1, 1 of 1 datapoints; not > 1, " +
	"not 3 of 3; Average/Minimum only without a default value; whole-minute period; missing data not breaching; " +
	"the alarm's Unit, if set, the one the filter publishes; metric math evaluated; the dimension series the events " +
	"go to; a default value that does not breach under the alarm's statistic); an alarm action that is an SNS topic " +
	"with at least one confirmed subscriber that receives the notification (PendingConfirmation does not count), and " +
	"no failed action in the alarm's CloudWatch history. With several trails or log groups any complete chain " +
	"passes; otherwise the message names the broken link of the closest chain." + route.DeliveryVerifies + " "

const cisRemediation = "On the CloudTrail log group, create the metric filter, an alarm on its metric (Sum >= 1, " +
	"period 300, 1 of 1 datapoints) and an SNS topic with a confirmed subscriber as the alarm action."

// RootUsageAlarm is CIS "ensure a log metric filter and alarm exist for usage of the root user".
func RootUsageAlarm() *Check {
	return &Check{
		ID:       "cloudwatch-root-usage-alarm",
		Title:    "Root user activity raises a CloudWatch alarm",
		Severity: High,
		Service:  "cloudwatch",
		Verifies: cisChainVerifies + "Positives: root console logins (with and without MFA) and a root API call. " +
			"Negatives: root actions invoked by an AWS service, AwsServiceEvent records, IAM user and assumed-role " +
			"calls, and AssumedRoot sessions (centralised root access).",
		Remediation: cisRemediation + " Pattern: " + detection.RefRootUsage,
		FixSummary:  "create metric filter lookout-root-usage, alarm and SNS wiring on the CloudTrail log group",
		Frameworks:  cisMonitoring("3", "CloudWatch.1"),
		Run:         cisAlarmRunner(rootUsageSpec),
		Plan:        planCISAlarm(rootUsageSpec.fix),
	}
}

// APIWithoutMFAAlarm is the "API activity without MFA" alarm of the AWS CloudTrail guide.
func APIWithoutMFAAlarm() *Check {
	return &Check{
		ID:       "cloudwatch-api-without-mfa-alarm",
		Title:    "API activity without MFA raises a CloudWatch alarm",
		Severity: Medium,
		Service:  "cloudwatch",
		Verifies: cisChainVerifies + "Positives: console-session calls of an IAM user and of an assumed role whose " +
			"session says mfaAuthenticated false. Negatives: the same calls with mfaAuthenticated true.",
		Remediation: cisRemediation + " Pattern: " + detection.RefAPIWithoutMFA,
		FixSummary:  "create metric filter lookout-api-without-mfa, alarm and SNS wiring on the CloudTrail log group",
		Run:         cisAlarmRunner(apiWithoutMFASpec),
		Plan:        planCISAlarm(apiWithoutMFASpec.fix),
	}
}

// ConsoleSigninWithoutMFAAlarm is CIS "ensure a log metric filter and alarm exist for
// Management Console sign-in without MFA".
func ConsoleSigninWithoutMFAAlarm() *Check {
	return &Check{
		ID:       "cloudwatch-console-signin-without-mfa-alarm",
		Title:    "Console sign-in without MFA raises a CloudWatch alarm",
		Severity: High,
		Service:  "cloudwatch",
		Verifies: cisChainVerifies + "Positive: an IAM user's successful console login with MFAUsed No (the AWS " +
			"guide's MFAUsed = \"No\", CIS's MFAUsed != \"Yes\" and the SSO-aware variant all pass). Negatives: a " +
			"login with MFA, a root login with MFA, and an API call that is not ConsoleLogin.",
		Remediation: cisRemediation + " Pattern: " + detection.RefConsoleSigninWithoutMFA,
		FixSummary:  "create metric filter lookout-console-signin-without-mfa, alarm and SNS wiring on the CloudTrail log group",
		Frameworks:  cisMonitoring("2", "CloudWatch.3"),
		Run:         cisAlarmRunner(consoleWithoutMFASpec),
		Plan:        planCISAlarm(consoleWithoutMFASpec.fix),
	}
}

func cisAlarmRunner(spec cisAlarm) func(*Check, *snapshot.Snapshot, Options) []Finding {
	return func(c *Check, s *snapshot.Snapshot, _ Options) []Finding {
		var out []Finding
		for ai := range s.Accounts {
			out = append(out, c.cisAlarmFinding(s, &s.Accounts[ai], spec))
		}
		return out
	}
}

// trailChain is one trail's chain and how far it holds (the trail itself is the first link).
type trailChain struct {
	trail  *snapshot.Trail
	status Status
	holds  int // 0: the trail link is broken; 1 + route.AlarmChainVerdict.Holds otherwise
	chain  *route.AlarmChainVerdict
	reason string // for a broken trail link
}

func (c *Check) cisAlarmFinding(s *snapshot.Snapshot, a *snapshot.Account, spec cisAlarm) Finding {
	d := spec.detection()
	if len(a.Trails) == 0 {
		for _, r := range a.Regions {
			if r.CloudTrail == nil {
				return c.notCollected(a.ID, "global", a.ID, "CloudTrail in "+r.Name)
			}
			if r.CloudTrail.Error != nil {
				return c.readError(a.ID, "global", a.ID, r.CloudTrail.Error, "the trails of "+r.Name)
			}
		}
		broken := route.BrokenLink{Link: route.LinkTrail}
		f := c.finding(a.ID, "global", a.ID, Fail, broken.Lead()+fmt.Sprintf("no trail records account %s's activity, so nothing can feed a metric filter for %s", a.ID, d.Summary))
		f.Evidence = TrailChainsEvidence{ChainBreak: route.ChainBreak{Broken: &broken}, Detection: d.Summary, Chains: []TrailChainEvidence{}}
		f.Fix = &FixHint{Available: false, Summary: "create a multi-region trail delivering to CloudWatch Logs first (cloudtrail-logging); then lookout fix adds the filter and alarm"}
		return f
	}

	chains := make([]trailChain, 0, len(a.Trails))
	byGroup := map[string]*route.AlarmChainVerdict{}
	for ti := range a.Trails {
		chains = append(chains, judgeTrailChain(s, &a.Trails[ti], d, byGroup))
	}
	sort.SliceStable(chains, func(i, j int) bool { return chains[i].trail.ARN < chains[j].trail.ARN })
	best := &chains[0]
	for i := range chains[1:] {
		ch := &chains[i+1]
		if route.ComparePaths(ch.status, ch.holds, best.status, best.holds) < 0 {
			best = ch
		}
	}

	region, resource := best.trail.HomeRegion, best.trail.ARN
	var msg string
	broken := best.broken()
	switch {
	case best.chain == nil:
		msg = broken.Lead() + best.reason
	case best.status == Pass:
		region, resource = best.chain.LogGroup.Region, best.chain.Resource
		msg = fmt.Sprintf("trail %s delivers to log group %s; %s", best.trail.Name, best.chain.LogGroup, best.chain.Message)
	default:
		region, resource = best.chain.LogGroup.Region, best.chain.Resource
		msg = broken.Lead() + fmt.Sprintf("trail %s delivers to log group %s; %s", best.trail.Name, best.chain.LogGroup, best.chain.Message)
	}
	if best.status != Pass && len(chains) > 1 {
		msg += fmt.Sprintf(" (closest of %d trails; see evidence)", len(chains))
	}
	f := c.finding(a.ID, region, resource, best.status, alarmChainHeadline(d.Summary, best, broken))
	f.Detail = msg
	f.Evidence = TrailChainsEvidence{ChainBreak: route.ChainBreak{Broken: broken}, Detection: d.Summary, Chains: chainEvidence(chains), closestFilter: closestFilter(best)}
	if best.status == Fail {
		f.Fix = cisFix(best, spec.fix)
	}
	return f
}

// closestFilter is, when the best chain breaks at its metric filter, the filter closest to
// detecting the events and why it falls short: "UnauthorizedAPICalls also fires on routine
// activity"; "" otherwise.
func closestFilter(best *trailChain) string {
	if best.chain == nil || len(best.chain.Evidence.MetricFilters) == 0 {
		return ""
	}
	if b := best.broken(); b == nil || b.Link != route.LinkMetricFilter {
		return ""
	}
	closest := best.chain.Evidence.MetricFilters[0]
	if why := closest.Shortfall(); why != "" {
		return closest.Name + " " + why
	}
	return closest.Name
}

// alarmChainHeadline is the one sentence of a CIS metric-filter finding: what is monitored and
// by which filter, alarm and topic, or where the closest chain breaks (and the closest filter
// when the filter is the broken link).
func alarmChainHeadline(what string, best *trailChain, broken *route.BrokenLink) string {
	what = capitalize(what)
	switch {
	case best.status == Pass && best.chain != nil:
		for _, cl := range splitClauses(best.chain.Message) {
			if strings.HasPrefix(cl.text, "metric filter ") {
				chain := strings.NewReplacer(" feeds alarm ", " → alarm ", ", which notifies ", " → ").Replace(dropParens(cl.text))
				return Shorten(what+": monitored by "+chain, MaxMessage)
			}
		}
		return Shorten(what+": monitored on log group "+best.chain.LogGroup.Name, MaxMessage)
	case broken == nil:
		return Shorten(what+": not monitored", MaxMessage)
	}
	where := "trail " + best.trail.Name
	if best.chain != nil {
		where = "log group " + best.chain.LogGroup.Name
	}
	msg := fmt.Sprintf("%s: not monitored (metric filter chain broken at %s on %s)", what, broken, where)
	if best.chain != nil && broken.Link == route.LinkMetricFilter && len(best.chain.Evidence.MetricFilters) > 0 {
		msg = strings.TrimSuffix(msg, ")") + "; closest filter " + closestFilter(best) + ")"
	}
	if best.status == Error {
		msg = fmt.Sprintf("%s: cannot tell whether a metric filter monitors them (%s unreadable, %s)", what, broken, where)
	}
	return Shorten(msg, MaxMessage)
}

// judgeTrailChain judges the trail link, then the alarm chain of its log group (once per log
// group: several trails often share one).
func judgeTrailChain(s *snapshot.Snapshot, t *snapshot.Trail, d detection.Detection, byGroup map[string]*route.AlarmChainVerdict) trailChain {
	tc := trailChain{trail: t, status: Fail}
	// The chain needs the trail to record the detection's events, not every management event:
	// a trail that excludes KMS events still feeds an IAM-policy alarm.
	if st, why := route.TrailRecords(t, d); st != Pass {
		tc.status, tc.reason = st, why
		return tc
	}
	switch {
	case !t.IsMultiRegion:
		tc.reason = fmt.Sprintf("trail %s records only %s, so activity in other regions never reaches its log group (CIS requires a multi-region trail)", t.Name, t.HomeRegion)
		return tc
	case t.CloudWatchLogsLogGroupARN == "":
		tc.reason = fmt.Sprintf("trail %s is logging but does not deliver to CloudWatch Logs, so no metric filter sees its events", t.Name)
		return tc
	case t.Status.LatestCloudWatchLogsDeliveryError != "":
		tc.reason = fmt.Sprintf("trail %s cannot deliver to CloudWatch Logs log group %s: %s", t.Name, t.CloudWatchLogsLogGroupARN, t.Status.LatestCloudWatchLogsDeliveryError)
		return tc
	}
	if st, why := includesGlobalEvents(t); st != Pass {
		tc.status, tc.reason = st, why
		return tc
	}
	lg, err := route.LogGroupFromARN(t.CloudWatchLogsLogGroupARN)
	if err != nil {
		tc.reason = fmt.Sprintf("trail %s: %v", t.Name, err)
		return tc
	}
	v, ok := byGroup[lg.ARN()]
	if !ok {
		cv := route.EvaluateAlarmChain(s, lg, d)
		v = &cv
		byGroup[lg.ARN()] = v
	}
	tc.chain, tc.status, tc.holds = v, v.Status, 1+v.Holds
	return tc
}

// broken is the chain's broken link (nil on PASS): the trail link when the trail does not
// feed the log group, else the alarm chain's.
func (tc *trailChain) broken() *route.BrokenLink {
	switch {
	case tc.status == Pass:
		return nil
	case tc.chain == nil:
		return &route.BrokenLink{Link: route.LinkTrail, Unknown: tc.status == Error}
	}
	b := tc.chain.Broken
	return &b
}

func chainEvidence(chains []trailChain) []TrailChainEvidence {
	out := make([]TrailChainEvidence, 0, len(chains))
	for i := range chains {
		ch := &chains[i]
		e := TrailChainEvidence{
			Trail:      ch.trail.ARN,
			HomeRegion: ch.trail.HomeRegion,
			LogGroup:   ch.trail.CloudWatchLogsLogGroupARN,
			Verdict:    ch.status,
			Broken:     ch.broken(),
			Reason:     ch.reason,
		}
		if ch.chain != nil {
			e.Reason, e.AlarmChainEvidence = ch.chain.Message, &ch.chain.Evidence
		}
		out = append(out, e)
	}
	return out
}

// cisFix says what `lookout fix` would do for the closest chain: it can add the filter, the
// alarm and the SNS wiring, but it does not reconfigure trails.
func cisFix(best *trailChain, spec cisAlarmFix) *FixHint {
	if best.chain == nil || best.chain.Broken.Link == route.LinkLogGroup {
		return &FixHint{Available: false, Summary: "send a logging trail to a CloudWatch Logs log group by hand (lookout does not reconfigure trails); lookout fix then adds the filter, alarm and SNS wiring"}
	}
	lg := best.chain.LogGroup
	switch best.chain.Broken.Link {
	case route.LinkTopic, route.LinkSubscriber:
		return &FixHint{Available: true, Summary: fmt.Sprintf("point the alarm at an SNS topic with a confirmed subscriber (--sns-topic-arn, or --notify-email to subscribe) in %s", lg.Region)}
	}
	return &FixHint{Available: true, Summary: fmt.Sprintf("create metric filter %s (metric %s/%s, value 1) on log group %s in %s, alarm %s (Sum >= 1 over 300s, 1 of 1) and its SNS wiring",
		spec.filter, fixMetricNamespace, spec.metric, lg.Name, lg.Region, spec.alarm)}
}
