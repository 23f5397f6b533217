package checks

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// The rest of the CIS AWS Foundations "Monitoring" family: thirteen activities that must be
// monitored. The checks are data (one row each below) over one machinery, because they differ
// only in the activity: each is one finding per account that PASSes by either route CIS v4.0+
// accepts —
//
//   - a metric filter on a trail's log group, its alarm and the alarm's delivery: the same
//     chain, judged by the same code, as the root-usage alarm (cisAlarmFinding);
//   - EventBridge rules on the default bus whose patterns match the activity, ENABLED, with a
//     target that delivers, in every region where those events are delivered: regional
//     activity needs every scanned region covered (a rule sees only its own region's events,
//     unless another region forwards to its bus), IAM and Organizations activity arrives in
//     us-east-1 (the partition's global-events region), console sign-in activity in the
//     sign-in regions.
//
// Events, patterns and where each activity is delivered come from internal/detection.

// cisMonitor is one row of the family.
type cisMonitor struct {
	key      string // detection.CISControl key
	id       string
	title    string
	severity Severity
	item     string // the item within the CIS "Monitoring" section (4.x up to v5.0, 5.x from v6.0)
	secHub   string // the Security Hub control that grades it ("" when none)
	filter   string // the metric filter `lookout fix` creates
	metric   string // and its metric (namespace lookout/CloudTrail)
}

var cisMonitors = []cisMonitor{
	{key: "unauthorized-api-calls", id: "cloudwatch-unauthorized-api-calls-alarm", title: "Unauthorized API calls are monitored", severity: High, item: "1", secHub: "CloudWatch.2", filter: "lookout-unauthorized-api-calls", metric: "UnauthorizedAPICallsCount"},
	{key: "iam-policy-changes", id: "cloudwatch-iam-policy-changes-alarm", title: "IAM policy changes are monitored", severity: High, item: "4", secHub: "CloudWatch.4", filter: "lookout-iam-policy-changes", metric: "IAMPolicyChangesCount"},
	{key: "cloudtrail-changes", id: "cloudwatch-cloudtrail-changes-alarm", title: "CloudTrail configuration changes are monitored", severity: High, item: "5", secHub: "CloudWatch.5", filter: "lookout-cloudtrail-changes", metric: "CloudTrailChangesCount"},
	{key: "console-auth-failures", id: "cloudwatch-console-auth-failures-alarm", title: "Console authentication failures are monitored", severity: High, item: "6", secHub: "CloudWatch.6", filter: "lookout-console-auth-failures", metric: "ConsoleAuthFailuresCount"},
	{key: "kms-key-disable", id: "cloudwatch-kms-key-disable-alarm", title: "Disabling or scheduled deletion of customer managed keys is monitored", severity: High, item: "7", secHub: "CloudWatch.7", filter: "lookout-kms-key-disable", metric: "KMSKeyDisableCount"},
	{key: "s3-bucket-policy-changes", id: "cloudwatch-s3-bucket-policy-changes-alarm", title: "S3 bucket policy changes are monitored", severity: Medium, item: "8", secHub: "CloudWatch.8", filter: "lookout-s3-bucket-policy-changes", metric: "S3BucketPolicyChangesCount"},
	{key: "config-changes", id: "cloudwatch-config-changes-alarm", title: "AWS Config configuration changes are monitored", severity: Medium, item: "9", secHub: "CloudWatch.9", filter: "lookout-config-changes", metric: "ConfigChangesCount"},
	{key: "security-group-changes", id: "cloudwatch-security-group-changes-alarm", title: "Security group changes are monitored", severity: Medium, item: "10", secHub: "CloudWatch.10", filter: "lookout-security-group-changes", metric: "SecurityGroupChangesCount"},
	{key: "nacl-changes", id: "cloudwatch-nacl-changes-alarm", title: "Network ACL changes are monitored", severity: Medium, item: "11", secHub: "CloudWatch.11", filter: "lookout-nacl-changes", metric: "NACLChangesCount"},
	{key: "network-gateway-changes", id: "cloudwatch-network-gateway-changes-alarm", title: "Network gateway changes are monitored", severity: Medium, item: "12", secHub: "CloudWatch.12", filter: "lookout-network-gateway-changes", metric: "NetworkGatewayChangesCount"},
	{key: "route-table-changes", id: "cloudwatch-route-table-changes-alarm", title: "Route table changes are monitored", severity: Medium, item: "13", secHub: "CloudWatch.13", filter: "lookout-route-table-changes", metric: "RouteTableChangesCount"},
	{key: "vpc-changes", id: "cloudwatch-vpc-changes-alarm", title: "VPC changes are monitored", severity: Medium, item: "14", secHub: "CloudWatch.14", filter: "lookout-vpc-changes", metric: "VPCChangesCount"},
	{key: "organizations-changes", id: "cloudwatch-organizations-changes-alarm", title: "AWS Organizations changes are monitored", severity: High, item: "15", secHub: "", filter: "lookout-organizations-changes", metric: "OrganizationsChangesCount"},
}

// CISMonitoring returns the thirteen checks, in the order of the CIS Monitoring section.
func CISMonitoring() []*Check {
	controls := map[string]detection.CISControl{}
	for _, ctl := range detection.CISControls() {
		controls[ctl.Key] = ctl
	}
	var out []*Check
	for _, m := range cisMonitors {
		ctl, ok := controls[m.key]
		if !ok {
			panic("checks: no detection for CIS control " + m.key)
		}
		spec := cisAlarm{
			detection: func() detection.Detection { return detection.CISFilter(m.key) },
			fix:       cisAlarmFix{filter: m.filter, metric: m.metric, alarm: m.filter, pattern: ctl.RefPattern, what: strings.ToLower(ctl.Summary[:1]) + ctl.Summary[1:]},
		}
		c := &Check{
			ID:       m.id,
			Title:    m.title,
			Severity: m.severity,
			Service:  "cloudwatch",
			Verifies: fmt.Sprintf("%s are monitored, by either route CIS v4.0+ accepts. By metric filter: ", capitalize(ctl.Summary)) + cisChainVerifies +
				"By EventBridge: " + cisRouteVerifies(ctl.Delivery) + " A pattern that also matches ordinary read-only, unrelated or successful " +
				"events FAILs: the alarm would fire all the time and tell nobody anything new." + route.DeliveryVerifies,
			Remediation: cisRemediation + " Pattern: " + ctl.RefPattern + " — or EventBridge rules matching the same events, " +
				"with a delivering target, in " + cisRouteRegions(ctl.Delivery) + ".",
			FixSummary: fmt.Sprintf("create metric filter %s, alarm and SNS wiring on the CloudTrail log group", m.filter),
			Frameworks: cisMonitoring(m.item, m.secHub),
			Plan:       planCISAlarm(spec.fix),
		}
		c.Run = func(c *Check, s *snapshot.Snapshot, opts Options) []Finding {
			var fs []Finding
			for ai := range s.Accounts {
				fs = append(fs, c.cisMonitoringFinding(s, &s.Accounts[ai], spec, ctl, opts))
			}
			return fs
		}
		out = append(out, c)
	}
	return out
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func cisRouteVerifies(delivery string) string {
	return "an ENABLED rule on the default event bus whose pattern, evaluated against the same activity as EventBridge " +
		"delivers it, matches every positive and no negative (read-only events need state " +
		"ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS), with a target that delivers, in " + cisRouteRegions(delivery) +
		" (directly, or by forwarding to a bus whose rules do)."
}

func cisRouteRegions(delivery string) string {
	switch delivery {
	case "us-east-1":
		return "us-east-1, where AWS delivers these global-service events"
	case "signin":
		return "each console sign-in region (--signin-regions)"
	}
	return "every scanned region (the events are regional)"
}

// cisMonitoringFinding judges one account: the metric-filter route first (a multi-region
// trail's log group sees every region), then the EventBridge route.
func (c *Check) cisMonitoringFinding(s *snapshot.Snapshot, a *snapshot.Account, spec cisAlarm, ctl detection.CISControl, opts Options) Finding {
	byFilter := c.cisAlarmFinding(s, a, spec)
	filterDetail := byFilter.Detail
	if filterDetail == "" {
		filterDetail = byFilter.Message
	}
	what := capitalize(ctl.Summary)
	if byFilter.Status == Pass {
		byFilter.Detail = "by metric filter: " + filterDetail
		byFilter.Evidence = CISMonitoringEvidence{Route: "metric filter", MetricFilterRoute: byFilter.Evidence}
		return byFilter
	}
	byRule := c.cisEventBridgeRoute(s, a, ctl, opts)
	evidence := CISMonitoringEvidence{MetricFilterRoute: byFilter.Evidence, EventBridgeRoute: byRule.evidence}
	filterBreak := "filter chain"
	if b := byFilter.Broken(); b != nil {
		filterBreak = "filter chain broken at " + b.String()
	}
	switch {
	case byRule.status == Pass:
		f := c.finding(a.ID, byRule.region, byRule.resource, Pass, Shorten(what+": monitored by "+byRule.passSentence(), MaxMessage))
		f.Detail = "by EventBridge: " + byRule.msg
		evidence.Route = "eventbridge"
		f.Evidence = evidence
		return f
	case byFilter.Status == Error || byRule.status == Error:
		// One route could not be judged and might pass.
		f := c.finding(a.ID, byFilter.Region, byFilter.Resource, Error,
			Shorten(fmt.Sprintf("%s: cannot tell whether monitored (%s, or EventBridge rules, could not be judged)", what, filterBreak), MaxMessage))
		f.Detail = fmt.Sprintf("%s: cannot tell whether they are monitored: by metric filter, %s; by EventBridge, %s", what, filterDetail, byRule.msg)
		evidence.Broken = byFilter.Broken()
		if byFilter.Status != Error {
			evidence.Broken = &route.BrokenLink{Link: route.LinkRule, Unknown: true}
		}
		f.Evidence = evidence
		return f
	}
	closest := ""
	if e, ok := byFilter.Evidence.(TrailChainsEvidence); ok && e.closestFilter != "" {
		closest = ", closest " + e.closestFilter
	}
	f := c.finding(a.ID, byFilter.Region, byFilter.Resource, Fail,
		Shorten(fmt.Sprintf("%s: not monitored (%s%s; no EventBridge rule)", what, filterBreak, closest), MaxMessage))
	f.Detail = fmt.Sprintf("%s are not monitored: by metric filter, %s; by EventBridge, %s", what, filterDetail, byRule.msg)
	evidence.Broken = byFilter.Broken()
	f.Evidence, f.Fix = evidence, byFilter.Fix
	return f
}

// ruleRoute is the EventBridge route of one account.
type ruleRoute struct {
	status           Status
	msg              string
	region, resource string
	evidence         map[string]RegionRouteEvidence
	// rules names the rules that deliver, once each, and regions how many regions they cover,
	// for a PASS's sentence.
	rules   []string
	regions int
}

// passSentence names the rules of a route that holds: "EventBridge rule R in every scanned
// region (3)", "EventBridge rules A, B in us-east-1".
func (r ruleRoute) passSentence() string {
	names := "EventBridge rule " + r.rules[0]
	if len(r.rules) > 1 {
		names = "EventBridge rules " + strings.Join(r.rules, ", ")
	}
	if r.regions == 1 {
		return names + " in " + r.region
	}
	return fmt.Sprintf("%s in each of the %d regions the events reach", names, r.regions)
}

// cisEventBridgeRoute judges the EventBridge route: in every region where the activity is
// delivered, some default-bus rule must act on it.
func (c *Check) cisEventBridgeRoute(s *snapshot.Snapshot, a *snapshot.Account, ctl detection.CISControl, opts Options) ruleRoute {
	var regions []string
	switch ctl.Delivery {
	case "us-east-1":
		p := a.Partition
		if p == "" {
			p = "aws"
		}
		regions = []string{globalEventRegions[p]}
	case "signin":
		// Every sign-in region: one left out of the scan was not read, so the route there is
		// unknown (ERROR below), not assumed.
		regions = append(regions, opts.SigninRegions...)
	default:
		for _, r := range a.Regions {
			regions = append(regions, r.Name)
		}
	}
	out := ruleRoute{region: "global", resource: a.ID, evidence: map[string]RegionRouteEvidence{}}
	var covered, uncovered, unknown []string
	var firstRule string
	for _, name := range regions {
		r := a.Region(name)
		if r == nil {
			unknown = append(unknown, fmt.Sprintf("%s was not scanned", name))
			out.evidence[name] = RegionRouteEvidence{Verdict: "unknown", Reason: "not scanned"}
			continue
		}
		// Lazy: most events are matched without their text; delivery asks for it (Bytes).
		d := detection.CISEventLazy(ctl.Key, name, a.ID)
		switch st, why := trailFeedsRegion(a, r, d, ctl.Delivery != detection.DeliveryRegional); st {
		case Error:
			unknown = append(unknown, why)
			out.evidence[name] = RegionRouteEvidence{Verdict: "unknown", Reason: why}
			continue
		case Fail:
			uncovered = append(uncovered, fmt.Sprintf("%s (%s)", name, why))
			out.evidence[name] = RegionRouteEvidence{Verdict: "not covered", Reason: why}
			continue
		}
		found := route.SearchRules(s, r, d, route.Notifies)
		if found.Gap != nil {
			unknown = append(unknown, found.Gap.Error())
			out.evidence[name] = RegionRouteEvidence{Verdict: "unknown", Reason: found.Gap.Error()}
			continue
		}
		b := found.Best
		onPath, others := found.OnPath()
		switch {
		case b == nil:
			uncovered = append(uncovered, fmt.Sprintf("%s (no rule matches)", name))
			out.evidence[name] = RegionRouteEvidence{Verdict: "no rule matches", OtherRules: others}
		case b.Status() == Pass:
			covered = append(covered, fmt.Sprintf("%s: rule %s to %s", name, b.Rule, b.OKTarget()))
			if !slices.Contains(out.rules, b.Rule) {
				out.rules = append(out.rules, b.Rule)
			}
			out.evidence[name] = RegionRouteEvidence{Verdict: "covered", Rules: onPath, OtherRules: others}
			if firstRule == "" {
				for _, rule := range r.EventBridge.Rules {
					if rule.Name == b.Rule {
						firstRule = rule.ARN
					}
				}
			}
		case b.Status() == Error:
			unknown = append(unknown, route.RuleMessage(b))
			out.evidence[name] = RegionRouteEvidence{Verdict: "unknown", Rules: onPath, OtherRules: others}
		default:
			uncovered = append(uncovered, fmt.Sprintf("%s (closest: %s)", name, route.RuleMessage(b)))
			out.evidence[name] = RegionRouteEvidence{Verdict: "not covered", Rules: onPath, OtherRules: others}
		}
	}
	sort.Strings(covered)
	switch {
	case len(regions) == 0:
		out.status, out.msg = Fail, "no region where these events are delivered was scanned"
	case len(uncovered) > 0:
		out.status = Fail
		out.msg = fmt.Sprintf("no rule delivers them in %s", strings.Join(uncovered, "; "))
		if len(covered) > 0 {
			out.msg += fmt.Sprintf(" (covered: %s)", strings.Join(covered, "; "))
		}
	case len(unknown) > 0:
		out.status, out.msg = Error, strings.Join(unknown, "; ")
	default:
		out.status = Pass
		out.msg = "rules deliver them in every region where they are delivered: " + strings.Join(covered, "; ")
		out.regions = len(regions)
		if len(regions) == 1 {
			out.region, out.resource = regions[0], firstRule
		}
	}
	return out
}

// CISControlKey is the detection key (detection.CISControls) of a CIS monitoring check id.
func CISControlKey(checkID string) (string, bool) {
	for _, m := range cisMonitors {
		if m.id == checkID {
			return m.key, true
		}
	}
	return "", false
}
