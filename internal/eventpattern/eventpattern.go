// Package eventpattern parses Amazon EventBridge event patterns and matches them against events
// (the full envelope: version, id, detail-type, source, account, time, region, resources,
// detail), offline, as events:TestEventPattern does.
//
// Why: the checks must judge whether a rule really fires on root console sign-in or on
// StopLogging. Comparing rule text fails on harmless differences (key order, an extra field,
// both detail-type spellings) and accepts dangerous ones (no "source", so a custom event with
// the same detail also triggers the remediation). Package detection runs each rule over
// positive and negative events instead.
//
// Semantics implemented, per "Amazon EventBridge event patterns" and "Content filtering":
//   - Every field named in the pattern must match (AND); a leaf's array is a list of
//     alternatives (OR); "$or" lists alternative sub-patterns at its level.
//   - Values are matched exactly and case-sensitively: strings with strings, numbers
//     numerically with numbers (300 matches 300.0), true/false, null with null.
//   - Arrays in the event are flattened: a leaf matches when any element at that path does.
//   - Content filters: prefix, suffix (each also with equals-ignore-case), anything-but (a
//     value, a list, or prefix / suffix / wildcard / equals-ignore-case inside it), numeric
//     (one "=" or up to two bounds), exists, equals-ignore-case, wildcard, cidr.
//   - exists applies to leaves only: an object at the path counts as absent, because
//     EventBridge documents that exists does not work on intermediate nodes.
//   - Every other filter needs the field present: anything-but does not match an absent field.
//
// Parse rejects malformed patterns with an error naming the path of the bad part, e.g.
// `event pattern: detail.state: "numeric" needs an array`; no input makes Parse or Match panic.
package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/lookout-audit/lookout/internal/wildcard"
)

// MaxPatternBytes bounds the pattern size Parse accepts. EventBridge's own limit is smaller;
// this one only keeps hostile input from costing time or memory.
const MaxPatternBytes = 64 << 10

// maxDepth bounds object nesting (including $or) in a pattern.
const maxDepth = 32

// Pattern is a parsed event pattern. It is immutable and safe for concurrent use.
type Pattern struct {
	src  string
	root *object
}

// object is a pattern object: all fields must match, and each $or group must have one
// matching alternative.
type object struct {
	fields []*field
	ors    [][]*object
}

// field is one key of a pattern object: either a nested object or a leaf list of matchers.
type field struct {
	key      string
	sub      *object
	matchers []matcher
}

// Parse parses an event pattern given as JSON text.
func Parse(patternJSON string) (*Pattern, error) {
	if len(patternJSON) > MaxPatternBytes {
		return nil, fmt.Errorf("event pattern: %d bytes is too long (at most %d)", len(patternJSON), MaxPatternBytes)
	}
	v, err := decodeOrdered([]byte(patternJSON))
	if err != nil {
		return nil, fmt.Errorf("event pattern: not valid JSON: %w", err)
	}
	obj, ok := v.(ordered)
	if !ok {
		return nil, fmt.Errorf("event pattern: must be a JSON object, e.g. {\"source\": [\"aws.ec2\"]}")
	}
	root, err := parseObject(obj, "", 0)
	if err != nil {
		return nil, err
	}
	return &Pattern{src: patternJSON, root: root}, nil
}

// String returns the pattern text as given.
func (p *Pattern) String() string { return p.src }

// Match reports whether the event matches. The error is non-nil only when event is not a
// JSON object.
func (p *Pattern) Match(event []byte) (bool, error) {
	e, err := DecodeEvent(event)
	if err != nil {
		return false, err
	}
	return p.MatchEvent(e), nil
}

// Event is an event decoded once for matching many patterns. Matching only reads it, so one
// Event may be matched concurrently.
type Event struct{ v any }

// DecodeEvent decodes an event; the error is non-nil when it is not one JSON object.
func DecodeEvent(event []byte) (*Event, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("event: not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("event: unexpected data after the JSON object")
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("event: must be a JSON object")
	}
	return &Event{v: v}, nil
}

// MatchEvent is Match for a decoded event.
func (p *Pattern) MatchEvent(e *Event) bool {
	return p.root.match([]any{e.v})
}

// match evaluates o against the candidate nodes at its level (more than one when an array in
// the event was flattened on the way here).
func (o *object) match(nodes []any) bool {
	for _, f := range o.fields {
		children := childValues(nodes, f.key)
		if f.sub != nil {
			if !f.sub.match(children) {
				return false
			}
			continue
		}
		if !matchLeaf(f.matchers, children) {
			return false
		}
	}
	for _, alts := range o.ors {
		found := false
		for _, alt := range alts {
			if alt.match(nodes) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// childValues collects node[key] over all candidate nodes, flattening arrays (nested arrays
// too) into their elements.
func childValues(nodes []any, key string) []any {
	var out []any
	for _, n := range nodes {
		m, ok := n.(map[string]any)
		if !ok {
			continue
		}
		v, ok := m[key]
		if !ok {
			continue
		}
		out = flatten(out, v, 0)
	}
	return out
}

func flatten(out []any, v any, depth int) []any {
	if arr, ok := v.([]any); ok && depth < 64 {
		for _, e := range arr {
			out = flatten(out, e, depth+1)
		}
		return out
	}
	return append(out, v)
}

func matchLeaf(ms []matcher, values []any) bool {
	var leaves []any
	for _, v := range values {
		switch v.(type) {
		case map[string]any, []any:
			// Not a leaf: content filters see only scalar values.
		default:
			leaves = append(leaves, v)
		}
	}
	for _, m := range ms {
		if e, ok := m.(existsMatcher); ok {
			if bool(e) == (len(leaves) > 0) {
				return true
			}
			continue
		}
		for _, v := range leaves {
			if m.match(v) {
				return true
			}
		}
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func errorf(path, format string, args ...any) error {
	if path == "" {
		return fmt.Errorf("event pattern: "+format, args...)
	}
	return fmt.Errorf("event pattern: %s: "+format, append([]any{path}, args...)...)
}

func parseObject(obj ordered, path string, depth int) (*object, error) {
	if depth > maxDepth {
		return nil, errorf(path, "nested more than %d levels deep", maxDepth)
	}
	if len(obj) == 0 {
		if path == "" {
			return nil, errorf(path, "is empty; an empty pattern is not accepted by EventBridge")
		}
		return nil, errorf(path, "empty object matches nothing")
	}
	o := &object{}
	seen := map[string]bool{}
	for _, kv := range obj {
		if seen[kv.key] {
			return nil, errorf(join(path, kv.key), "key appears twice")
		}
		seen[kv.key] = true
		p := join(path, kv.key)
		if kv.key == "$or" {
			arr, ok := kv.val.([]any)
			if !ok || len(arr) < 2 {
				return nil, errorf(p, "needs an array of at least two alternative patterns")
			}
			var alts []*object
			for i, a := range arr {
				ap := fmt.Sprintf("%s[%d]", p, i)
				ao, ok := a.(ordered)
				if !ok {
					return nil, errorf(ap, "each $or alternative must be an object")
				}
				alt, err := parseObject(ao, ap, depth+1)
				if err != nil {
					return nil, err
				}
				alts = append(alts, alt)
			}
			o.ors = append(o.ors, alts)
			continue
		}
		switch v := kv.val.(type) {
		case ordered:
			sub, err := parseObject(v, p, depth+1)
			if err != nil {
				return nil, err
			}
			o.fields = append(o.fields, &field{key: kv.key, sub: sub})
		case []any:
			if len(v) == 0 {
				return nil, errorf(p, "empty array matches nothing; list at least one value")
			}
			f := &field{key: kv.key}
			for i, item := range v {
				ip := p
				if len(v) > 1 {
					ip = fmt.Sprintf("%s[%d]", p, i)
				}
				m, err := parseMatcher(item, ip)
				if err != nil {
					return nil, err
				}
				f.matchers = append(f.matchers, m)
			}
			o.fields = append(o.fields, f)
		default:
			return nil, errorf(p, "value must be an array of alternatives or an object, e.g. %q: [%s]", kv.key, render(v))
		}
	}
	return o, nil
}

func render(v any) string {
	b, err := json.Marshal(plain(v))
	if err != nil {
		return "..."
	}
	return string(b)
}

// matcher is one alternative of a leaf.
type matcher interface {
	match(v any) bool
}

type exactString string
type exactNumber float64
type exactBool bool
type exactNull struct{}
type existsMatcher bool
type prefixMatcher struct {
	s          string
	ignoreCase bool
}
type suffixMatcher struct {
	s          string
	ignoreCase bool
}
type ignoreCaseMatcher string
type wildcardMatcher struct{ parts []string }
type cidrMatcher struct{ prefix netip.Prefix }
type numericMatcher struct {
	eq, hasEq      bool
	eqVal          float64
	lo, hi         float64
	hasLo, hasHi   bool
	loIncl, hiIncl bool
}
type anythingBut struct{ inner []matcher }

func (m exactString) match(v any) bool { s, ok := v.(string); return ok && s == string(m) }
func (m exactNumber) match(v any) bool {
	f, ok := number(v)
	return ok && f == float64(m)
}
func (m exactBool) match(v any) bool     { b, ok := v.(bool); return ok && b == bool(m) }
func (exactNull) match(v any) bool       { return v == nil }
func (m existsMatcher) match(v any) bool { return bool(m) } // handled in matchLeaf
func (m prefixMatcher) match(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < len(m.s) {
		return false
	}
	if m.ignoreCase {
		return strings.EqualFold(s[:len(m.s)], m.s)
	}
	return strings.HasPrefix(s, m.s)
}
func (m suffixMatcher) match(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < len(m.s) {
		return false
	}
	if m.ignoreCase {
		return strings.EqualFold(s[len(s)-len(m.s):], m.s)
	}
	return strings.HasSuffix(s, m.s)
}
func (m ignoreCaseMatcher) match(v any) bool {
	s, ok := v.(string)
	return ok && strings.EqualFold(s, string(m))
}
func (m wildcardMatcher) match(v any) bool {
	s, ok := v.(string)
	return ok && wildcard.Match(m.parts, s)
}
func (m cidrMatcher) match(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && m.prefix.Contains(a.Unmap())
}
func (m numericMatcher) match(v any) bool {
	f, ok := number(v)
	if !ok {
		return false
	}
	if m.hasEq {
		return f == m.eqVal
	}
	if m.hasLo && (f < m.lo || (f == m.lo && !m.loIncl)) {
		return false
	}
	if m.hasHi && (f > m.hi || (f == m.hi && !m.hiIncl)) {
		return false
	}
	return true
}

// anything-but matches a present leaf that none of its inner matchers match.
func (m anythingBut) match(v any) bool {
	for _, in := range m.inner {
		if in.match(v) {
			return false
		}
	}
	return true
}

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func parseMatcher(item any, path string) (matcher, error) {
	switch v := item.(type) {
	case string:
		return exactString(v), nil
	case json.Number:
		f, ok := number(v)
		if !ok {
			return nil, errorf(path, "number %s is out of range", v)
		}
		return exactNumber(f), nil
	case bool:
		return exactBool(v), nil
	case nil:
		return exactNull{}, nil
	case []any:
		return nil, errorf(path, "nested arrays are not allowed in a pattern")
	case ordered:
		return parseFilter(v, path)
	}
	return nil, errorf(path, "unsupported value")
}

// filterNames are the content filters, in the order error messages list them.
var filterNames = []string{"anything-but", "cidr", "equals-ignore-case", "exists", "numeric", "prefix", "suffix", "wildcard"}

func parseFilter(obj ordered, path string) (matcher, error) {
	if len(obj) != 1 {
		keys := make([]string, len(obj))
		for i, kv := range obj {
			keys[i] = strconv.Quote(kv.key)
		}
		return nil, errorf(path, "a content filter object has exactly one key (one of %s), found %d: %s",
			strings.Join(filterNames, ", "), len(obj), strings.Join(keys, ", "))
	}
	name, val := obj[0].key, obj[0].val
	switch name {
	case "prefix", "suffix":
		s, ic, err := stringOrIgnoreCase(val, path, name)
		if err != nil {
			return nil, err
		}
		if name == "prefix" {
			return prefixMatcher{s: s, ignoreCase: ic}, nil
		}
		return suffixMatcher{s: s, ignoreCase: ic}, nil
	case "equals-ignore-case", "wildcard":
		s, ok := val.(string)
		if !ok {
			return nil, errorf(path, "%q needs a string", name)
		}
		if name == "wildcard" {
			return parseWildcard(s, path)
		}
		return ignoreCaseMatcher(s), nil
	case "exists":
		b, ok := val.(bool)
		if !ok {
			return nil, errorf(path, "%q needs true or false", name)
		}
		return existsMatcher(b), nil
	case "cidr":
		s, ok := val.(string)
		if !ok {
			return nil, errorf(path, "%q needs a string such as \"10.0.0.0/24\"", name)
		}
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, errorf(path, "%q: %q is not a CIDR block", name, s)
		}
		return cidrMatcher{prefix: pfx.Masked()}, nil
	case "numeric":
		return parseNumeric(val, path)
	case "anything-but":
		return parseAnythingBut(val, path)
	}
	return nil, errorf(path, "unknown content filter %q (known: %s)", name, strings.Join(filterNames, ", "))
}

func stringOrIgnoreCase(val any, path, name string) (string, bool, error) {
	switch v := val.(type) {
	case string:
		return v, false, nil
	case ordered:
		if len(v) == 1 && v[0].key == "equals-ignore-case" {
			if s, ok := v[0].val.(string); ok {
				return s, true, nil
			}
		}
	}
	return "", false, errorf(path, "%q needs a string or {\"equals-ignore-case\": \"...\"}", name)
}

// parseWildcard splits on unescaped '*'; "\*" is a literal star and "\\" a backslash.
func parseWildcard(s, path string) (matcher, error) {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return nil, errorf(path, "\"wildcard\": a backslash must escape \"*\" or \"\\\\\"")
			}
			cur.WriteByte(s[i+1])
			i++
		case '*':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return wildcardMatcher{parts: append(parts, cur.String())}, nil
}

func parseNumeric(val any, path string) (matcher, error) {
	arr, ok := val.([]any)
	if !ok {
		return nil, errorf(path, "\"numeric\" needs an array, e.g. [\">\", 0, \"<=\", 5]")
	}
	if len(arr) == 0 || len(arr)%2 != 0 || len(arr) > 4 {
		return nil, errorf(path, "\"numeric\" needs one or two operator/number pairs, e.g. [\">\", 0, \"<=\", 5]")
	}
	var m numericMatcher
	for i := 0; i < len(arr); i += 2 {
		op, ok := arr[i].(string)
		if !ok {
			return nil, errorf(path, "\"numeric\": element %d must be an operator (=, <, <=, >, >=)", i)
		}
		num, ok := arr[i+1].(json.Number)
		if !ok {
			return nil, errorf(path, "\"numeric\": %q must be followed by a number", op)
		}
		f, ok := number(num)
		if !ok {
			return nil, errorf(path, "\"numeric\": %s is out of range", num)
		}
		switch op {
		case "=":
			if len(arr) != 2 {
				return nil, errorf(path, "\"numeric\": \"=\" cannot be combined with other operators")
			}
			m.hasEq, m.eqVal = true, f
		case ">", ">=":
			if m.hasLo {
				return nil, errorf(path, "\"numeric\": two lower bounds")
			}
			m.hasLo, m.lo, m.loIncl = true, f, op == ">="
		case "<", "<=":
			if m.hasHi {
				return nil, errorf(path, "\"numeric\": two upper bounds")
			}
			m.hasHi, m.hi, m.hiIncl = true, f, op == "<="
		default:
			return nil, errorf(path, "\"numeric\": unknown operator %q (use =, <, <=, >, >=)", op)
		}
	}
	if m.hasLo && m.hasHi && (m.lo > m.hi) {
		return nil, errorf(path, "\"numeric\": empty range")
	}
	return m, nil
}

func parseAnythingBut(val any, path string) (matcher, error) {
	scalar := func(v any) (matcher, bool) {
		switch x := v.(type) {
		case string:
			return exactString(x), true
		case json.Number:
			f, ok := number(x)
			return exactNumber(f), ok
		case bool:
			return exactBool(x), true
		case nil:
			return exactNull{}, true
		}
		return nil, false
	}
	if m, ok := scalar(val); ok {
		return anythingBut{inner: []matcher{m}}, nil
	}
	switch v := val.(type) {
	case []any:
		if len(v) == 0 {
			return nil, errorf(path, "\"anything-but\" needs at least one value")
		}
		var inner []matcher
		for _, e := range v {
			m, ok := scalar(e)
			if !ok {
				return nil, errorf(path, "\"anything-but\" lists only strings or numbers")
			}
			inner = append(inner, m)
		}
		return anythingBut{inner: inner}, nil
	case ordered:
		if len(v) != 1 {
			return nil, errorf(path, "\"anything-but\" object has exactly one key: prefix, suffix, wildcard or equals-ignore-case")
		}
		name := v[0].key
		var values []any
		switch x := v[0].val.(type) {
		case string:
			values = []any{x}
		case []any:
			values = x
		default:
			return nil, errorf(path, "\"anything-but\": %q needs a string or an array of strings", name)
		}
		if len(values) == 0 {
			return nil, errorf(path, "\"anything-but\": %q needs at least one string", name)
		}
		var inner []matcher
		for _, e := range values {
			s, ok := e.(string)
			if !ok {
				return nil, errorf(path, "\"anything-but\": %q needs strings", name)
			}
			switch name {
			case "prefix":
				inner = append(inner, prefixMatcher{s: s})
			case "suffix":
				inner = append(inner, suffixMatcher{s: s})
			case "equals-ignore-case":
				inner = append(inner, ignoreCaseMatcher(s))
			case "wildcard":
				w, err := parseWildcard(s, path)
				if err != nil {
					return nil, err
				}
				inner = append(inner, w)
			default:
				return nil, errorf(path, "\"anything-but\" does not support %q (use prefix, suffix, wildcard or equals-ignore-case)", name)
			}
		}
		return anythingBut{inner: inner}, nil
	}
	return nil, errorf(path, "\"anything-but\" needs a value, an array of values, or an object")
}

// ordered is a JSON object that keeps key order and duplicates, so errors can name them.
type ordered []kv

type kv struct {
	key string
	val any
}

// plain converts ordered objects back to maps for rendering in error messages.
func plain(v any) any {
	switch x := v.(type) {
	case ordered:
		m := map[string]any{}
		for _, e := range x {
			m[e.key] = plain(e.val)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// decodeOrdered parses one JSON document with numbers as json.Number and objects as ordered.
func decodeOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > 2*maxDepth+8 {
		return nil, fmt.Errorf("nested more than %d levels deep", 2*maxDepth+8)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("unexpected end of input")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var obj ordered
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				val, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj = append(obj, kv{key: key, val: val})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if obj == nil {
				obj = ordered{}
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				val, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %q", t)
	}
	return tok, nil
}

// Fields lists the dotted paths the pattern tests, sorted; useful in reports ("the rule
// checks source, detail-type, detail.eventName").
func (p *Pattern) Fields() []string {
	set := map[string]bool{}
	var walk func(o *object, path string)
	walk = func(o *object, path string) {
		for _, f := range o.fields {
			if f.sub != nil {
				walk(f.sub, join(path, f.key))
			} else {
				set[join(path, f.key)] = true
			}
		}
		for _, alts := range o.ors {
			for _, a := range alts {
				walk(a, path)
			}
		}
	}
	walk(p.root, "")
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ExactStrings is the set of values the pattern requires at path (keys from the root, outside
// any $or) when it requires one of a list of exact strings there ({"source": ["aws.ec2"]});
// ok is false, and the set nil, when the pattern leaves the field open or tests it any other
// way (prefix, wildcard, anything-but, numbers...). It lets a caller skip events that cannot
// match, as an index would; it never decides a match by itself.
func (p *Pattern) ExactStrings(path ...string) (set map[string]bool, ok bool) {
	o := p.root
	for i, key := range path {
		var f *field
		for _, c := range o.fields {
			if c.key == key {
				f = c
			}
		}
		switch {
		case f == nil:
			return nil, false
		case i < len(path)-1:
			if f.sub == nil {
				return nil, false
			}
			o = f.sub
			continue
		case f.sub != nil || len(f.matchers) == 0:
			return nil, false
		}
		set = make(map[string]bool, len(f.matchers))
		for _, m := range f.matchers {
			s, isExact := m.(exactString)
			if !isExact {
				return nil, false
			}
			set[string(s)] = true
		}
	}
	return set, set != nil
}

// EventOf wraps a document already decoded (as DecodeEvent decodes: objects as
// map[string]any, numbers as json.Number) as an Event, so that a caller matching many
// variants of one event can set a few fields of one template instead of decoding each. The
// document must not change while the Event is matched.
func EventOf(doc map[string]any) *Event { return &Event{v: doc} }
