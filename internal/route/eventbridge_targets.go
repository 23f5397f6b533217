package route

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/iampolicy"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Shared judgement of EventBridge rules and of what their targets (and alarm actions) lead to.
// Three checks use it: StopLogging remediation, console sign-in and EC2 state-change rules.
// Each asks the same questions in the same order — does the pattern match the detection's
// events (by evaluation, never by text), is the rule enabled, does a target do something — and
// differs only in which targets count.

// TargetPolicy says which rule targets count as acting on the event. A remediating policy
// names the call the remediation must be able to make (Action on Resource): a target that
// may be invoked but whose own identity cannot make that call remediates nothing.
type TargetPolicy struct {
	remediate        bool
	action, resource string
}

// notifies: a Lambda function that exists, or an SNS topic with a confirmed subscriber.
var Notifies = TargetPolicy{}

// remediating: a Lambda function or an SSM Automation runbook that may be invoked and whose
// own identity (the function's execution role, the runbook's role) may call action on
// resource (e.g. cloudtrail:StartLogging on the trail's ARN, which is how CloudTrail
// authorises it).
func Remediating(action, resource string) TargetPolicy {
	return TargetPolicy{remediate: true, action: action, resource: resource}
}

func (p TargetPolicy) remediates() bool { return p.remediate }

func (p TargetPolicy) String() string {
	if p.remediate {
		return "a remediating target (Lambda function or SSM Automation)"
	}
	return "a notifying target (Lambda function, or SNS topic with a confirmed subscriber)"
}

// TargetVerdict judges one rule target (or alarm action).
type TargetVerdict struct {
	ARN    string  `json:"arn"`
	Kind   string  `json:"kind"`
	State  Verdict `json:"state"`
	Reason string  `json:"reason"`
	// Hop is the hop of the delivery that does not hold ("" when it holds or is unknown).
	Hop DeliveryHop `json:"broken_hop,omitempty"`
	// Observed is what AWS recorded of the target's deliveries (a topic's, a function's), for
	// a target that delivers by its configuration.
	Observed *Observation `json:"observed,omitempty"`
	// absent is set when the target itself does not exist (as opposed to existing but not
	// doing the job), so an alarm chain can name the broken link.
	absent bool
	// forwarded, for an event-bus target, is what the receiving bus's rules deliver of the
	// events this target forwards.
	forwarded *ruleDelivery
	// atSubscriber is set when the topic itself delivers and what does not hold is at its
	// subscribers (their filter policies, queues, functions), so an alarm chain can name the
	// subscriber link rather than the topic.
	atSubscriber bool
}

// maxForwardHops bounds how far event-bus targets are followed; EventBridge itself delivers an
// event across at most a few buses, and a longer chain is a misconfiguration worth naming.
const maxForwardHops = 3

// judgeTarget decides whether rule target t delivers snd's events and does what policy asks:
// by its configuration, then, for a function, by what AWS/Lambda recorded of its runs (a topic
// is held against its record in judgeTopicDelivery).
func judgeTarget(s *snapshot.Snapshot, t snapshot.Target, snd sender, policy TargetPolicy) TargetVerdict {
	v := judgeTargetConfig(s, t, snd, policy)
	if v.Kind == "lambda" {
		v = withRecord(v, observeFunction(s, t.ARN), HopLambdaRecord)
	}
	return v
}

// judgeTargetConfig decides from its configuration whether rule target t delivers snd's events
// and does what policy asks.
func judgeTargetConfig(s *snapshot.Snapshot, t snapshot.Target, snd sender, policy TargetPolicy) TargetVerdict {
	a, ok := awsarn.Parse(t.ARN)
	if !ok {
		return TargetVerdict{ARN: t.ARN, Kind: "unknown", State: Fail, Hop: HopTarget, Reason: fmt.Sprintf("target %q is not an ARN", t.ARN)}
	}
	switch {
	case a.Service == "lambda" && strings.HasPrefix(a.Resource, "function:"):
		v := TargetVerdict{ARN: t.ARN, Kind: "lambda"}
		name := strings.SplitN(strings.TrimPrefix(a.Resource, "function:"), ":", 2)[0]
		st, why, absent := judgeFunction(s, t.ARN, principalEventBridge, snd.source, snd.account)
		hop := HopFunction
		if t.RoleARN != "" && !absent && st != Error {
			// EventBridge invokes as the target's role: the role's permissions decide, not the
			// function's resource policy.
			st, why, hop = judgeRole(s, t.RoleARN, snd.source, snd.account, "lambda:InvokeFunction", t.ARN)
			if st == Pass {
				v.State, v.Reason = Pass, fmt.Sprintf("Lambda function %s exists and role %s may invoke it", name, t.RoleARN)
				return v
			}
		}
		switch {
		case st == Pass && policy.remediates():
			// Invocable is not remediating: the function must run, as a role that may act.
			ast, awhy, ahop := judgeLambdaActs(s, t.ARN, policy)
			v.State, v.Reason, v.Hop = ast, awhy, ahop
			if ast == Pass {
				v.Reason = fmt.Sprintf("Lambda function %s lets EventBridge invoke it, is Active", name)
				if awhy != "" {
					v.Reason += ", and " + awhy + scpNote
				}
			}
		case st == Pass:
			v.State, v.Reason = Pass, fmt.Sprintf("Lambda function %s exists and lets EventBridge invoke it", name)
			if ast, awhy, ahop := judgeLambdaActs(s, t.ARN, policy); ast != Pass {
				v.State, v.Reason, v.Hop = ast, awhy, ahop
			}
		case absent:
			v.State, v.Reason, v.Hop, v.absent = Fail, "target "+why, HopTarget, true
		default:
			v.State, v.Reason = st, why
			if st == Fail {
				v.Hop = hop
			}
		}
		return v
	case a.Service == "ssm" && strings.HasPrefix(a.Resource, "automation-definition/"):
		doc := strings.SplitN(strings.TrimPrefix(a.Resource, "automation-definition/"), ":", 2)[0]
		v := TargetVerdict{ARN: t.ARN, Kind: "ssm-automation"}
		if !policy.remediates() {
			v.State, v.Hop, v.Reason = Fail, HopKind, fmt.Sprintf("SSM Automation runbook %s runs a runbook but notifies no one", doc)
			return v
		}
		if t.RoleARN == "" {
			v.State, v.Hop, v.Reason = Fail, HopRoleTrust, fmt.Sprintf("SSM Automation runbook %s has no role: EventBridge needs one to start the automation", doc)
			return v
		}
		if st, why, hop := judgeRole(s, t.RoleARN, snd.source, snd.account, "ssm:StartAutomationExecution", t.ARN); st != Pass {
			v.State, v.Reason, v.Hop = st, fmt.Sprintf("SSM Automation runbook %s: %s", doc, why), hop
			return v
		}
		st, why, hop := judgeRunbookActs(s, t, doc, policy)
		if st != Pass {
			v.State, v.Reason = st, fmt.Sprintf("SSM Automation runbook %s: %s", doc, strings.TrimPrefix(why, "runbook "+doc+" "))
			if st == Fail {
				v.Hop = hop
			}
			return v
		}
		v.State, v.Reason = Pass, fmt.Sprintf("SSM Automation runbook %s, started through role %s that trusts EventBridge", doc, t.RoleARN)
		if why != "" {
			v.Reason += "; " + why + scpNote
		}
		return v
	case a.Service == "sns":
		snd.bodyUnknown, snd.viaRole = t.InputRewritten, t.RoleARN
		v := judgeTopicDelivery(s, t.ARN, snd)
		if policy.remediates() && v.State == Pass {
			v.State, v.Hop, v.Reason = Fail, HopKind, fmt.Sprintf("SNS topic %s only notifies: nothing restarts logging", a.Resource)
		}
		return v
	case a.Service == "events" && strings.HasPrefix(a.Resource, "event-bus/"):
		return judgeBusTarget(s, t, a, snd, policy)
	case a.Service == "sqs":
		return judgeQueueTarget(s, t, a, snd, policy)
	}
	return TargetVerdict{ARN: t.ARN, Kind: a.Service, State: Fail, Hop: HopKind,
		Reason: fmt.Sprintf("target %s is a %s target, not %s (lookout does not follow it further)", t.ARN, a.Service, policy)}
}

// judgeQueueTarget: an SQS queue receives the event only if it exists, its policy lets
// EventBridge send for this rule (or the target's role may), and its KMS key (if any) lets
// EventBridge use it (EventBridge user guide, "Using resource-based policies for Amazon
// EventBridge", Amazon SQS). What consumes the queue is not read: a queue notifies whoever
// reads it, and remediates nothing.
func judgeQueueTarget(s *snapshot.Snapshot, t snapshot.Target, a awsarn.ARN, snd sender, policy TargetPolicy) TargetVerdict {
	v := TargetVerdict{ARN: t.ARN, Kind: "sqs"}
	if policy.remediates() {
		v.State, v.Hop, v.Reason = Fail, HopKind, fmt.Sprintf("SQS queue %s only holds the event: nothing restarts logging", a.Resource)
		return v
	}
	q, st, why := findQueue(s, a)
	if st != Pass {
		v.State, v.Reason = st, why
		if st == Fail {
			v.Hop, v.absent = HopTarget, true
		}
		return v
	}
	owner := "SQS queue " + a.Resource
	hop := HopQueuePolicy
	if t.RoleARN != "" {
		st, why, hop = judgeRole(s, t.RoleARN, snd.source, snd.account, "sqs:SendMessage", q.ARN)
	} else {
		st, why, _ = servicePolicy(q.Policy, owner, principalEventBridge, "sqs:SendMessage", q.ARN, snd.source, snd.account, HopQueuePolicy)
	}
	if st != Pass {
		v.State, v.Reason = st, why
		if st == Fail {
			v.Hop = hop
		}
		return v
	}
	if q.KMSKeyID != "" {
		if st, why := judgeKey(s, a.Account, a.Region, q.KMSKeyID, owner, principalEventBridge, snd.source, snd.account); st != Pass {
			v.State, v.Reason = st, why
			if st == Fail {
				v.Hop = HopKMSKey
			}
			return v
		}
	}
	v.State, v.Reason = Pass, fmt.Sprintf("SQS queue %s, which lets EventBridge send to it (its consumer is not read)", a.Resource)
	return v
}

// judgeBusTarget follows an event-bus target: EventBridge sends the event to that bus (another
// region or account) unchanged, where the receiving bus's own rules decide what happens to it
// (EventBridge user guide, "Sending and receiving events between AWS accounts" and "between
// AWS Regions"). A cross-account hop also needs the receiving bus's policy to accept the
// sending account; a cross-region hop needs a role that trusts EventBridge.
func judgeBusTarget(s *snapshot.Snapshot, t snapshot.Target, a awsarn.ARN, snd sender, policy TargetPolicy) TargetVerdict {
	v := TargetVerdict{ARN: t.ARN, Kind: "event bus"}
	bus := strings.TrimPrefix(a.Resource, "event-bus/")
	where := fmt.Sprintf("event bus %s in account %s, %s", bus, a.Account, a.Region)
	fail := func(st Verdict, hop DeliveryHop, msg string) TargetVerdict {
		v.State, v.Reason = st, "forwarding to "+where+": "+msg
		if st == Fail {
			v.Hop = hop
		}
		return v
	}
	if snd.forward == nil {
		return fail(Fail, HopKind, "this source cannot forward events")
	}
	if snd.forward.visited[t.ARN] || len(snd.forward.visited) >= maxForwardHops {
		return fail(Fail, HopForwardedRule, "the event has already passed through this bus (a forwarding loop delivers nothing new)")
	}
	if bus != "default" {
		return fail(Error, "", "lookout reads the rules of default buses only, so the rules of bus "+bus+" were not read")
	}
	src, _ := awsarn.Parse(snd.source)
	if t.RoleARN != "" {
		if st, why, hop := judgeRole(s, t.RoleARN, snd.source, snd.account, "events:PutEvents", t.ARN); st != Pass {
			return fail(st, hop, why)
		}
	} else if a.Region != src.Region {
		return fail(Fail, HopRoleTrust, "a target bus in another region needs a role that EventBridge assumes, and this target has none")
	}
	r, missing := s.FindRegion(a.Account, a.Region)
	switch {
	case r == nil:
		return fail(Error, "", missing)
	case r.EventBridge == nil:
		return fail(Error, "", "EventBridge was not collected there")
	case r.EventBridge.Error != nil:
		return fail(Error, "", r.EventBridge.Error.Error())
	}
	if a.Account != snd.account {
		switch {
		case r.EventBridge.BusPolicyError != nil:
			return fail(Error, "", "its bus policy could not be read: "+r.EventBridge.BusPolicyError.Error())
		case !r.EventBridge.BusPolicyRead:
			return fail(Error, "", "its bus policy was not collected")
		}
		req := iampolicy.Request{Principal: iampolicy.Principal{Account: snd.account}, Action: "events:PutEvents", Resource: t.ARN,
			Context: map[string][]string{"aws:PrincipalAccount": {snd.account}}}
		if st, why, _ := policyVerdict(r.EventBridge.BusPolicy, where, req, HopBusPolicy); st != Pass {
			return fail(st, HopBusPolicy, why)
		}
	}
	visited := map[string]bool{t.ARN: true}
	for k := range snd.forward.visited {
		visited[k] = true
	}
	// The receiving rules are judged against exactly what this hop forwards, and together.
	fwd := snd.forward.d
	var judged []RuleVerdict
	var best *RuleVerdict
	for _, rule := range r.EventBridge.Rules {
		if !OnDefaultBus(rule) {
			continue
		}
		if rv := judgeRuleFrom(s, a.Region, rule, fwd, snd.forward.policy, visited); rv.relevant {
			judged = append(judged, rv)
		}
	}
	for i := range judged {
		if best == nil || better(&judged[i], best) {
			best = &judged[i]
		}
	}
	carried := &ruleDelivery{delivered: map[string]bool{}, maybe: map[string]bool{}}
	for _, rv := range judged {
		for n := range rv.delivery.delivered {
			carried.delivered[n] = true
		}
		for n := range rv.delivery.maybe {
			carried.maybe[n] = true
		}
	}
	v.forwarded = carried
	if u := union(judged, fwd, best); u != nil {
		best = u
	}
	switch {
	case best == nil:
		return fail(Fail, HopForwardedRule, "no rule on that bus matches the forwarded event")
	case best.status == Pass:
		v.State, v.Reason = Pass, fmt.Sprintf("forwarded to %s, where rule %s delivers it to %s", where, best.Rule, best.okTarget)
		return v
	case best.status == Error:
		return fail(Error, "", RuleMessage(best))
	}
	return fail(Fail, HopForwardedRule, RuleMessage(best))
}

// RuleVerdict is the judgement of one EventBridge rule against one detection.
type RuleVerdict struct {
	Rule     string          `json:"rule"`
	Region   string          `json:"region"`
	State    string          `json:"state"`
	Pattern  string          `json:"event_pattern"`
	Verdict  string          `json:"pattern_verdict"`
	Targets  []TargetVerdict `json:"targets"`
	Problems []string        `json:"problems,omitempty"`
	// Observed is what AWS/Events recorded of the rule's invocations, for a rule one of whose
	// targets delivers by its configuration.
	Observed *Observation `json:"observed,omitempty"`
	// AWSEvaluator is what events:TestEventPattern answered for the detection's events (scan
	// --verify-patterns).
	AWSEvaluator *SecondOpinion `json:"aws_evaluator,omitempty"`
	// d is the detection the pattern was judged against, for a second opinion.
	d        detection.Detection
	status   Verdict           // Pass, Fail or Error
	score    int               // links that hold: the closest rule is the one with the highest
	relevant bool              // the pattern matches at least one positive
	pattern  detection.Verdict //
	okTarget string            // the reason of the first target that does the job
	broken   *BrokenLink       // the first problem's link; nil when the rule does the job
	delivery ruleDelivery      // what the rule's paths carry, for the union of rules
	members  []string          // for the union of rules (union), the rules it joins
	// noise are the calls of the AWS API catalogue that reach the rule and that no CIS
	// monitoring control watches (detections defined by API calls only).
	noise []detection.CatalogueCall
	Noise []string `json:"noise,omitempty"`
}

// Status is the rule's verdict: PASS when it does the job, ERROR when that cannot be judged.
func (v *RuleVerdict) Status() Verdict { return v.status }

// Relevant reports whether the rule's pattern matches at least one of the detection's events.
func (v *RuleVerdict) Relevant() bool { return v.relevant }

// OKTarget is the reason of the first target that does the job ("" when none does).
func (v *RuleVerdict) OKTarget() string { return v.okTarget }

// PatternVerdict is the evaluation of the rule's pattern against the detection.
func (v *RuleVerdict) PatternVerdict() detection.Verdict { return v.pattern }

// problem records what stops the rule doing the job, and the link it breaks.
func (v *RuleVerdict) problem(link BrokenLink, msg string) {
	v.Problems = append(v.Problems, msg)
	if v.broken == nil {
		v.broken = &link
	}
}

// ruleEnabled: ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS also delivers the events.
func ruleEnabled(state string) bool {
	return state == "ENABLED" || state == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
}

// OnDefaultBus: AWS services deliver their events only to the default bus.
func OnDefaultBus(r snapshot.Rule) bool {
	return r.EventBusName == "" || r.EventBusName == "default"
}

// JudgeRule evaluates rule (read in region) against d and its targets against policy.
func JudgeRule(s *snapshot.Snapshot, region string, rule snapshot.Rule, d detection.Detection, policy TargetPolicy) RuleVerdict {
	return judgeRuleFrom(s, region, rule, d, policy, nil)
}

// judgeRuleFrom is JudgeRule for a rule that may receive forwarded events: visited are the
// buses the event already passed through.
func judgeRuleFrom(s *snapshot.Snapshot, region string, rule snapshot.Rule, d detection.Detection, policy TargetPolicy, visited map[string]bool) RuleVerdict {
	v := RuleVerdict{Rule: rule.Name, Region: region, State: rule.State, Pattern: rule.EventPattern, Targets: []TargetVerdict{}, status: Fail, d: d}
	if rule.EventPattern == "" {
		v.Verdict = "no event pattern (scheduled rule)"
		return v
	}
	pv, err := d.EvaluateEventPattern(rule.EventPattern)
	if err != nil {
		// EventBridge accepted this pattern when the rule was saved, so a pattern lookout
		// cannot evaluate is lookout's blind spot, not the rule's fault: the rule might well
		// do the job. Unless another rule passes, the verdict is ERROR, never FAIL or PASS.
		v.Verdict = "pattern could not be evaluated: " + err.Error()
		v.problem(BrokenLink{Link: LinkRule, Unknown: true}, "its event pattern could not be evaluated: "+err.Error())
		v.status, v.relevant = Error, true
		return v
	}
	v.pattern, v.Verdict = pv, pv.String()
	positives := len(d.Positives) + len(d.AnyOf)
	v.relevant = len(pv.MissedPositives) < positives
	if !v.relevant {
		return v
	}
	v.score = 1
	if len(pv.MissedPositives) == 0 {
		v.score++
	} else {
		v.problem(BrokenLink{Link: LinkRule}, "its pattern misses "+eventList(pv.MissedPositives))
	}
	v.noise = ruleNoise(rule, region, d)
	v.Noise = callStrings(v.noise, 3)
	reaching := effectiveMatches(rule, d, pv)
	switch {
	case len(pv.MatchedNegatives) > 0:
		v.problem(BrokenLink{Link: LinkRule}, "its pattern also matches "+eventList(pv.MatchedNegatives)+", so it would also fire on those")
	case len(v.noise) > 0:
		v.problem(BrokenLink{Link: LinkRule}, "its pattern also matches "+detection.Examples(v.noise, 3)+
			", API calls no CIS monitoring control asks to watch, so it would also fire on that ordinary activity")
	default:
		v.score++
	}
	readOnly := readOnlyPositives(rule.EventPattern, d)
	if ruleEnabled(rule.State) && (len(readOnly) == 0 || rule.State == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS") {
		v.score++
	} else if ruleEnabled(rule.State) {
		v.problem(BrokenLink{Link: LinkRule}, fmt.Sprintf("it is ENABLED, and read-only management events such as %s reach a rule only in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
			eventList(readOnly)))
	} else {
		v.problem(BrokenLink{Link: LinkRule}, fmt.Sprintf("it is %s", orUnknown(rule.State)))
	}
	unknown := false
	switch {
	case rule.TargetsError != nil:
		unknown = true
		v.problem(BrokenLink{Link: LinkTarget, Unknown: true}, "its targets could not be read: "+rule.TargetsError.Error())
	case len(rule.Targets) == 0:
		v.problem(BrokenLink{Link: LinkTarget, Hop: HopTarget}, "it has no target")
	default:
		snd := ruleSender(rule, region, "", d, policy, visited)
		// A bus target forwards exactly what reaches this rule.
		snd.forward.d = d.Restrict(reaching.keep)
		var broken []string
		// The link named is the first target that could not be judged, if any (it might
		// deliver, so the rule is then unknown), else the first that does not deliver.
		var first, firstUnknown *BrokenLink
		for _, t := range rule.Targets {
			tv := judgeTarget(s, t, snd, policy)
			v.Targets = append(v.Targets, tv)
			link := &BrokenLink{Link: LinkTarget, Hop: tv.Hop, Unknown: tv.State == Error}
			switch tv.State {
			case Pass:
				if v.okTarget == "" {
					v.okTarget = tv.Reason
				}
				continue
			case Error:
				unknown = true
				if firstUnknown == nil {
					firstUnknown = link
				}
			}
			broken = append(broken, tv.Reason)
			if first == nil {
				first = link
			}
		}
		if firstUnknown != nil {
			first = firstUnknown
		}
		if v.okTarget == "" {
			v.problem(*first, "no usable target: "+strings.Join(broken, "; "))
		}
	}
	if v.okTarget != "" {
		v.score++
		// A target delivers by its configuration: hold the rule against what AWS/Events
		// recorded of its invocations.
		if v.Observed = observeRule(s, region, rule); v.Observed.Failed() {
			v.problem(BrokenLink{Link: LinkTarget, Hop: HopEventsRecord}, v.Observed.Summary)
		} else if v.Observed.Unknown() {
			v.problem(BrokenLink{Link: LinkTarget, Unknown: true}, v.Observed.Summary)
		}
	}
	v.judgeDelivery(rule, reaching)
	switch {
	case len(v.Problems) == 0:
		v.status = Pass
	case unknown && v.okTarget == "" && v.score == 4:
		// Everything else holds: whether it passes depends on what could not be read.
		v.status = Error
	case v.Observed.Unknown() && len(v.Problems) == 1:
		// Only AWS's record is missing, and it might hold a failure.
		v.status = Error
	}
	return v
}

func orUnknown(s string) string {
	if s == "" {
		return "in an unknown state"
	}
	return s
}

// readOnlyPositives names the positives the pattern matches that are read-only management
// events delivered through CloudTrail ("AWS API Call via CloudTrail" with detail.readOnly
// true): EventBridge matches them only against rules in state
// ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (EventBridge user guide, "Receiving read-only
// management events from AWS services").
func readOnlyPositives(pattern string, d detection.Detection) []string {
	p, err := detection.ParseEventPattern(pattern)
	if err != nil {
		return nil
	}
	events := append([]detection.Event{}, d.Positives...)
	for _, g := range d.AnyOf {
		events = append(events, g...)
	}
	var out []string
	for _, e := range events {
		if !e.ReadOnlyAPICall() {
			continue
		}
		if ev, err := e.Decoded(); err == nil && p.MatchEvent(ev) {
			out = append(out, e.Name)
		}
	}
	return out
}

// RuleSearch is the outcome of looking for a rule in one region.
type RuleSearch struct {
	Best   *RuleVerdict // a passing rule, else the closest relevant one, else nil
	Judged []RuleVerdict
	// Unmatched names the other event-pattern rules of the default bus: their pattern matches
	// none of the detection's events.
	Unmatched []string
	// Gap is set when the region's rules could not be read (nothing else is then set).
	Gap *snapshot.Gap
}

// evidence is what the search read, with the closest rule's broken link (no rule matching the
// events at all breaks the rule link).
func (rs RuleSearch) Evidence(d detection.Detection) RuleEvidence {
	rules, others := rs.OnPath()
	e := RuleEvidence{Detection: d.Summary, Rules: rules, OtherRules: others}
	switch {
	case rs.Best == nil:
		e.Broken = &BrokenLink{Link: LinkRule}
	case rs.Best.status != Pass:
		e.Broken = rs.Best.broken
	}
	return e
}

// SearchRules judges every default-bus rule of region r and picks a passing rule, or the
// closest one. A region whose EventBridge section is absent or failed yields only its Gap.
func SearchRules(s *snapshot.Snapshot, r *snapshot.Region, d detection.Detection, policy TargetPolicy) RuleSearch {
	var out RuleSearch
	if out.Gap = snapshot.GapIn(r.EventBridge, "EventBridge", r.Name); out.Gap != nil {
		return out
	}
	for _, rule := range r.EventBridge.Rules {
		if !OnDefaultBus(rule) {
			continue
		}
		v := JudgeRule(s, r.Name, rule, d, policy)
		if !v.relevant {
			if rule.EventPattern != "" {
				out.Unmatched = append(out.Unmatched, rule.Name)
			}
			continue
		}
		out.Judged = append(out.Judged, v)
	}
	for i := range out.Judged {
		v := &out.Judged[i]
		if out.Best == nil || better(v, out.Best) {
			out.Best = v
		}
	}
	if u := union(out.Judged, d, out.Best); u != nil {
		out.Best = u
	}
	return out
}

// OnPath splits the rules the search read for evidence: the rules on a path that holds (those
// that pass, and those whose deliveries together carry the events), else the closest one;
// and the names of every other rule read, which are neither (their verdicts are not kept: in
// an organisation they are most of a report and decide nothing).
func (rs RuleSearch) OnPath() (rules []RuleVerdict, others []string) {
	keep := map[string]bool{}
	if b := rs.Best; b != nil {
		keep[b.Rule] = true
		for _, name := range b.members {
			keep[name] = true
		}
	}
	for _, v := range rs.Judged {
		if v.status == Pass || keep[v.Rule] {
			rules = append(rules, v)
		} else {
			others = append(others, v.Rule)
		}
	}
	others = append(others, rs.Unmatched...)
	slices.Sort(others)
	return rules, others
}

// better orders candidates: PASS first, then ERROR (it may pass), then by links that hold,
// then by name for a stable answer.
func better(a, b *RuleVerdict) bool {
	if c := ComparePaths(a.status, a.score, b.status, b.score); c != 0 {
		return c < 0
	}
	return a.Rule < b.Rule
}

// RuleMessage describes a rule's verdict in one sentence.
func RuleMessage(v *RuleVerdict) string {
	if v.status == Pass {
		return fmt.Sprintf("rule %s (%s) matches; target: %s", v.Rule, v.State, v.okTarget)
	}
	return fmt.Sprintf("rule %s in %s: %s", v.Rule, v.Region, strings.Join(v.Problems, "; "))
}

// eventList names corpus events for a message: each in brackets, since event names contain
// commas ("IAM user console login, success, MFAUsed Yes").
func eventList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "[" + n + "]"
	}
	return strings.Join(out, " and ")
}

// patternProblem says what a pattern that does not detect gets wrong.
func patternProblem(v detection.Verdict) string {
	var parts []string
	if len(v.MissedPositives) > 0 {
		parts = append(parts, "misses "+eventList(v.MissedPositives))
	}
	if len(v.MatchedNegatives) > 0 {
		parts = append(parts, "also matches "+eventList(v.MatchedNegatives)+" (so it would also fire on that ordinary activity)")
	}
	return "its pattern " + strings.Join(parts, " and ")
}

// ruleNoise: for a detection defined by API calls, the catalogue calls the rule's pattern
// also matches that no CIS control watches, as the events reach the rule's bus (its account
// and region); a rule in state ENABLED receives no read-only call, so those are not noise.
func ruleNoise(rule snapshot.Rule, region string, d detection.Detection) []detection.CatalogueCall {
	if !d.ByAPICalls() || !ruleEnabled(rule.State) {
		return nil
	}
	account := ""
	if a, ok := awsarn.Parse(rule.ARN); ok {
		account = a.Account
	}
	calls, err := detection.CatalogueNoise(detection.EventPattern, rule.EventPattern, account, region)
	if err != nil {
		return nil
	}
	if rule.State != "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" {
		var written []detection.CatalogueCall
		for _, c := range calls {
			if !c.ReadOnly {
				written = append(written, c)
			}
		}
		calls = written
	}
	return calls
}

// JudgeRuleTarget judges one target t of rule (read in region) for d's events against policy,
// as JudgeRule does for each of the rule's own targets.
func JudgeRuleTarget(s *snapshot.Snapshot, region string, rule snapshot.Rule, d detection.Detection, t snapshot.Target, policy TargetPolicy) TargetVerdict {
	return judgeTarget(s, t, ruleSender(rule, region, "", d, policy, nil), policy)
}
