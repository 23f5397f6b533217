// Package detection defines what each lookout check means by "this metric filter (or
// EventBridge rule) detects X", as sets of real events rather than as pattern text.
//
// A Detection lists positives — events the pattern must match — and negatives — events it must
// not match. A pattern "detects" when it matches every positive and no negative. The checks
// evaluate the customer's pattern this way (EvaluateFilterPattern / EvaluateEventPattern) and
// never compare pattern text, so reordered clauses, extra parentheses or a different spacing
// are judged like the original, and near misses ("root" in lower case, EXISTS for NOT EXISTS,
// a rule without "source") are caught because a positive is missed or a negative matches.
//
// Choosing the events is the delicate part, and each constructor explains its choice. The rule
// of thumb: a positive is an event every acceptable pattern must catch (the CIS reference and
// its known-good variants all match it); a negative is an event no acceptable pattern may
// catch. Events on which acceptable variants disagree (an SSO console login without MFA, a
// failed login) are left out of both sets.
//
// Some activity is spelled in more than one way by AWS itself (the console sign-in
// detail-type is "AWS Console Sign In via CloudTrail", and rules written for the older
// "AWS Console Signin via CloudTrail" exist). Such positives go into an AnyOf group: the
// pattern must match at least one event of each group, not all of them.
//
// The events live under corpus/ and are embedded: CloudTrail records exactly as CloudTrail
// delivers them to CloudWatch Logs (corpus/cloudtrail), EventBridge envelopes
// (corpus/eventbridge, with ${REGION}, ${ACCOUNT}, ${TRAIL_NAME}, ${TRAIL_ARN} placeholders
// filled per check) and SSH daemon log lines (corpus/ssh/auth.log). The CIS monitoring
// detections (cis.go) keep one set of CloudTrail records for both languages: CISFilter uses
// them as log events, CISEvent wraps them in Go as EventBridge delivers them.
package detection

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/lookout-audit/lookout/internal/eventpattern"
	"github.com/lookout-audit/lookout/internal/filterpattern"
)

//go:embed corpus
var corpusFS embed.FS

// Language says which pattern language a detection's events are meant for.
type Language int

const (
	// FilterPattern detections hold log events for CloudWatch Logs metric filters.
	FilterPattern Language = iota + 1
	// EventPattern detections hold EventBridge envelopes for rule event patterns.
	EventPattern
)

func (l Language) String() string {
	switch l {
	case FilterPattern:
		return "filter pattern"
	case EventPattern:
		return "event pattern"
	}
	return "unknown language"
}

// Event is one log event (Body is the raw message) or one EventBridge envelope (Body is its
// JSON). Name explains the case in words, e.g. "root console login, MFA used".
type Event struct {
	Name string
	Body []byte
	// memo keeps the event decoded once for every pattern it is matched against (nil for an
	// Event built outside this package: it is then decoded per match).
	memo *eventMemo
}

type eventMemo struct {
	msgOnce sync.Once
	msg     *filterpattern.Message
	evOnce  sync.Once
	ev      *eventpattern.Event
	evErr   error
	roOnce  sync.Once
	ro      bool
	// tmpl, for a CIS event stamped from a prepared one (cis_stamp.go): decoding is
	// tmpl's decoded event with pairs replaced, and whether it is read-only is tmpl's; its
	// text, if the event was built without it (CISEventLazy), is written once by Bytes.
	tmpl            *cisTemplate
	pairs           []string
	account, region string
	bodyOnce        sync.Once
	body            []byte
	// env, for an envelope filled in from a template (envelope_stamp.go): decoding is env's
	// decoded event with envPairs replaced.
	env      *envTemplate
	envPairs []string
}

func newEvent(name string, body []byte) Event {
	return Event{Name: name, Body: body, memo: &eventMemo{}}
}

// Bytes is the event's text: Body, or for an event of CISEventLazy, its text written once on
// first use.
func (e Event) Bytes() []byte {
	if e.Body != nil || e.memo == nil || e.memo.tmpl == nil {
		return e.Body
	}
	m := e.memo
	m.bodyOnce.Do(func() { m.body = m.tmpl.stampBody(m.account, m.region, m.pairs) })
	return m.body
}

// Message is the event prepared for filter patterns.
func (e Event) Message() *filterpattern.Message {
	if e.memo == nil {
		return filterpattern.NewMessage(string(e.Body))
	}
	e.memo.msgOnce.Do(func() { e.memo.msg = filterpattern.NewMessage(string(e.Bytes())) })
	return e.memo.msg
}

// ReadOnlyAPICall reports whether the event is a read-only management event delivered through
// CloudTrail ("AWS API Call via CloudTrail" with detail.readOnly true), which EventBridge
// matches only against rules in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
func (e Event) ReadOnlyAPICall() bool {
	compute := func() bool {
		var env struct {
			DetailType string `json:"detail-type"`
			Detail     struct {
				ReadOnly bool `json:"readOnly"`
			} `json:"detail"`
		}
		return json.Unmarshal(e.Body, &env) == nil && env.DetailType == "AWS API Call via CloudTrail" && env.Detail.ReadOnly
	}
	if e.memo == nil {
		return compute()
	}
	if e.memo.tmpl != nil {
		return e.memo.tmpl.readOnly
	}
	e.memo.roOnce.Do(func() { e.memo.ro = compute() })
	return e.memo.ro
}

// Decoded is the event decoded for event patterns.
func (e Event) Decoded() (*eventpattern.Event, error) {
	if e.memo == nil {
		return eventpattern.DecodeEvent(e.Body)
	}
	e.memo.evOnce.Do(func() {
		if t := e.memo.env; t != nil {
			e.memo.ev = t.ev.ReplaceStrings(e.memo.envPairs)
			return
		}
		if t := e.memo.tmpl; t != nil {
			if t.evErr != nil {
				e.memo.evErr = t.evErr
				return
			}
			e.memo.ev = t.ev.ReplaceStrings(e.memo.pairs)
			return
		}
		e.memo.ev, e.memo.evErr = eventpattern.DecodeEvent(e.Bytes())
	})
	return e.memo.ev, e.memo.evErr
}

// Lookup returns the value at path in the decoded event (eventpattern.Event.Lookup) and
// whether there is one; false too when the event is not a JSON object. For a CIS event
// stamped from a prepared one it reads the prepared event and stamps only the value found,
// so no event is decoded or copied.
func (e Event) Lookup(path ...string) (any, bool) {
	if e.memo != nil && e.memo.tmpl != nil && e.memo.tmpl.evErr == nil {
		v, ok := e.memo.tmpl.ev.Lookup(path...)
		if !ok {
			return nil, false
		}
		return eventpattern.ReplaceValue(v, e.memo.pairs), true
	}
	if e.memo != nil && e.memo.env != nil {
		v, ok := e.memo.env.ev.Lookup(path...)
		if !ok {
			return nil, false
		}
		return eventpattern.ReplaceValue(v, e.memo.envPairs), true
	}
	ev, err := e.Decoded()
	if err != nil {
		return nil, false
	}
	return ev.Lookup(path...)
}

// Has reports whether path exists in the decoded event, and whether its value is an object,
// without reading or copying the value (stamping changes no key and no shape).
func (e Event) Has(path ...string) (present, object bool) {
	var v any
	if e.memo != nil && e.memo.tmpl != nil && e.memo.tmpl.evErr == nil {
		v, present = e.memo.tmpl.ev.Lookup(path...)
	} else if e.memo != nil && e.memo.env != nil {
		v, present = e.memo.env.ev.Lookup(path...)
	} else if ev, err := e.Decoded(); err == nil {
		v, present = ev.Lookup(path...)
	}
	_, object = v.(map[string]any)
	return present, object
}

// Detection is a named set of positives and negatives; see the package comment.
type Detection struct {
	ID       string
	Summary  string
	Language Language
	// Positives must all match.
	Positives []Event
	// AnyOf groups are alternative spellings of one activity: at least one event of each
	// group must match.
	AnyOf [][]Event
	// Negatives must not match.
	Negatives []Event
	// cis, for a CIS event detection stamped from prepared events, remembers the verdicts
	// that hold for every stamp (cis_stamp.go).
	cis *cisSet
	// env, for a detection of envelopes filled in from templates, remembers the verdicts
	// that hold for every trail, account and region (envelope_stamp.go).
	env *envSet
}

// Verdict is the outcome of evaluating a pattern against a detection. Detects is true exactly
// when nothing was missed and no negative matched. MissedPositives names the positives (or
// AnyOf groups, as "one of: a | b") the pattern did not match; MatchedNegatives names the
// negatives it matched.
type Verdict struct {
	Detects          bool
	MissedPositives  []string
	MatchedNegatives []string
	// text is String's answer, computed once for a verdict remembered for every region and
	// account (cis_stamp.go), so that the evidence of a thousand accounts shares one string.
	text string
}

// String summarises the verdict for messages and evidence.
func (v Verdict) String() string {
	if v.text != "" {
		return v.text
	}
	if v.Detects {
		return "detects: matches every positive and no negative"
	}
	var parts []string
	if len(v.MissedPositives) > 0 {
		parts = append(parts, "misses "+strings.Join(v.MissedPositives, "; "))
	}
	if len(v.MatchedNegatives) > 0 {
		parts = append(parts, "also matches "+strings.Join(v.MatchedNegatives, "; "))
	}
	return strings.Join(parts, "; and ")
}

// EvaluateFilterPattern runs a CloudWatch Logs filter pattern over the detection's events. The
// error is non-nil when the pattern does not parse (a *filterpattern.SyntaxError), or when
// the detection is one for event patterns — a verdict computed over the wrong kind of events
// would be meaningless.
func (d Detection) EvaluateFilterPattern(pattern string) (Verdict, error) {
	if d.Language != FilterPattern {
		return Verdict{}, fmt.Errorf("detection %s holds events for %s, not for metric filter patterns", d.ID, d.Language)
	}
	p, err := filterpattern.Parse(pattern)
	if err != nil {
		return Verdict{}, err
	}
	return d.evaluate(func(e Event) (bool, error) {
		return p.MatchMessage(e.Message()).Matched, nil
	})
}

// EvaluateEventPattern runs an EventBridge event pattern over the detection's envelopes. The
// error is non-nil when the pattern does not parse, or when the detection is one for metric
// filters.
func (d Detection) EvaluateEventPattern(patternJSON string) (Verdict, error) {
	if d.Language != EventPattern {
		return Verdict{}, fmt.Errorf("detection %s holds events for %s, not for EventBridge event patterns", d.ID, d.Language)
	}
	if d.cis != nil {
		cv := d.cis.verdict(patternJSON)
		switch {
		case cv.err != nil:
			return Verdict{}, cv.err
		case cv.invariant:
			return cv.v.clone(), cv.vErr
		}
		return d.evaluate(matchWith(cv.p))
	}
	p, err := ParseEventPattern(patternJSON)
	if err != nil {
		return Verdict{}, err
	}
	if d.env != nil && d.invariant(p) {
		e, _ := d.env.verdicts.LoadOrStore(patternJSON, &envVerdict{})
		ev := e.(*envVerdict)
		ev.once.Do(func() {
			ev.v, ev.err = d.evaluate(matchWith(p))
			ev.v.text = ev.v.String()
		})
		return ev.v.clone(), ev.err
	}
	return d.evaluate(matchWith(p))
}

func (d Detection) evaluate(match func(Event) (bool, error)) (Verdict, error) {
	var v Verdict
	for _, e := range d.Positives {
		ok, err := match(e)
		if err != nil {
			return Verdict{}, fmt.Errorf("detection %s: positive %q: %w", d.ID, e.Name, err)
		}
		if !ok {
			v.MissedPositives = append(v.MissedPositives, e.Name)
		}
	}
	for _, group := range d.AnyOf {
		found := false
		names := make([]string, len(group))
		for i, e := range group {
			names[i] = e.Name
			ok, err := match(e)
			if err != nil {
				return Verdict{}, fmt.Errorf("detection %s: positive %q: %w", d.ID, e.Name, err)
			}
			found = found || ok
		}
		if !found {
			v.MissedPositives = append(v.MissedPositives, "one of: "+strings.Join(names, " | "))
		}
	}
	for _, e := range d.Negatives {
		ok, err := match(e)
		if err != nil {
			return Verdict{}, fmt.Errorf("detection %s: negative %q: %w", d.ID, e.Name, err)
		}
		if ok {
			v.MatchedNegatives = append(v.MatchedNegatives, e.Name)
		}
	}
	v.Detects = len(v.MissedPositives) == 0 && len(v.MatchedNegatives) == 0
	return v, nil
}

// file reads an embedded corpus file. The corpus is compiled in, so a missing file is a bug in
// this package (caught by its tests), not a runtime condition.
func file(path string) []byte {
	b, err := corpusFS.ReadFile("corpus/" + path)
	if err != nil {
		panic(fmt.Sprintf("detection: corpus file %s missing: %v", path, err))
	}
	return b
}

func record(path, name string) Event { return newEvent(name, file("cloudtrail/"+path)) }

// envelope reads an EventBridge envelope and fills its placeholders. Values are JSON-escaped
// because they land inside JSON strings.
func envelope(path, name string, vars map[string]string) Event {
	body := string(file("eventbridge/" + path))
	for k, v := range vars {
		esc, _ := json.Marshal(v)
		body = strings.ReplaceAll(body, "${"+k+"}", string(esc[1:len(esc)-1]))
	}
	e := newEvent(name, []byte(body))
	if t := envTemplateFor(path); t.ok {
		if pairs, ok := envPairs(vars); ok {
			e.memo.env, e.memo.envPairs = t, pairs
		}
	}
	return e
}

// sshLines parses corpus/ssh/auth.log: "<kind>\t<name>\t<line>" with kind + (positive),
// - (negative) or . (informational).
func sshLines() (pos, neg, info []Event) {
	for _, line := range strings.Split(string(file("ssh/auth.log")), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 {
			panic(fmt.Sprintf("detection: malformed corpus line %q", line))
		}
		e := newEvent(parts[1], []byte(parts[2]))
		switch parts[0] {
		case "+":
			pos = append(pos, e)
		case "-":
			neg = append(neg, e)
		default:
			info = append(info, e)
		}
	}
	return pos, neg, info
}

// Restrict is the detection with only the events keep accepts: the positives, the members of
// each AnyOf group (a group left empty is dropped) and the negatives. It describes what a hop
// passes on — the events a forwarding rule puts on another bus — so that the next hop is
// judged against exactly those. The verdicts remembered for the full set do not apply to it,
// so its patterns are evaluated afresh.
func (d Detection) Restrict(keep func(Event) bool) Detection {
	out := Detection{ID: d.ID, Summary: d.Summary, Language: d.Language}
	for _, e := range d.Positives {
		if keep(e) {
			out.Positives = append(out.Positives, e)
		}
	}
	for _, g := range d.AnyOf {
		var kept []Event
		for _, e := range g {
			if keep(e) {
				kept = append(kept, e)
			}
		}
		if len(kept) > 0 {
			out.AnyOf = append(out.AnyOf, kept)
		}
	}
	for _, e := range d.Negatives {
		if keep(e) {
			out.Negatives = append(out.Negatives, e)
		}
	}
	return out
}
