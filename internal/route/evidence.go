package route

import (
	"fmt"
	"strings"
)

// Evidence the engine writes: what it read to judge a path, shaped for the finding's
// "evidence" object so that a reviewer can verify it. Where a verdict follows a chain of links
// (trail → log group → metric filter → alarm → topic → subscriber, or trail → rule → target),
// the link that does not hold is data: a BrokenLink, which the finding's message is rendered
// from.

// BrokenLink is the first link of a control's chain that does not hold on the closest path.
type BrokenLink struct {
	Link ChainLink
	// Hop is the hop of a delivery that does not hold, when the link is a delivery (an alarm's
	// topic or subscriber, a rule's target); "" otherwise.
	Hop DeliveryHop
	// Unknown is set when the link could not be judged (the finding is ERROR) rather than
	// judged broken.
	Unknown bool
}

// MarshalText writes the link in evidence as the message names it, a string as "broken_link"
// has always been in the JSON report ("metric filter", "SNS topic (topic policy)"); whether it
// could be judged is the finding's status (ERROR).
func (b BrokenLink) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText reads the link back from a JSON report: "SNS topic (topic policy)". Whether it
// could be judged is not written (the finding's status says it), so Unknown stays false.
func (b *BrokenLink) UnmarshalText(text []byte) error {
	s, hop := string(text), ""
	if i := strings.Index(s, " ("); i >= 0 && strings.HasSuffix(s, ")") {
		s, hop = s[:i], s[i+2:len(s)-1]
	}
	var l ChainLink
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return fmt.Errorf("broken link %q: %w", text, err)
	}
	*b = BrokenLink{Link: l, Hop: DeliveryHop(hop)}
	return nil
}

// String renders the link for a message: "SNS topic (topic policy)".
func (b BrokenLink) String() string {
	if b.Hop == "" {
		return b.Link.String()
	}
	return b.Link.String() + " (" + string(b.Hop) + ")"
}

// Lead starts a message about a broken chain: "broken link: SNS topic (topic policy) — ".
func (b BrokenLink) Lead() string { return "broken link: " + b.String() + " — " }

// ChainBreak is embedded in the evidence of chain checks: it writes "broken_link".
type ChainBreak struct {
	Broken *BrokenLink `json:"broken_link,omitempty"`
}

// BrokenAt is the link the evidence names as broken (nil when the chain holds).
func (c ChainBreak) BrokenAt() *BrokenLink { return c.Broken }

// AlarmChainEvidence is what EvaluateAlarmChain read on one log group.
type AlarmChainEvidence struct {
	LogGroup string `json:"log_group"`
	// MetricFilters are the filters that publish a count of some or all of the events, else
	// the closest one; OtherMetricFilters names the rest of the group's filters.
	MetricFilters      []FilterVerdict `json:"metric_filters,omitempty"`
	OtherMetricFilters []string        `json:"other_metric_filters,omitempty"`
	Alarms             []AlarmEvidence `json:"alarms,omitempty"`
	Topics             []TargetVerdict `json:"topics,omitempty"`
}

// AlarmEvidence is one alarm on a detection's metric and what stops it going off.
type AlarmEvidence struct {
	Name           string   `json:"name"`
	ARN            string   `json:"arn"`
	Metric         string   `json:"metric"`
	Condition      string   `json:"condition"`
	ActionsEnabled bool     `json:"actions_enabled"`
	AlarmActions   []string `json:"alarm_actions"`
	Problems       []string `json:"problems,omitempty"`
}

// RuleEvidence is the evidence of a check that some EventBridge rule acts on a detection's
// events in one region.
type RuleEvidence struct {
	ChainBreak
	Detection string `json:"detection,omitempty"`
	// Trail and HomeRegion name the trail whose StopLogging is watched.
	Trail      string `json:"trail,omitempty"`
	HomeRegion string `json:"home_region,omitempty"`
	// Rules are the rules on a path that holds, else the closest one (RuleSearch.OnPath).
	Rules []RuleVerdict `json:"rules"`
	// OtherRules names the other rules of the default bus lookout judged: a rule the reader
	// expected to see is listed, and `lookout pattern test` tells what its pattern misses.
	OtherRules []string `json:"other_rules,omitempty"`
}

// EvidenceKind names the evidence of a rule search in a finding's JSON ("rules").
func (RuleEvidence) EvidenceKind() string { return "rules" }

// Path is the chain a broken link belongs to, hop by hop in the order events travel it: a
// metric filter chain (trail, log group, metric filter, alarm, SNS topic, confirmed
// subscriber) or an EventBridge route (trail, rule, rule target). A broken trail is read as
// the first hop of a metric filter chain.
func (b BrokenLink) Path() []ChainLink {
	switch b.Link {
	case LinkRule, LinkTarget:
		return []ChainLink{LinkTrail, LinkRule, LinkTarget}
	}
	return []ChainLink{LinkTrail, LinkLogGroup, LinkMetricFilter, LinkAlarm, LinkTopic, LinkSubscriber}
}

// HopState is what a finding's path says of one hop of its chain.
type HopState string

const (
	// HopHolds: the events got through this hop on the closest path.
	HopHolds HopState = "holds"
	// HopBroken: the closest path stops here.
	HopBroken HopState = "broken"
	// HopUndecided: lookout could not judge this hop (the finding is ERROR).
	HopUndecided HopState = "undecided"
	// HopNotReached: the path stopped before this hop, which was not judged.
	HopNotReached HopState = "not reached"
)

// Mark is the hop's one-character mark in a path as text: ✓ holds, ✗ broken, ? undecided,
// · not reached.
func (s HopState) Mark() string {
	switch s {
	case HopHolds:
		return "✓"
	case HopBroken:
		return "✗"
	case HopUndecided:
		return "?"
	}
	return "·"
}

// PathHop is one hop of a finding's path and what became of it.
type PathHop struct {
	Link  ChainLink
	State HopState
	// Delivery names what stops a broken delivery hop (topic policy, KMS key, …), else "".
	Delivery DeliveryHop
}

// String is "✗ SNS topic (topic policy)".
func (h PathHop) String() string {
	s := h.State.Mark() + " " + h.Link.String()
	if h.Delivery != "" {
		s += " (" + string(h.Delivery) + ")"
	}
	return s
}

// Hops is the closest path of b's chain hop by hop: the hops before the broken one hold (the
// path reached it through them), the broken one is broken (undecided when the finding could
// not be judged), the ones after were not reached.
func (b BrokenLink) Hops(undecided bool) []PathHop {
	chain := b.Path()
	out := make([]PathHop, 0, len(chain))
	state := HopHolds
	for _, l := range chain {
		h := PathHop{Link: l, State: state}
		if l == b.Link {
			h.State, h.Delivery = HopBroken, b.Hop
			if undecided || b.Unknown {
				h.State = HopUndecided
			}
			state = HopNotReached
		}
		out = append(out, h)
	}
	return out
}

// ShortPath is the path up to its broken hop, on one line: "✓ trail → ✓ log group → ✗ metric
// filter".
func ShortPath(hops []PathHop) string {
	var parts []string
	for _, h := range hops {
		if h.State == HopNotReached {
			break
		}
		parts = append(parts, h.String())
	}
	return strings.Join(parts, " → ")
}
