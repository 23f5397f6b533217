package eventpattern

import (
	"encoding/json"
	"strings"
)

// PathSep joins the keys of a path in LeafPaths and Event.StringLeaves. It cannot occur in a
// key of a decoded event or pattern that matters (keys are JSON text; a NUL in one is allowed
// but never seen in EventBridge events).
const PathSep = "\x00"

// LeafPaths lists the paths of the event that the pattern's leaf filters read: the keys from
// the envelope's root joined by PathSep (an array in the event is transparent: its elements
// are found at the array's own path), each once, in no particular order. A pattern reads
// nothing else of an event but the shape on the way there: two events with the same keys and
// arrays whose scalar values differ only at paths not listed match it alike.
func (p *Pattern) LeafPaths() []string {
	seen := map[string]bool{}
	var out []string
	var walk func(o *object, path string)
	walk = func(o *object, path string) {
		for _, f := range o.fields {
			fp := f.key
			if path != "" {
				fp = path + PathSep + f.key
			}
			if f.sub != nil {
				walk(f.sub, fp)
				continue
			}
			if !seen[fp] {
				seen[fp] = true
				out = append(out, fp)
			}
		}
		// An $or alternative reads the same level as the object that holds it.
		for _, alts := range o.ors {
			for _, alt := range alts {
				walk(alt, path)
			}
		}
	}
	walk(p.root, "")
	return out
}

// LeafKind says what StringLeaves found.
type LeafKind int

const (
	KeyLeaf    LeafKind = iota + 1 // an object key (path is the object's)
	StringLeaf                     // a string value
	NumberLeaf                     // a number value, as its JSON literal
)

// StringLeaves calls fn for every key, string value and number value of the event, with its
// path as LeafPaths spells it.
func (e *Event) StringLeaves(fn func(path, value string, kind LeafKind)) {
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				fn(path, k, KeyLeaf)
				cp := k
				if path != "" {
					cp = path + PathSep + k
				}
				walk(c, cp)
			}
		case []any:
			for _, c := range x {
				walk(c, path)
			}
		case string:
			fn(path, x, StringLeaf)
		case json.Number:
			fn(path, string(x), NumberLeaf)
		}
	}
	walk(e.v, "")
}

// ReplaceStrings returns the event with replacements applied to every string value: for each
// pair (pairs[i], pairs[i+1]) in turn, every occurrence of the first is replaced by the
// second, as strings.ReplaceAll does. Keys and
// numbers are left as they are. The parts of the event no replacement touches are shared with
// e, which is not changed (an Event is only ever read).
func (e *Event) ReplaceStrings(pairs []string) *Event {
	if len(pairs) == 0 {
		return e
	}
	v, _ := replaceIn(e.v, pairs)
	return &Event{v: v}
}

func replaceIn(v any, pairs []string) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		var out map[string]any
		for k, c := range x {
			nc, changed := replaceIn(c, pairs)
			if !changed {
				continue
			}
			if out == nil {
				out = make(map[string]any, len(x))
				for k2, c2 := range x {
					out[k2] = c2
				}
			}
			out[k] = nc
		}
		if out == nil {
			return v, false
		}
		return out, true
	case []any:
		var out []any
		for i, c := range x {
			nc, changed := replaceIn(c, pairs)
			if !changed {
				continue
			}
			if out == nil {
				out = append([]any(nil), x...)
			}
			out[i] = nc
		}
		if out == nil {
			return v, false
		}
		return out, true
	case string:
		s := x
		for i := 0; i+1 < len(pairs); i += 2 {
			if strings.Contains(s, pairs[i]) {
				s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
			}
		}
		if s == x {
			return v, false
		}
		return s, true
	}
	return v, false
}

// Lookup returns the value at path (object keys from the root, no array crossed) as decoded
// (string, json.Number, bool, nil, map[string]any or []any), and whether the path exists.
// With no path it returns the root object. The value is the event's own: it must not be
// changed.
func (e *Event) Lookup(path ...string) (any, bool) {
	v := e.v
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// ReplaceValue is ReplaceStrings for one value Lookup returned: its strings (every string
// below it, for an object or array) with the pairs replaced in order; parts no replacement
// touches are shared.
func ReplaceValue(v any, pairs []string) any {
	if len(pairs) == 0 {
		return v
	}
	out, _ := replaceIn(v, pairs)
	return out
}
