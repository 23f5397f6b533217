package route

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Every matching rule gets the event. EventBridge evaluates each event against every enabled
// rule on the bus and delivers it to each rule that matches (EventBridge user guide, "Rules in
// Amazon EventBridge"), so two rules with half a list each cover the whole list, and a rule
// whose target is another bus passes on what it matched, which the receiving bus's rules then
// match in turn. A control is monitored when the union of the paths that reach someone who
// acts carries every positive; a path's breadth is judged where it reaches that someone:
//   - a path through a notifying or remediating target carries the positives its rule
//     matches, and counts only if its rule matches no negative (it would fire on activity
//     nobody asked to watch);
//   - a path through another bus carries what the receiving rules, judged against exactly
//     the forwarded events, deliver: the forwarding rule's own breadth is irrelevant.
// A rule in state ENABLED receives no read-only management event, so such events are neither
// carried by it nor noise from it.

// ruleDelivery is what one rule's paths carry, by event name (AnyOf members by their own
// names): delivered through targets that do the job, maybe through targets that could not be
// judged.
type ruleDelivery struct {
	delivered, maybe map[string]bool
	// via is the reason of the first target whose path carries a positive.
	via string
}

// reachingEvents are the detection's events that reach a rule, by name: positives and
// negatives matched by its pattern and, for a rule in state ENABLED, not read-only
// management events. keep tells them apart as a predicate over events (with every spelling
// of an AnyOf activity the rule takes), for what a bus target forwards.
type reachingEvents struct {
	positives, negatives map[string]bool
	keep                 func(detection.Event) bool
}

// effectiveMatches computes reachingEvents from the rule's verdict (AnyOf members matched one
// by one).
func effectiveMatches(rule snapshot.Rule, d detection.Detection, pv detection.Verdict) reachingEvents {
	allRead := rule.State == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
	missed := make(map[string]bool, len(pv.MissedPositives))
	for _, m := range pv.MissedPositives {
		missed[m] = true
	}
	matchedNeg := make(map[string]bool, len(pv.MatchedNegatives))
	for _, n := range pv.MatchedNegatives {
		matchedNeg[n] = true
	}
	positives, negatives := map[string]bool{}, map[string]bool{}
	reaches := func(e detection.Event) bool { return allRead || !e.ReadOnlyAPICall() }
	for _, e := range d.Positives {
		if !missed[e.Name] && reaches(e) {
			positives[e.Name] = true
		}
	}
	if len(d.AnyOf) > 0 {
		p, err := detection.ParseEventPattern(rule.EventPattern)
		for _, g := range d.AnyOf {
			if err != nil || missed[groupName(g)] {
				continue
			}
			for _, e := range g {
				if ev, err := e.Decoded(); err == nil && p.MatchEvent(ev) && reaches(e) {
					positives[e.Name] = true
				}
			}
		}
	}
	for _, e := range d.Negatives {
		if matchedNeg[e.Name] && reaches(e) {
			negatives[e.Name] = true
		}
	}
	// An AnyOf group is one activity under several spellings: if the rule takes it, it passes
	// the activity on, to be matched downstream under any spelling.
	forwarded := map[string]bool{}
	for _, g := range d.AnyOf {
		for _, e := range g {
			if positives[e.Name] {
				for _, m := range g {
					forwarded[m.Name] = true
				}
				break
			}
		}
	}
	keep := func(e detection.Event) bool { return positives[e.Name] || negatives[e.Name] || forwarded[e.Name] }
	return reachingEvents{positives: positives, negatives: negatives, keep: keep}
}

// groupName is how a verdict names a missed AnyOf group.
func groupName(g []detection.Event) string {
	names := make([]string, len(g))
	for i, e := range g {
		names[i] = e.Name
	}
	return "one of: " + strings.Join(names, " | ")
}

// covers reports whether the events named in got carry every positive of d: each positive,
// and one member of each AnyOf group.
func covers(d detection.Detection, got map[string]bool) bool {
	for _, e := range d.Positives {
		if !got[e.Name] {
			return false
		}
	}
	for _, g := range d.AnyOf {
		found := false
		for _, e := range g {
			found = found || got[e.Name]
		}
		if !found {
			return false
		}
	}
	return len(d.Positives)+len(d.AnyOf) > 0
}

// union judges the rules of one search together: when no rule does the job alone but their
// paths together carry every positive, the result is a verdict for the rules together (PASS,
// or ERROR when what could not be judged might complete it). nil when the union changes
// nothing.
func union(judged []RuleVerdict, d detection.Detection, best *RuleVerdict) *RuleVerdict {
	if best != nil && best.status == Pass {
		return nil
	}
	delivered, maybe := map[string]bool{}, map[string]bool{}
	var rules, states, via []string
	for i := range judged {
		v := &judged[i]
		if len(v.delivery.delivered) == 0 && len(v.delivery.maybe) == 0 {
			continue
		}
		added := false
		for n := range v.delivery.delivered {
			if !delivered[n] {
				delivered[n], added = true, true
			}
		}
		for n := range v.delivery.maybe {
			maybe[n] = true
		}
		if added {
			rules, states = append(rules, v.Rule), append(states, v.State)
			via = append(via, fmt.Sprintf("rule %s: %s", v.Rule, v.delivery.via))
		}
	}
	region := ""
	if len(judged) > 0 {
		region = judged[0].Region
	}
	u := &RuleVerdict{Rule: strings.Join(rules, " + "), Region: region, State: strings.Join(slices.Compact(slices.Sorted(slices.Values(states))), "/"),
		Verdict: "together: " + strings.Join(rules, " + "), relevant: true, score: 5, members: rules}
	switch {
	case covers(d, delivered):
		u.status, u.okTarget = Pass, strings.Join(via, "; ")
		if len(rules) > 1 {
			u.okTarget = "together (EventBridge delivers each event to every rule that matches it): " + u.okTarget
		}
		return u
	case best != nil && best.status == Error:
		return nil
	}
	for n := range delivered {
		maybe[n] = true
	}
	if len(rules) > 0 && covers(d, maybe) {
		u.status = Error
		u.problem(BrokenLink{Link: LinkTarget, Unknown: true}, fmt.Sprintf("rules %s together would deliver every event, but some of their targets could not be judged (see evidence)", strings.Join(rules, ", ")))
		return u
	}
	return nil
}

// judgeDelivery fills v.delivery from its judged targets: what each path carries of the
// events that reach the rule.
func (v *RuleVerdict) judgeDelivery(rule snapshot.Rule, reaching reachingEvents) {
	if !ruleEnabled(rule.State) {
		return
	}
	positives, negatives := reaching.positives, reaching.negatives
	v.delivery = ruleDelivery{delivered: map[string]bool{}, maybe: map[string]bool{}}
	if v.Observed.Failed() {
		// AWS recorded that the rule's latest invocations failed: none of its paths counts.
		return
	}
	if v.Observed.Unknown() {
		// What it delivers depends on a record that could not be read.
		defer func() {
			maps.Copy(v.delivery.maybe, v.delivery.delivered)
			clear(v.delivery.delivered)
		}()
	}
	for _, tv := range v.Targets {
		switch {
		case tv.forwarded != nil:
			// What the receiving bus's rules deliver of the forwarded events; their breadth
			// was judged there, against exactly what this rule passes on.
			for n := range tv.forwarded.delivered {
				v.delivery.delivered[n] = true
			}
			for n := range tv.forwarded.maybe {
				v.delivery.maybe[n] = true
			}
			if len(tv.forwarded.delivered) > 0 && v.delivery.via == "" {
				v.delivery.via = tv.Reason
			}
		case len(negatives) > 0 || len(v.noise) > 0:
			// This path would also fire on activity nobody asked to watch.
		case tv.State == Pass:
			for n := range positives {
				v.delivery.delivered[n] = true
			}
			if v.delivery.via == "" && len(positives) > 0 {
				v.delivery.via = tv.Reason
			}
		case tv.State == Error:
			for n := range positives {
				v.delivery.maybe[n] = true
			}
		}
	}
}
