package iampolicy

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// tok is one pattern character: a literal rune, "*" (any run of characters) or "?" (any one
// character). Keeping wildcards apart from literals lets a "*" that came from ${*} or from a
// substituted policy variable stay literal.
type tok struct {
	kind tokKind
	r    rune
}

type tokKind uint8

const (
	litTok tokKind = iota
	starTok
	oneTok
)

// template is a compiled policy string: fixed tokens and policy-variable references.
type template struct {
	raw   string
	parts []part
	flat  []tok // all tokens when there are no variables
}

// part is a run of fixed tokens or one policy variable ${key} or ${key, 'default'}.
type part struct {
	toks   []tok
	isVar  bool
	key    string
	def    string
	hasDef bool
}

// compile turns a policy string into a template. wild makes "*" and "?" wildcards. vars
// recognises policy variables, per "IAM policy elements: Variables and tags": only under
// Version 2012-10-17 (under 2008-10-17 "${aws:username}" is literal text), only in Resource and
// in the values of string and ARN condition operators. ${*}, ${?} and ${$} stand for a literal
// "*", "?" and "$". A "${" with no closing "}" is literal text.
//
// The page allows variables in a Resource ARN only after the fifth colon; this evaluator
// substitutes them wherever they appear, which only matters for policies IAM would refuse.
func compile(s string, wild, vars bool) template {
	t := template{raw: s}
	var cur []tok
	flush := func() {
		if len(cur) > 0 {
			t.parts = append(t.parts, part{toks: cur})
			cur = nil
		}
	}
	for i := 0; i < len(s); {
		if vars && strings.HasPrefix(s[i:], "${") {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 {
				inner := s[i+2 : i+2+end]
				i += end + 3
				switch inner {
				case "*", "?", "$":
					cur = append(cur, tok{kind: litTok, r: rune(inner[0])})
				default:
					flush()
					t.parts = append(t.parts, parseVar(inner))
				}
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case wild && r == '*':
			cur = append(cur, tok{kind: starTok})
		case wild && r == '?':
			cur = append(cur, tok{kind: oneTok})
		default:
			cur = append(cur, tok{kind: litTok, r: r})
		}
	}
	flush()
	if len(t.parts) <= 1 && (len(t.parts) == 0 || !t.parts[0].isVar) {
		if len(t.parts) == 1 {
			t.flat = t.parts[0].toks
		}
		t.parts = nil
	}
	return t
}

// parseVar reads the inside of ${...}: a key, optionally followed by ", 'default'".
func parseVar(inner string) part {
	p := part{isVar: true, key: strings.TrimSpace(inner)}
	if i := strings.IndexByte(inner, ','); i >= 0 {
		def := strings.TrimSpace(inner[i+1:])
		if len(def) >= 2 && def[0] == '\'' && def[len(def)-1] == '\'' {
			p.key, p.def, p.hasDef = strings.TrimSpace(inner[:i]), def[1:len(def)-1], true
		}
	}
	return p
}

// hasVars reports whether the template needs the request to be expanded.
func (t template) hasVars() bool { return t.parts != nil }

// expand substitutes the template's policy variables from the request. ok is false when a
// variable cannot be resolved; why then says which.
func (t template) expand(rc *reqCtx) (toks []tok, ok bool, why string) {
	if !t.hasVars() {
		return t.flat, true, ""
	}
	for _, p := range t.parts {
		if !p.isVar {
			toks = append(toks, p.toks...)
			continue
		}
		vals, st := rc.lookup(p.key)
		var val string
		switch {
		case st == keyPresent && len(vals) == 1:
			val = vals[0]
		case st == keyPresent:
			// "Single-valued vs. multivalued context keys": a multivalued key cannot be a variable.
			return nil, false, fmt.Sprintf("policy variable ${%s} names a key with several values", p.key)
		case st == keyAbsent && p.hasDef:
			val = p.def
		case st == keyAbsent:
			return nil, false, fmt.Sprintf("policy variable ${%s} has no value in the request", p.key)
		default:
			return nil, false, fmt.Sprintf("policy variable ${%s} is neither in the request context nor known to be absent", p.key)
		}
		for _, r := range val {
			toks = append(toks, tok{kind: litTok, r: r})
		}
	}
	return toks, true, ""
}

// text renders tokens without wildcards back to a string.
func text(toks []tok) string {
	var b strings.Builder
	for _, t := range toks {
		switch t.kind {
		case starTok:
			b.WriteByte('*')
		case oneTok:
			b.WriteByte('?')
		default:
			b.WriteRune(t.r)
		}
	}
	return b.String()
}

// glob reports whether s matches the pattern, with "*" matching any run of characters and "?"
// any single character. It is the classic greedy two-pointer algorithm: on a mismatch it
// backtracks only to the most recent "*", so the cost is at most len(p)*len(s) steps, never
// exponential.
func glob(p []tok, s string) bool {
	// Fast paths for the common shapes: "*" alone and patterns without wildcards.
	if len(p) == 1 && p[0].kind == starTok {
		return true
	}
	rs := []rune(s)
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(rs) {
		switch {
		case pi < len(p) && p[pi].kind == starTok:
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi].kind == oneTok || p[pi].r == rs[si]):
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].kind == starTok {
		pi++
	}
	return pi == len(p)
}

// arnLike implements ArnLike/ArnEquals, per "IAM JSON policy elements: Condition operators":
// case-sensitive; "each of the six colon-delimited components of the ARN is checked separately
// and each can include multi-character match wildcards (*) or single-character match wildcards
// (?)". The sixth component, the resource, runs to the end of the string, colons included.
// A value that is not a six-component ARN matches nothing. ok is false when the pattern itself
// is not a six-component ARN: IAM does not document that case, so it is left undecided.
func arnLike(p []tok, value string) (match, ok bool) {
	var comps [6][]tok
	n := 0
	for _, t := range p {
		if n < 5 && t.kind == litTok && t.r == ':' {
			n++
			continue
		}
		comps[n] = append(comps[n], t)
	}
	if n < 5 {
		return false, false
	}
	vals := strings.SplitN(value, ":", 6)
	if len(vals) < 6 {
		return false, true
	}
	for i := range comps {
		if !glob(comps[i], vals[i]) {
			return false, true
		}
	}
	return true, true
}
