package detection

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/lookout-audit/lookout/internal/eventpattern"
)

// Stamping CIS events without parsing them again.
//
// A scan asks CISEvent for every control in every region of every account: thirteen controls
// times seventeen regions per account, each a dozen CloudTrail records stamped with the
// region and account and wrapped in an envelope. Parsing each record and envelope anew cost
// about 2 ms per call, 0.5 s of CPU per account: far more than reading the account from AWS.
//
// So each control's events are prepared once, as the corpus has them (each record in its own
// region and account): the envelope text, decoded. Stamping an event for a region R and an
// account A then replaces, in that order, the record's own account id A0 by A and its own
// region R0 by R, in the envelope text (as stampRecord does to the record) and in the decoded
// event's string values (eventpattern.Event.ReplaceStrings), so nothing is parsed again. The
// two agree, and agree with building the envelope from the stamped record, when:
//
//   - A0, R0, A and R are made of letters, digits and hyphens only: no replacement needs JSON
//     escaping, and no occurrence can span two JSON tokens;
//   - no key and no number of the envelope holds A0 or R0, and no string written with an
//     escape sequence holds them, whether read raw or decoded;
//   - the record's eventID, eventType and eventSource, and the envelope id, hold neither (the
//     envelope's id, source and detail-type are derived from them);
//   - outside the record, the envelope holds A0 and R0 once each: its account and region.
//
// cisPrepare checks all of this for every record of a control; a control or a stamp that
// fails it is built the original way (stamp the record, wrap it, parse on demand).
//
// Verdicts. Stamping changes only the string values that hold A0 or R0 (the "variant" paths of
// each event). An event pattern reads only the values at its leaf paths
// (eventpattern.Pattern.LeafPaths), so a pattern none of whose leaf paths is variant in any
// of the control's events has the same verdict for every region and account: it is evaluated
// once per control and pattern, and remembered. Rules that name an account or a region in
// their pattern (a field such as "account", "region" or an ARN) are evaluated per stamp.

// stampable: letters, digits and hyphens, as account ids and region names are.
var stampable = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

// cisTemplate is one event of a control as the corpus has it.
type cisTemplate struct {
	name            string
	body            []byte // the envelope of the unstamped record
	ev              *eventpattern.Event
	evErr           error
	readOnly        bool
	account, region string          // the record's own: what stamping replaces
	variant         map[string]bool // leaf paths whose values hold account or region
	ok              bool            // stamping text and stamping the decoded event agree
	at              []occurrence    // where account and region are in body
	delimited       bool            // every account occurrence is delimited (stampBody)
}

// cisSet is a control's events prepared once.
type cisSet struct {
	spec      cisSpec
	positives []*cisTemplate
	anyOf     [][]*cisTemplate
	negatives []*cisTemplate
	fast      bool      // every template is ok
	template  Detection // the unstamped events, decoded, for remembered verdicts
	verdicts  sync.Map  // pattern text -> *cisVerdict
}

// cisVerdict is one pattern judged against one control, once.
type cisVerdict struct {
	once      sync.Once
	p         *eventpattern.Pattern
	err       error // the pattern does not parse
	invariant bool  // the pattern reads no variant path: v holds for every stamp
	v         Verdict
	vErr      error
}

var cisSets sync.Map // control key -> *cisSetOnce

type cisSetOnce struct {
	once sync.Once
	set  *cisSet
}

func cisSetFor(s cisSpec) *cisSet {
	e, _ := cisSets.LoadOrStore(s.Key, &cisSetOnce{})
	so := e.(*cisSetOnce)
	so.once.Do(func() { so.set = cisPrepare(s) })
	return so.set
}

// cisPrepare builds a control's events as CISEvent does, from the records as they are.
func cisPrepare(s cisSpec) *cisSet {
	set := &cisSet{spec: s, fast: true}
	add := func(name string, rec []byte, h ctHeader, source, detailType string) *cisTemplate {
		t := prepareTemplate(name, rec, h, source, detailType)
		set.fast = set.fast && t.ok
		return t
	}
	var custom *cisTemplate
	for i, c := range s.positives {
		rec := file("cloudtrail/" + c.file)
		h := ctHeaderOf(rec)
		dt := detailTypeFor(h)
		if i == 0 {
			custom = add(fmt.Sprintf("custom event (source custom.app) carrying the %s detail", c.name), rec, h, "custom.app", dt)
		}
		if dt != detailTypeSignIn {
			set.positives = append(set.positives, add(c.name, rec, h, sourceFor(h), dt))
			continue
		}
		set.anyOf = append(set.anyOf, []*cisTemplate{
			add(fmt.Sprintf("%s (detail-type %q)", c.name, detailTypeSignIn), rec, h, sourceFor(h), detailTypeSignIn),
			add(fmt.Sprintf("%s (detail-type %q)", c.name, detailTypeSignInOld), rec, h, sourceFor(h), detailTypeSignInOld),
		})
	}
	for _, c := range s.negatives {
		rec := file("cloudtrail/" + c.file)
		h := ctHeaderOf(rec)
		set.negatives = append(set.negatives, add(c.name, rec, h, sourceFor(h), detailTypeFor(h)))
	}
	set.negatives = append(set.negatives, custom)
	set.template = set.build("", "", "", nil, false)
	return set
}

func prepareTemplate(name string, rec []byte, h ctHeader, source, detailType string) *cisTemplate {
	t := &cisTemplate{name: name, account: h.RecipientAccountID, region: h.AWSRegion}
	t.body = envelopeFor(rec, h, source, detailType)
	t.ev, t.evErr = eventpattern.DecodeEvent(t.body)
	t.readOnly = Event{Body: t.body}.ReadOnlyAPICall()
	t.variant = map[string]bool{}
	t.ok = t.evErr == nil && stampable.MatchString(t.account) && stampable.MatchString(t.region) &&
		!strings.Contains(t.account, t.region) && !strings.Contains(t.region, t.account)
	if !t.ok {
		return t
	}
	holds := func(s string) bool { return strings.Contains(s, t.account) || strings.Contains(s, t.region) }
	if holds(h.EventID) || holds(h.EventType) || holds(h.EventSource) || holds(envelopeID(h, source, detailType)) || holds(source) || holds(detailType) {
		t.ok = false
		return t
	}
	// Outside the record, the envelope holds each once: its account and region fields.
	if bytes.Count(t.body, []byte(t.account)) != bytes.Count(rec, []byte(t.account))+1 ||
		bytes.Count(t.body, []byte(t.region)) != bytes.Count(rec, []byte(t.region))+1 {
		t.ok = false
		return t
	}
	t.ev.StringLeaves(func(path, value string, kind eventpattern.LeafKind) {
		if !holds(value) {
			return
		}
		if kind != eventpattern.StringLeaf {
			t.ok = false // a key or a number: stamping would change the shape or the type
			return
		}
		t.variant[path] = true
	})
	t.ok = t.ok && escapesAgree(t.body, t.account, t.region)
	if t.ok {
		t.locate()
	}
	return t
}

// escapesAgree reports whether, in every string token of body written with an escape
// sequence, replacing account and region in the raw token and then decoding it gives what
// decoding it and then replacing gives (the escapes do not overlap an occurrence), for two
// different stamps.
func escapesAgree(body []byte, account, region string) bool {
	probes := [][]string{
		{account, "000000000000", region, "xx-probe-1"},
		{account, "ZZ-9", region, "a"},
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		j, escaped := i+1, false
		for ; j < len(body) && body[j] != '"'; j++ {
			if body[j] == '\\' {
				escaped = true
				j++
			}
		}
		if j >= len(body) {
			return false // not JSON: take the safe way
		}
		if escaped {
			tok := string(body[i : j+1])
			var plain string
			if json.Unmarshal([]byte(tok), &plain) != nil {
				return false
			}
			for _, p := range probes {
				var got string
				if json.Unmarshal([]byte(replaceAll(tok, p)), &got) != nil || got != replaceAll(plain, p) {
					return false
				}
			}
		}
		i = j
	}
	return true
}

func replaceAll(s string, pairs []string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s
}

// stampBody is t's envelope text with the replacement pairs applied in order (as
// bytes.ReplaceAll would, one pair after the other), written in one pass from the positions
// of the record's own account and region found once (t.at). That is exact when every
// occurrence of the account is delimited by characters an account id or a region name cannot
// hold (quotes, colons, slashes), as in ARNs and JSON strings, and the new account does not
// hold the record's region: replacing the account then neither makes nor breaks an
// occurrence of the region. Otherwise the pairs are applied one after the other.
func (t *cisTemplate) stampBody(account, region string, pairs []string) []byte {
	if len(pairs) == 0 {
		return t.body
	}
	if !t.delimited || strings.Contains(account, t.region) {
		body := t.body
		for i := 0; i+1 < len(pairs); i += 2 {
			body = bytes.ReplaceAll(body, []byte(pairs[i]), []byte(pairs[i+1]))
		}
		return body
	}
	newAccount, newRegion := account == "" || account == t.account, region == "" || region == t.region
	size := len(t.body)
	for _, o := range t.at {
		switch {
		case o.account && !newAccount:
			size += len(account) - len(t.account)
		case !o.account && !newRegion:
			size += len(region) - len(t.region)
		}
	}
	out := make([]byte, 0, size)
	last := 0
	for _, o := range t.at {
		switch {
		case o.account && !newAccount:
			out = append(append(out, t.body[last:o.pos]...), account...)
			last = o.pos + len(t.account)
		case !o.account && !newRegion:
			out = append(append(out, t.body[last:o.pos]...), region...)
			last = o.pos + len(t.region)
		}
	}
	return append(out, t.body[last:]...)
}

// occurrence is where the record's own account (or region) is in a template's body.
type occurrence struct {
	pos     int
	account bool
}

// locate finds the occurrences of t's account and region in its body, as ReplaceAll would
// replace them (left to right, not overlapping), and whether every account occurrence is
// delimited (see stampBody).
func (t *cisTemplate) locate() {
	word := func(c byte) bool {
		return c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	find := func(what string, account bool) {
		for i := 0; ; {
			j := bytes.Index(t.body[i:], []byte(what))
			if j < 0 {
				return
			}
			pos := i + j
			if account && (pos > 0 && word(t.body[pos-1]) || pos+len(what) < len(t.body) && word(t.body[pos+len(what)])) {
				t.delimited = false
			}
			t.at = append(t.at, occurrence{pos, account})
			i = pos + len(what)
		}
	}
	t.delimited = true
	find(t.account, true)
	find(t.region, false)
	sort.Slice(t.at, func(i, j int) bool { return t.at[i].pos < t.at[j].pos })
	for i := 1; i < len(t.at); i++ {
		prev := t.at[i-1]
		end := prev.pos + len(t.region)
		if prev.account {
			end = prev.pos + len(t.account)
		}
		if t.at[i].pos < end {
			t.delimited = false // an account and a region overlap: take the slow way
		}
	}
}

// pairs are the replacements that stamp t for account and region, in order.
func (t *cisTemplate) pairs(account, region string) []string {
	var p []string
	if account != "" && account != t.account {
		p = append(p, t.account, account)
	}
	if region != "" && region != t.region {
		p = append(p, t.region, region)
	}
	return p
}

// build returns the control's detection stamped for region and account ("" for the
// templates as they are).
// With lazy, the events' bodies are left nil and written on demand (Event.Bytes).
func (set *cisSet) build(summary, region, account string, cis *cisSet, lazy bool) Detection {
	d := Detection{ID: set.spec.Key, Summary: summary, Language: EventPattern, cis: cis}
	event := func(t *cisTemplate) Event {
		p := t.pairs(account, region)
		e := Event{Name: t.name, memo: &eventMemo{tmpl: t, pairs: p, account: account, region: region}}
		if !lazy {
			e.Body = t.stampBody(account, region, p)
		}
		return e
	}
	for _, t := range set.positives {
		d.Positives = append(d.Positives, event(t))
	}
	for _, g := range set.anyOf {
		group := make([]Event, len(g))
		for i, t := range g {
			group[i] = event(t)
		}
		d.AnyOf = append(d.AnyOf, group)
	}
	for _, t := range set.negatives {
		d.Negatives = append(d.Negatives, event(t))
	}
	return d
}

// verdict judges a pattern against the control once; see the comment at the top.
func (set *cisSet) verdict(patternJSON string) *cisVerdict {
	e, _ := set.verdicts.LoadOrStore(patternJSON, &cisVerdict{})
	cv := e.(*cisVerdict)
	cv.once.Do(func() {
		cv.p, cv.err = eventpattern.Parse(patternJSON)
		if cv.err != nil {
			return
		}
		cv.invariant = true
	paths:
		for _, path := range cv.p.LeafPaths() {
			for _, t := range set.all() {
				if t.variant[path] {
					cv.invariant = false
					break paths
				}
			}
		}
		if cv.invariant {
			cv.v, cv.vErr = set.template.evaluate(matchWith(cv.p))
			cv.v.text = cv.v.String()
		}
	})
	return cv
}

func (set *cisSet) all() []*cisTemplate {
	out := append([]*cisTemplate{}, set.positives...)
	for _, g := range set.anyOf {
		out = append(out, g...)
	}
	return append(out, set.negatives...)
}

func matchWith(p *eventpattern.Pattern) func(Event) (bool, error) {
	return func(e Event) (bool, error) {
		ev, err := e.Decoded()
		if err != nil {
			return false, err
		}
		return p.MatchEvent(ev), nil
	}
}

// clone copies a remembered verdict for a caller, who may change its lists; its text is
// shared (a string cannot be changed).
func (v Verdict) clone() Verdict {
	v.MissedPositives = append([]string(nil), v.MissedPositives...)
	v.MatchedNegatives = append([]string(nil), v.MatchedNegatives...)
	return v
}
