package detection

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/lookout-audit/lookout/internal/filterpattern"
)

// Answer is lookout's evaluator's answer for one of a detection's events: whether the pattern
// matches it. Body is the event as AWS's own evaluator takes it: the log event message for a
// filter pattern (a CloudTrail record on one line, as CloudWatch Logs stores it), the envelope
// for an event pattern.
type Answer struct {
	Name     string
	Body     []byte
	Positive bool
	Matched  bool
}

// Answers runs pattern over every event of d (positives, then each AnyOf group's, then
// negatives) and says, event by event, whether it matched: what a second evaluator is held
// against. The error is the one EvaluateFilterPattern or EvaluateEventPattern would give.
func (d Detection) Answers(pattern string) ([]Answer, error) {
	var match func(Event) (bool, error)
	switch d.Language {
	case FilterPattern:
		p, err := filterpattern.Parse(pattern)
		if err != nil {
			return nil, err
		}
		match = func(e Event) (bool, error) { return p.MatchMessage(e.Message()).Matched, nil }
	case EventPattern:
		p, err := ParseEventPattern(pattern)
		if err != nil {
			return nil, err
		}
		match = matchWith(p)
	default:
		return nil, fmt.Errorf("detection %s: unknown language", d.ID)
	}
	var out []Answer
	add := func(e Event, positive bool) error {
		ok, err := match(e)
		if err != nil {
			return fmt.Errorf("detection %s: %q: %w", d.ID, e.Name, err)
		}
		body := e.Bytes()
		if d.Language == FilterPattern {
			// CloudTrail delivers each record to CloudWatch Logs as one line of JSON.
			var c bytes.Buffer
			if json.Compact(&c, body) == nil {
				body = c.Bytes()
			}
		}
		out = append(out, Answer{Name: e.Name, Body: body, Positive: positive, Matched: ok})
		return nil
	}
	for _, e := range d.Positives {
		if err := add(e, true); err != nil {
			return nil, err
		}
	}
	for _, g := range d.AnyOf {
		for _, e := range g {
			if err := add(e, true); err != nil {
				return nil, err
			}
		}
	}
	for _, e := range d.Negatives {
		if err := add(e, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EventPatternInvariant reports whether an event pattern reads nothing that differs between
// accounts and regions (the account, the region, ARNs...): its answer for an event is then the
// same whichever account and region the event was stamped for.
func EventPatternInvariant(pattern string) bool { return eventPatternInvariant(pattern) }
