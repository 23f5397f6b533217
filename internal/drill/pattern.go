package drill

import (
	"context"
	"fmt"
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

// patternTarget is the rule whose pattern AWS is asked about.
type patternTarget struct {
	Rule, Pattern, What string
	Event               []byte
	Observed            *route.Observation
}

// patternCheck returns the rule of an EventBridge finding to ask AWS about, or nil.
func patternCheck(f checks.Finding) *patternTarget {
	e, ok := ruleEvidence(f)
	if !ok || len(e.Rules) == 0 || e.Rules[0].Pattern == "" {
		return nil
	}
	rv := e.Rules[0]
	region := rv.Region
	if region == "" {
		region = f.Region
	}
	var d detection.Detection
	switch f.CheckID {
	case "eventbridge-console-signin-rule":
		d = detection.RootConsoleSignin(region, f.Account)
	case "eventbridge-ec2-state-change-rule":
		d = detection.EC2StateChange(region, f.Account)
	default:
		return nil
	}
	// The detection's first positive; a detection whose positives are alternatives (any one
	// will do: the two spellings of the sign-in detail-type) gives its first alternative's.
	events := d.Positives
	if len(events) == 0 && len(d.AnyOf) > 0 {
		events = d.AnyOf[0]
	}
	if len(events) == 0 {
		return nil
	}
	return &patternTarget{Rule: rv.Rule, Pattern: rv.Pattern, What: events[0].Name, Event: events[0].Body, Observed: rv.Observed}
}

// TestEventPatternPermission is what the step needs.
const TestEventPatternPermission = "events:TestEventPattern"

func withPatternPlan(r Result, p *patternTarget) Result {
	r.pattern = p
	r.Permissions = []string{TestEventPatternPermission}
	r.Plan = []string{fmt.Sprintf("events:TestEventPattern: rule %s's pattern against a realistic event (%s)", p.Rule, p.What)}
	if p.Observed != nil {
		r.Plan = append(r.Plan, "what AWS/Events recorded of the rule's invocations: "+p.Observed.Summary)
	}
	return r
}

// askPattern runs the TestEventPattern step of r.
func askPattern(ctx context.Context, r *Result, o Options) {
	p := r.pattern
	step := func(name string, st Status, detail string) { r.addStep(o.Now(), name, st, detail) }
	ev, err := o.Events(r.Account, r.Region)
	if err != nil {
		step(StepTestEventPattern, Error, err.Error())
		return
	}
	out, err := ev.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(p.Pattern), Event: aws.String(string(p.Event))})
	reason := strings.SplitN(r.Message, ";", 2)[0]
	switch {
	case err != nil:
		step(StepTestEventPattern, Error, err.Error())
		r.Message = reason + "; events:TestEventPattern could not be asked: " + interrupted(ctx, err.Error())
	case out.Result:
		step(StepTestEventPattern, Pass, fmt.Sprintf("AWS: rule %s's pattern matches %s", p.Rule, p.What))
		r.Message = reason + fmt.Sprintf("; AWS's events:TestEventPattern says rule %s matches a realistic event", p.Rule)
	default:
		step(StepTestEventPattern, Fail, fmt.Sprintf("AWS: rule %s's pattern does not match %s", p.Rule, p.What))
		r.Message = reason + fmt.Sprintf("; AWS's events:TestEventPattern says rule %s does not match a realistic event", p.Rule)
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
		step(StepProofOfLife, st, p.Observed.Summary)
	}
}
