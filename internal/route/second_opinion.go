package route

import "github.com/lookout-audit/lookout/internal/detection"

// A second opinion on a pattern: lookout evaluates filter and event patterns with its own
// engines; AWS's evaluators (logs:TestMetricFilter, events:TestEventPattern) can be asked the
// same question for the same events (scan --verify-patterns). The verifier fills
// SecondOpinion into the evidence of every pattern that decided a verdict.

// SecondOpinion is AWS's evaluator's answer for a pattern over the detection's events, held
// against lookout's.
type SecondOpinion struct {
	// Evaluator is the API asked: "logs:TestMetricFilter" or "events:TestEventPattern".
	Evaluator string `json:"evaluator"`
	// Agrees counts the events on which AWS's answer is lookout's.
	Agrees int `json:"agrees"`
	// Disagrees lists the events on which it is not.
	Disagrees []PatternDisagreement `json:"disagrees,omitempty"`
	// Error is set when AWS's evaluator could not be asked (or not for every event); Agrees
	// and Disagrees then count the events it answered.
	Error string `json:"error,omitempty"`
	// Summary says it in one sentence: "AWS's evaluator agrees on 12 events".
	Summary string `json:"summary"`
}

// PatternDisagreement is one event on which AWS's evaluator and lookout's disagree.
type PatternDisagreement struct {
	Event      string `json:"event"`
	AWSMatches bool   `json:"aws_matches"`
	// LookoutMatches is lookout's answer.
	LookoutMatches bool `json:"lookout_matches"`
}

// JudgedPattern is a pattern of a verdict's evidence, with the detection it was judged
// against, for a second opinion.
type JudgedPattern struct {
	// What names the pattern's owner in messages: "metric filter X", "rule Y".
	What      string
	Pattern   string
	Detection detection.Detection
	// Record stores the second opinion in the evidence the pattern came from.
	Record func(*SecondOpinion)
}

// Judged is the filter's pattern as judged, for a second opinion; false when it was not
// evaluated (it does not parse, or its verdict carries no detection).
func (v *FilterVerdict) Judged() (JudgedPattern, bool) {
	if v.unparsed || v.d.ID == "" {
		return JudgedPattern{}, false
	}
	return JudgedPattern{What: "metric filter " + v.Name, Pattern: v.Pattern, Detection: v.d,
		Record: func(o *SecondOpinion) { v.AWSEvaluator = o }}, true
}

// Judged is the rule's event pattern as judged, for a second opinion; false for a rule without
// one, a union of rules (its members carry theirs) or a verdict that carries no detection.
func (v *RuleVerdict) Judged() (JudgedPattern, bool) {
	if v.Pattern == "" || v.d.ID == "" || len(v.members) > 0 {
		return JudgedPattern{}, false
	}
	if _, err := detection.ParseEventPattern(v.Pattern); err != nil {
		return JudgedPattern{}, false
	}
	return JudgedPattern{What: "rule " + v.Rule, Pattern: v.Pattern, Detection: v.d,
		Record: func(o *SecondOpinion) { v.AWSEvaluator = o }}, true
}
