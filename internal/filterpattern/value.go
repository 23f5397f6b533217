package filterpattern

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lookout-audit/lookout/internal/wildcard"
)

// glob is a string with '*' wildcards, pre-split on the unescaped stars so that matching is a
// linear scan (no backtracking blow-up on patterns like "*a*a*a*").
type glob struct {
	parts []string // literal pieces between stars; len(parts) == stars+1
}

func (g glob) hasStar() bool { return len(g.parts) > 1 }

// literal is the text the glob was built from, with stars re-escaped where they were literal.
func (g glob) String() string {
	esc := make([]string, len(g.parts))
	for i, p := range g.parts {
		esc[i] = strings.ReplaceAll(p, "*", `\*`)
	}
	return strings.Join(esc, "*")
}

func (g glob) match(s string) bool { return wildcard.Match(g.parts, s) }

// globBuilder accumulates characters, turning unescaped '*' into part boundaries.
type globBuilder struct {
	parts []string
	cur   strings.Builder
}

func (b *globBuilder) literal(c byte) { b.cur.WriteByte(c) }
func (b *globBuilder) star() {
	b.parts = append(b.parts, b.cur.String())
	b.cur.Reset()
}
func (b *globBuilder) done() glob { return glob{parts: append(b.parts, b.cur.String())} }

type valueKind int

const (
	valGlob   valueKind = iota // string compared exactly, '*' is a wildcard
	valNumber                  // number: numeric comparison
	valRegex                   // %regex%
)

// value is the right-hand side of a comparison.
type value struct {
	kind   valueKind
	quoted bool // written in double quotes (kept so String() round-trips the spelling)
	glob   glob
	num    float64
	text   string // number as written, or regex source
	re     *regexp.Regexp
}

func (v value) String() string {
	switch v.kind {
	case valNumber:
		return v.text
	case valRegex:
		return "%" + v.text + "%"
	}
	if v.quoted || !isBareGlob(v.glob) {
		var b strings.Builder
		b.WriteByte('"')
		for i, p := range v.glob.parts {
			if i > 0 {
				b.WriteByte('*')
			}
			q := quote(p, true)
			b.WriteString(q[1 : len(q)-1])
		}
		b.WriteByte('"')
		return b.String()
	}
	return v.glob.String()
}

// isBareGlob reports whether an unquoted spelling of g would be read back as the same glob.
func isBareGlob(g glob) bool {
	s := strings.Join(g.parts, "")
	if s == "" && !g.hasStar() {
		return false
	}
	if _, isNum := parseNumber(g.String()); isNum {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBareValueByte(s[i]) {
			return false
		}
	}
	return true
}

// isBareValueByte: bytes allowed in an unquoted value. Structural characters of both JSON and
// space-delimited patterns end a bare value.
func isBareValueByte(c byte) bool {
	switch c {
	case '"', '(', ')', '&', '|', '{', '}', '[', ']', ',', '%', '\\', '=', '!', '<', '>':
		return false
	}
	return !isSpace(c) && c >= 0x20 && c != 0x7f
}

// equalsText reports whether the value's = comparison holds for a textual field value.
func (v value) equalsText(s string) bool {
	switch v.kind {
	case valGlob:
		return v.glob.match(s)
	case valRegex:
		return v.re.MatchString(s)
	}
	n, ok := parseNumber(s)
	return ok && n == v.num
}

// parseNumber accepts the decimal spellings filter patterns use: optional '-', digits, optional
// fraction, optional exponent. Hex, "Inf" and "NaN", which strconv would take, are strings here.
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil { // out of range
		return 0, false
	}
	return f, true
}

// parseQuoted reads a double-quoted string starting at s[i] == '"'. Backslash escapes the next
// byte (so \" is a quote and \* a literal star); an unescaped '*' is a wildcard when wild is
// true. It returns the glob and the index just past the closing quote.
func parseQuoted(s string, i int, wild bool) (glob, int, error) {
	open := i
	i++
	var b globBuilder
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return glob{}, 0, errAt(i, "backslash at end of pattern")
			}
			b.literal(s[i+1])
			i += 2
			continue
		case c == '"':
			return b.done(), i + 1, nil
		case c == '*' && wild:
			b.star()
		default:
			b.literal(c)
		}
		i++
	}
	return glob{}, 0, errAt(open, "unterminated quoted string")
}

// parseRegex reads %regex% starting at s[i] == '%'. The supported subset is the one the
// CloudWatch Logs guide lists: letters, digits, the symbols _ # = @ / ; , - : and space, and
// the operators ^ $ ? [ ] { } | \ * + . — no parentheses, no multi-byte characters. Matching is
// an unanchored search (use ^ and $ to anchor), as with the guide's %AUTHORIZED% example that
// matches "UNAUTHORIZED REQUEST".
func parseRegex(s string, i int) (value, int, error) {
	open := i
	i++
	start := i
	for i < len(s) && s[i] != '%' {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return value{}, 0, errAt(i, "multi-byte characters are not supported in a %%regex%%")
		case c == '(' || c == ')':
			return value{}, 0, errAt(i, "parentheses are not supported in a %%regex%%")
		case c == '\\':
			if i+1 < len(s) && s[i+1] != '%' {
				i += 2
				continue
			}
		case isAlnum(c) || strings.IndexByte("_#=@/;,-: ^$?[]{}|*+.", c) >= 0:
		default:
			return value{}, 0, errAt(i, "character %q is not supported in a %%regex%%", c)
		}
		i++
	}
	if i >= len(s) {
		return value{}, 0, errAt(open, "unterminated %%regex%% (no closing %%)")
	}
	src := s[start:i]
	if src == "" {
		return value{}, 0, errAt(open, "empty %%regex%%")
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return value{}, 0, errAt(start, "invalid regex: %v", err)
	}
	return value{kind: valRegex, text: src, re: re}, i + 1, nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseValue reads the right-hand side of a comparison at s[i]: "quoted", %regex%, a number,
// or a bare string such as 123.123.* or 4*.
// parseOperand reads the value on the right of comparison op, after the white space at
// s[*pos:], and moves *pos past it, for JSON and space-delimited patterns alike: it counts
// %regex% values against the pattern's limit (*regexes) and requires a number after <, <=, >
// and >=.
func parseOperand(s string, pos *int, op condOp, regexes *int) (value, error) {
	i := skipSpace(s, *pos)
	v, end, err := parseValue(s, i)
	if err != nil {
		return value{}, err
	}
	if v.kind == valRegex {
		*regexes++
		if *regexes > maxRegexes {
			return value{}, errAt(i, "at most %d %%regex%% values are allowed in one pattern", maxRegexes)
		}
	}
	switch op {
	case opLt, opLe, opGt, opGe:
		if v.kind != valNumber {
			return value{}, errAt(i, "%s needs a number on its right, found %s", opText[op], foundAt(s, i))
		}
	}
	*pos = end
	return v, nil
}

// foundAt quotes the few characters at s[i:] for an error message.
func foundAt(s string, i int) string {
	if i >= len(s) {
		return "end of pattern"
	}
	end := i + 1
	for end < len(s) && end < i+12 && !isSpace(s[end]) {
		end++
	}
	return strconv.Quote(s[i:end])
}

func parseValue(s string, i int) (value, int, error) {
	if i >= len(s) {
		return value{}, 0, errAt(i, "expected a value, found end of pattern")
	}
	switch s[i] {
	case '"':
		g, end, err := parseQuoted(s, i, true)
		if err != nil {
			return value{}, 0, err
		}
		return value{kind: valGlob, quoted: true, glob: g}, end, nil
	case '%':
		return parseRegex(s, i)
	}
	start := i
	for i < len(s) && isBareValueByte(s[i]) {
		i++
	}
	if i == start {
		return value{}, 0, errAt(i, "expected a value, found %q", s[i])
	}
	tok := s[start:i]
	if n, ok := parseNumber(tok); ok {
		return value{kind: valNumber, num: n, text: tok}, i, nil
	}
	var b globBuilder
	for j := 0; j < len(tok); j++ {
		if tok[j] == '*' {
			b.star()
		} else {
			b.literal(tok[j])
		}
	}
	return value{kind: valGlob, glob: b.done()}, i, nil
}
