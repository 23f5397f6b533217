// Package filterpattern parses and evaluates CloudWatch Logs filter patterns — the language of
// metric filters, subscription filters and FilterLogEvents — against log events.
//
// Why an evaluator and not text comparison: every peer scanner decides "does this metric filter
// detect root usage?" by comparing the pattern's text with the CIS string. Reordered clauses,
// extra parentheses or different spacing then give a false FAIL, and a near miss ("root" in
// lower case, EXISTS instead of NOT EXISTS) gives a false PASS. lookout instead runs the pattern
// over a corpus of real events (package detection) and judges what it matches.
//
// Three pattern shapes exist, chosen by the first non-blank character:
//
//	{ ... }   JSON pattern: conditions on $.selectors joined with && and ||
//	[ ... ]   space-delimited pattern: one entry per whitespace-separated field, "..." for any
//	other     term pattern: words, "quoted phrases", ?alternatives, -exclusions, %regex%
//
// The semantics follow "Filter pattern syntax for metric filters, subscription filters, filter
// log events, and Live Tail" in the CloudWatch Logs user guide. Where the guide is silent the
// choice made is stated next to the code that makes it.
//
// Bounds: a pattern longer than 1024 bytes is rejected (the PutMetricFilter limit), parentheses
// nest at most 32 deep, and matching is linear or O(fields×tokens) in the message size, so no
// input makes Parse or Match run away or panic.
package filterpattern

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
)

// MaxPatternBytes is the longest pattern Parse accepts: the FilterPattern length limit of the
// CloudWatch Logs API. Anything longer cannot be a real metric filter, and refusing it up front
// bounds all later work.
const MaxPatternBytes = 1024

// maxDepth bounds parenthesis nesting so hostile input cannot exhaust the stack.
const maxDepth = 32

// maxRegexes is the CloudWatch Logs quota of %regex% terms per JSON or space-delimited pattern.
const maxRegexes = 2

// SyntaxError reports a malformed pattern. Pos is the byte offset of the offending character
// (0-based); the message shows it as a 1-based column because that is what people count.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("filter pattern: at column %d: %s", e.Pos+1, e.Msg)
}

func errAt(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

type kind int

const (
	kindAll       kind = iota // empty pattern: matches every event
	kindTerms                 // unstructured term pattern
	kindJSON                  // { ... }
	kindDelimited             // [ ... ]
)

// Pattern is a parsed filter pattern. It is immutable and safe for concurrent use.
type Pattern struct {
	src   string
	kind  kind
	terms []term
	json  node
	delim []delimField
}

// Result is the outcome of matching one log event. Fields holds the values a metric
// transformation could use: for JSON patterns every selector the pattern names that is present
// in the event with a scalar value ("$.eventName" -> "ConsoleLogin"); for space-delimited
// patterns every named field ("$status_code" -> "404"). Fields is nil when nothing matched.
type Result struct {
	Matched bool
	Fields  map[string]string
}

// Parse parses a filter pattern. The error, if any, is a *SyntaxError.
func Parse(pattern string) (*Pattern, error) {
	if len(pattern) > MaxPatternBytes {
		return nil, errAt(MaxPatternBytes, "pattern is %d bytes long; CloudWatch Logs accepts at most %d", len(pattern), MaxPatternBytes)
	}
	p := &Pattern{src: pattern}
	start := skipSpace(pattern, 0)
	switch {
	case start == len(pattern):
		p.kind = kindAll
	case pattern[start] == '{':
		n, err := parseJSONPattern(pattern, start)
		if err != nil {
			return nil, err
		}
		p.kind, p.json = kindJSON, n
	case pattern[start] == '[':
		f, err := parseDelimited(pattern, start)
		if err != nil {
			return nil, err
		}
		p.kind, p.delim = kindDelimited, f
	default:
		t, err := parseTerms(pattern, start)
		if err != nil {
			return nil, err
		}
		p.kind, p.terms = kindTerms, t
		if len(t) == 0 {
			p.kind = kindAll
		}
	}
	return p, nil
}

// MustParse is Parse for patterns known to be valid (tests, built-in references). It panics on
// a malformed pattern, so never call it with user input.
func MustParse(pattern string) *Pattern {
	p, err := Parse(pattern)
	if err != nil {
		panic(err)
	}
	return p
}

// Source returns the pattern text as given to Parse.
func (p *Pattern) Source() string { return p.src }

// String returns the pattern in a canonical spelling: single spaces, explicit parentheses
// around every && and || group, quoted strings. Two patterns with the same meaning written
// differently often (not always) have the same String; String always parses back to an
// equivalent pattern.
func (p *Pattern) String() string {
	switch p.kind {
	case kindTerms:
		parts := make([]string, len(p.terms))
		for i, t := range p.terms {
			parts[i] = t.String()
		}
		return strings.Join(parts, " ")
	case kindJSON:
		return "{ " + p.json.String() + " }"
	case kindDelimited:
		parts := make([]string, len(p.delim))
		for i, f := range p.delim {
			parts[i] = f.String()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return ""
}

// Match evaluates the pattern against one log event message: for CloudTrail delivered to
// CloudWatch Logs that is one JSON record; for a file collected by the CloudWatch agent it is
// one line.
func (p *Pattern) Match(message string) Result {
	return p.MatchMessage(NewMessage(message))
}

// Message is a log event prepared once for matching many patterns: its JSON form is decoded
// on first use and kept, so that evaluating a thousand filters over the same event decodes it
// once. A Message is safe for concurrent use.
type Message struct {
	text   string
	once   sync.Once
	doc    any
	isJSON bool
}

// NewMessage prepares a log event message.
func NewMessage(text string) *Message { return &Message{text: text} }

// Text is the message as CloudWatch Logs received it.
func (m *Message) Text() string { return m.text }

func (m *Message) json() (any, bool) {
	m.once.Do(func() { m.doc, m.isJSON = decodeJSON(m.text) })
	return m.doc, m.isJSON
}

// MatchMessage is Match for a prepared message.
func (p *Pattern) MatchMessage(m *Message) Result {
	switch p.kind {
	case kindAll:
		return Result{Matched: true}
	case kindTerms:
		return Result{Matched: matchTerms(p.terms, m.text)}
	case kindJSON:
		doc, ok := m.json()
		if !ok {
			return Result{}
		}
		return matchDoc(p.json, doc)
	case kindDelimited:
		return matchDelimited(p.delim, m.text)
	}
	return Result{}
}

// MetricValue computes what a metric transformation's metricValue publishes for a matched
// event: a number literal ("1", "0", "2.5") is published as is; "$.selector" (JSON patterns) or
// "$name" (space-delimited patterns) publishes the field's value, which CloudWatch Logs takes
// only from fields the pattern itself names — so a value the pattern does not mention is an
// error here too, even if the message contains it.
func MetricValue(spec string, r Result, message string) (float64, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return 0, fmt.Errorf("metric value is empty")
	}
	if !strings.HasPrefix(spec, "$") {
		v, err := strconv.ParseFloat(spec, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("metric value %q is neither a number nor a $field", spec)
		}
		return v, nil
	}
	if !r.Matched {
		return 0, fmt.Errorf("metric value %s: the event did not match, so no value is published", spec)
	}
	s, ok := r.Fields[spec]
	if !ok {
		hint := ""
		if strings.HasPrefix(spec, "$.") {
			if sel, err := parseSelectorText(spec); err == nil {
				if v, found := decodeJSON(message); found {
					if _, present := sel.lookup(v); present {
						hint = fmt.Sprintf(" (the event has it, but the pattern must name it, e.g. %s = *)", spec)
					}
				}
			}
		}
		return 0, fmt.Errorf("metric value %s: field not extracted by the pattern%s", spec, hint)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("metric value %s: field value %q is not a number", spec, s)
	}
	return v, nil
}

// decodeJSON parses a log message as one JSON value, keeping numbers as json.Number so their
// original spelling survives into Result.Fields.
func decodeJSON(message string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(message))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	// Trailing garbage means this is not a JSON log event.
	if dec.More() {
		return nil, false
	}
	var extra any
	if err := dec.Decode(&extra); err == nil {
		return nil, false
	}
	return v, true
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// quote renders s as a double-quoted pattern string; literal '*' is escaped so that it does not
// become a wildcard when the result is parsed again.
func quote(s string, escapeStar bool) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' || (escapeStar && c == '*') {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// IsJSON reports whether the pattern is a JSON pattern ({ $.field = value ... }), which
// MatchDecoded can evaluate over a decoded document.
func (p *Pattern) IsJSON() bool { return p.kind == kindJSON }

// DecodeJSON decodes a JSON log event as JSON patterns read it (numbers kept as
// json.Number); ok is false when the text is not one JSON value.
func DecodeJSON(message string) (doc any, ok bool) { return decodeJSON(message) }

// MatchDecoded evaluates a JSON pattern over a document decoded by DecodeJSON, which the
// caller may have changed since (a template whose few fields are set per event, so that many
// variants of one event are matched without writing or reading text). It reads doc only.
// A pattern of another kind never matches: it needs the text.
func (p *Pattern) MatchDecoded(doc any) Result {
	if p.kind != kindJSON {
		return Result{}
	}
	return matchDoc(p.json, doc)
}
