package drill

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/route"
)

// What cannot be fired safely — an EventBridge rule on aws.* events, which PutEvents cannot
// send — is still asked of AWS: events:TestEventPattern evaluates the rule's pattern, with
// AWS's own matcher, against a realistic event of what the rule must catch (the detection's
// first positive), and what AWS/Events recorded of the rule's invocations is given beside it
// (proof of life). The result stays SKIPPED: nothing was set off.

// Steps of a rule that cannot be fired.
const (
	StepTestEventPattern = "test-event-pattern"
	StepProofOfLife      = "proof-of-life"
)

// EventsAPI is what that step calls (a *eventbridge.Client).
type EventsAPI interface {
	TestEventPattern(ctx context.Context, in *eventbridge.TestEventPatternInput, opts ...func(*eventbridge.Options)) (*eventbridge.TestEventPatternOutput, error)
}

// patternTarget is a rule whose pattern AWS is asked about, in its region.
type patternTarget struct {
	Rule, Region, Pattern, What string
	Event                       []byte
	Observed                    *route.Observation
}

// patternChecks returns the rules of a finding to ask AWS about: the rule of an EventBridge
// check, or for a CIS control monitored by EventBridge the rule of each region whose route
// holds. Nil when the finding has none.
func patternChecks(f checks.Finding) []patternTarget {
	if key, ok := checks.CISControlKey(f.CheckID); ok {
		return cisPatternChecks(f, key)
	}
	e, ok := ruleEvidence(f)
	if !ok || len(e.Rules) == 0 || e.Rules[0].Pattern == "" {
		return nil
	}
	rv := e.Rules[0]
	region := cmp.Or(rv.Region, f.Region)
	var d detection.Detection
	switch f.CheckID {
	case "eventbridge-console-signin-rule":
		d = detection.RootConsoleSignin(region, f.Account)
	case "eventbridge-ec2-state-change-rule":
		d = detection.EC2StateChange(region, f.Account)
	default:
		return nil
	}
	if p, ok := patternTargetOf(rv, region, d); ok {
		return []patternTarget{p}
	}
	return nil
}

// cisPatternChecks are the rules of a CIS control monitored by EventBridge: in each region
// whose route holds, its first rule, against the control's event as EventBridge delivers it
// in that region.
func cisPatternChecks(f checks.Finding, key string) []patternTarget {
	var e checks.CISMonitoringEvidence
	switch x := f.Evidence.(type) {
	case checks.CISMonitoringEvidence:
		e = x
	case *checks.CISMonitoringEvidence:
		if x == nil {
			return nil
		}
		e = *x
	default:
		return nil
	}
	if e.Route != "eventbridge" {
		return nil
	}
	var out []patternTarget
	for _, region := range slices.Sorted(maps.Keys(e.EventBridgeRoute)) {
		rr := e.EventBridgeRoute[region]
		if rr.Verdict != "covered" || len(rr.Rules) == 0 || rr.Rules[0].Pattern == "" {
			continue
		}
		if p, ok := patternTargetOf(rr.Rules[0], region, detection.CISEvent(key, region, f.Account)); ok {
			out = append(out, p)
		}
	}
	return out
}

// patternTargetOf asks about rule rv with d's first positive; a detection whose positives are
// alternatives (any one will do: the two spellings of the sign-in detail-type) gives its first
// alternative's.
func patternTargetOf(rv route.RuleVerdict, region string, d detection.Detection) (patternTarget, bool) {
	events := d.Positives
	if len(events) == 0 && len(d.AnyOf) > 0 {
		events = d.AnyOf[0]
	}
	if len(events) == 0 {
		return patternTarget{}, false
	}
	return patternTarget{Rule: rv.Rule, Region: region, Pattern: rv.Pattern, What: events[0].Name, Event: events[0].Bytes(), Observed: rv.Observed}, true
}

// TestEventPatternPermission is what the step needs.
const TestEventPatternPermission = "events:TestEventPattern"

func withPatternPlan(r Result, ps []patternTarget) Result {
	r.patterns = ps
	r.Permissions = []string{TestEventPatternPermission}
	r.Plan = nil
	for _, p := range ps {
		r.Plan = append(r.Plan, fmt.Sprintf("events:TestEventPattern in %s: rule %s's pattern against a realistic event (%s)", p.Region, p.Rule, p.What))
		if p.Observed != nil {
			r.Plan = append(r.Plan, fmt.Sprintf("what AWS/Events recorded of rule %s's invocations: %s", p.Rule, p.Observed.Summary))
		}
	}
	return r
}

// askPatterns runs the TestEventPattern steps of r: each rule's pattern against its event,
// then what AWS/Events recorded of it.
func askPatterns(ctx context.Context, r *Result, o Options) {
	step := func(name string, st Status, detail string) { r.addStep(o.Now(), name, st, detail) }
	reason := strings.SplitN(r.Message, ";", 2)[0]
	var match, miss, unasked []string
	for _, p := range r.patterns {
		label := p.Rule
		if len(r.patterns) > 1 {
			label = fmt.Sprintf("%s (%s)", p.Rule, p.Region)
		}
		ev, err := o.Events(r.Account, p.Region)
		var out *eventbridge.TestEventPatternOutput
		if err == nil {
			out, err = ev.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(p.Pattern), Event: aws.String(string(p.Event))})
		}
		switch {
		case err != nil:
			step(StepTestEventPattern, Error, fmt.Sprintf("rule %s: %v", label, err))
			unasked = append(unasked, label+": "+interrupted(ctx, err.Error()))
		case out.Result:
			step(StepTestEventPattern, Pass, fmt.Sprintf("AWS: rule %s's pattern matches %s", label, p.What))
			match = append(match, label)
		default:
			step(StepTestEventPattern, Fail, fmt.Sprintf("AWS: rule %s's pattern does not match %s", label, p.What))
			miss = append(miss, label)
		}
		if p.Observed != nil {
			st := Pass
			switch {
			case p.Observed.Failed():
				st = Fail
			case p.Observed.Unknown():
				st = Error
			case p.Observed.LastSuccess == nil:
				st = Skipped // no invocation on record: neither proof nor disproof
			}
			step(StepProofOfLife, st, fmt.Sprintf("rule %s: %s", label, p.Observed.Summary))
		}
	}
	switch {
	case len(unasked) > 0:
		r.Message = reason + "; events:TestEventPattern could not be asked: " + strings.Join(unasked, "; ")
	case len(miss) > 0:
		r.Message = reason + fmt.Sprintf("; AWS's events:TestEventPattern says %s %s not match a realistic event", plural("rule", miss), verb(miss, "does", "do"))
	default:
		r.Message = reason + fmt.Sprintf("; AWS's events:TestEventPattern says %s %s a realistic event", plural("rule", match), verb(match, "matches", "match"))
	}
}

func plural(noun string, names []string) string {
	if len(names) == 1 {
		return noun + " " + names[0]
	}
	return noun + "s " + strings.Join(names, ", ")
}

func verb(names []string, one, many string) string {
	if len(names) == 1 {
		return one
	}
	return many
}
