package filterpattern

import (
	"encoding/json"
	"strconv"
	"strings"
)

// JSON patterns: { <expr> } where
//
//	expr     = and { "||" and }
//	and      = primary { "&&" primary }
//	primary  = "(" expr ")" | selector op value | selector IS (TRUE|FALSE|NULL)
//	         | selector EXISTS | selector NOT EXISTS
//	selector = "$" { "." name | "[" index "]" | "[" "quoted name" "]" }
//	op       = "=" | "!=" | "<" | "<=" | ">" | ">="
//
// && binds tighter than ||, as in every C-like language and in the guide's example
// { ($.user.id = 2 && $.users[0].email = "John.Doe@example.com") || $.actions[2] = "GET" }.
// Keywords (IS, TRUE, FALSE, NULL, EXISTS, NOT) are accepted in any letter case: the guide
// spells them in upper case, and rejecting a spelling AWS might accept would turn a working
// alarm into an ERROR finding, which is worse than accepting one AWS would refuse.

type node interface {
	eval(doc any, fields map[string]string) bool
	String() string
}

type orNode struct{ kids []node }
type andNode struct{ kids []node }

func (n orNode) eval(doc any, f map[string]string) bool {
	return anyHolds(n.kids, func(k node) bool { return k.eval(doc, f) })
}

func (n andNode) eval(doc any, f map[string]string) bool {
	return allHold(n.kids, func(k node) bool { return k.eval(doc, f) })
}

func (n orNode) String() string  { return joinKids(n.kids, " || ", isGroup) }
func (n andNode) String() string { return joinKids(n.kids, " && ", isGroup) }

// isGroup tells the operands that print in parentheses: every && and || of its own.
func isGroup(k node) bool {
	switch k.(type) {
	case orNode, andNode:
		return true
	}
	return false
}

type condOp int

const (
	opEq condOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
	opIsTrue
	opIsFalse
	opIsNull
	opExists
	opNotExists
)

var opText = map[condOp]string{
	opEq: "=", opNe: "!=", opLt: "<", opLe: "<=", opGt: ">", opGe: ">=",
	opIsTrue: "IS TRUE", opIsFalse: "IS FALSE", opIsNull: "IS NULL",
	opExists: "EXISTS", opNotExists: "NOT EXISTS",
}

// comparisonAt reads a comparison operator at the start of rest, longest first: the operator
// and how many bytes it takes, or ok false. JSON and space-delimited patterns share them.
func comparisonAt(rest string) (op condOp, width int, ok bool) {
	for _, c := range []struct {
		text string
		op   condOp
	}{{"!=", opNe}, {"<=", opLe}, {">=", opGe}, {"=", opEq}, {"<", opLt}, {">", opGt}} {
		if strings.HasPrefix(rest, c.text) {
			return c.op, len(c.text), true
		}
	}
	return 0, 0, false
}

// cond is one comparison on one selector.
type cond struct {
	sel selector
	op  condOp
	val value
}

func (c cond) String() string {
	switch c.op {
	case opIsTrue, opIsFalse, opIsNull, opExists, opNotExists:
		return c.sel.String() + " " + opText[c.op]
	}
	return c.sel.String() + " " + opText[c.op] + " " + c.val.String()
}

// eval applies AWS's semantics for one condition:
//   - = and != with a string compare strings, case-sensitively, '*' being a wildcard. The
//     guide does not say how a string compares with a JSON number or boolean; here it compares
//     with the value's JSON spelling (so $.x = * matches any scalar, which the guide relies on
//     to extract $.x for a metric value).
//   - = and != with a number, and <, <=, >, >=, compare numerically, only with JSON numbers.
//   - != matches only when the field is present (with a scalar value, null included) and = does
//     not hold: an absent field matches no comparison at all. This is the pitfall behind
//     { $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" } not counting
//     access-key calls that have no sessionContext.
//   - EXISTS matches any present value, null and objects included; NOT EXISTS only absence.
//   - IS TRUE / IS FALSE match JSON booleans only (not the strings "true"/"false"); IS NULL
//     matches JSON null only.
func (c cond) eval(doc any, fields map[string]string) bool {
	v, present := c.sel.lookup(doc)
	text, scalar := scalarText(v)
	ok := false
	switch c.op {
	case opExists:
		ok = present
	case opNotExists:
		ok = !present
	case opIsTrue:
		b, isBool := v.(bool)
		ok = present && isBool && b
	case opIsFalse:
		b, isBool := v.(bool)
		ok = present && isBool && !b
	case opIsNull:
		ok = present && v == nil
	case opEq:
		ok = present && c.equals(v, text, scalar)
	case opNe:
		ok = present && (scalar || v == nil) && !c.equals(v, text, scalar)
	default:
		n, isNum := v.(json.Number)
		if !present || !isNum {
			break
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			break
		}
		switch c.op {
		case opLt:
			ok = f < c.val.num
		case opLe:
			ok = f <= c.val.num
		case opGt:
			ok = f > c.val.num
		case opGe:
			ok = f >= c.val.num
		}
	}
	if present && scalar && fields != nil {
		fields[c.sel.String()] = text
	}
	return ok
}

func (c cond) equals(v any, text string, scalar bool) bool {
	if !scalar {
		return false
	}
	if c.val.kind == valNumber {
		n, isNum := v.(json.Number)
		if !isNum {
			return false
		}
		f, err := strconv.ParseFloat(string(n), 64)
		return err == nil && f == c.val.num
	}
	return c.val.equalsText(text)
}

// scalarText returns the textual form of a JSON string, number or boolean. null, objects and
// arrays have none.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// step is one hop of a selector: an object member or an array index.
type step struct {
	name    string
	index   int
	isIndex bool
}

type selector []step

func (s selector) String() string {
	var b strings.Builder
	b.WriteByte('$')
	for _, st := range s {
		switch {
		case st.isIndex:
			b.WriteString("[" + strconv.Itoa(st.index) + "]")
		case isPlainName(st.name):
			b.WriteString("." + st.name)
		default:
			b.WriteString("[" + quote(st.name, false) + "]")
		}
	}
	return b.String()
}

func (s selector) lookup(doc any) (any, bool) {
	cur := doc
	for _, st := range s {
		if st.isIndex {
			arr, ok := cur.([]any)
			if !ok || st.index >= len(arr) {
				return nil, false
			}
			cur = arr[st.index]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = obj[st.name]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

func isNameByte(c byte) bool {
	return isAlnum(c) || c == '_' || c == '-' || c == '@' || c == ':' || c >= 0x80
}

func isPlainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

// parseSelector reads a selector at s[i] == '$'.
func parseSelector(s string, i int) (selector, int, error) {
	start := i
	i++ // '$'
	var sel selector
	for i < len(s) {
		switch s[i] {
		case '.':
			i++
			if i < len(s) && s[i] == '[' {
				continue // $.['name'] spelling
			}
			j := i
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			if j == i {
				return nil, 0, errAt(i, "expected a property name after \".\" in %s", s[start:i])
			}
			sel = append(sel, step{name: s[i:j]})
			i = j
		case '[':
			j := skipSpace(s, i+1)
			if j < len(s) && (s[j] == '"' || s[j] == '\'') {
				name, end, err := parseNameQuoted(s, j)
				if err != nil {
					return nil, 0, err
				}
				end = skipSpace(s, end)
				if end >= len(s) || s[end] != ']' {
					return nil, 0, errAt(end, "expected \"]\" after quoted property name")
				}
				sel = append(sel, step{name: name})
				i = end + 1
				continue
			}
			k := j
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			if k == j {
				return nil, 0, errAt(j, "expected an array index (a number) or a quoted name after \"[\"")
			}
			idx, err := strconv.Atoi(s[j:k])
			if err != nil || idx > 1<<20 {
				return nil, 0, errAt(j, "array index %s is too large", s[j:k])
			}
			k = skipSpace(s, k)
			if k >= len(s) || s[k] != ']' {
				return nil, 0, errAt(k, "expected \"]\" after array index")
			}
			sel = append(sel, step{index: idx, isIndex: true})
			i = k + 1
		default:
			if len(sel) == 0 {
				return nil, 0, errAt(i, "expected \".\" or \"[\" after \"$\"")
			}
			return sel, i, nil
		}
	}
	if len(sel) == 0 {
		return nil, 0, errAt(i, "expected \".\" or \"[\" after \"$\"")
	}
	return sel, i, nil
}

func parseNameQuoted(s string, i int) (string, int, error) {
	q := s[i]
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		if c == '\\' && j+1 < len(s) {
			b.WriteByte(s[j+1])
			j++
			continue
		}
		if c == q {
			return b.String(), j + 1, nil
		}
		b.WriteByte(c)
	}
	return "", 0, errAt(i, "unterminated quoted property name")
}

// parseSelectorText parses a whole string as a selector (used for metric values).
func parseSelectorText(s string) (selector, error) {
	sel, end, err := parseSelector(s, 0)
	if err != nil {
		return nil, err
	}
	if end != len(s) {
		return nil, errAt(end, "unexpected %q after selector", s[end:])
	}
	return sel, nil
}

type jsonParser struct {
	s       string
	i       int
	depth   int
	regexes int
}

func parseJSONPattern(s string, start int) (node, error) {
	p := &jsonParser{s: s, i: start + 1}
	p.skip()
	if p.i < len(s) && s[p.i] == '}' {
		return nil, errAt(p.i, "empty JSON pattern: expected a condition such as $.eventName = \"ConsoleLogin\"")
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.i >= len(s) {
		return nil, errAt(p.i, "expected \"}\" to close the JSON pattern opened at column %d", start+1)
	}
	if s[p.i] != '}' {
		return nil, errAt(p.i, "expected \"&&\", \"||\" or \"}\", found %s", p.found())
	}
	p.i++
	if end := skipSpace(s, p.i); end != len(s) {
		return nil, errAt(end, "unexpected %s after the closing \"}\"", p.foundAt(end))
	}
	return n, nil
}

func (p *jsonParser) skip() { p.i = skipSpace(p.s, p.i) }

func (p *jsonParser) found() string { return p.foundAt(p.i) }

func (p *jsonParser) foundAt(i int) string { return foundAt(p.s, i) }

func (p *jsonParser) parseOr() (node, error) {
	return operatorChain(p.s, &p.i, "||",
		func(bool) (node, error) { return p.parseAnd() },
		func(kids []node) node { return orNode{kids: kids} })
}

func (p *jsonParser) parseAnd() (node, error) {
	return operatorChain(p.s, &p.i, "&&",
		func(bool) (node, error) { return p.parsePrimary() },
		func(kids []node) node { return andNode{kids: kids} })
}

func (p *jsonParser) parsePrimary() (node, error) {
	p.skip()
	if p.i >= len(p.s) {
		return nil, errAt(p.i, "expected a condition, found end of pattern")
	}
	switch p.s[p.i] {
	case '(':
		open := p.i
		p.depth++
		if p.depth > maxDepth {
			return nil, errAt(p.i, "parentheses nested more than %d deep", maxDepth)
		}
		p.i++
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.skip()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, errAt(p.i, "expected \")\" to close the \"(\" at column %d, found %s", open+1, p.found())
		}
		p.i++
		p.depth--
		// Grouping lives in the tree shape; String() re-adds parentheses where needed.
		return n, nil
	case '$':
		return p.parseCond()
	case '&':
		if strings.HasPrefix(p.s[p.i:], "&&") {
			return nil, errAt(p.i, "expected a condition before \"&&\"")
		}
	}
	return nil, errAt(p.i, "expected a condition starting with \"$.\" or \"(\", found %s", p.found())
}

func (p *jsonParser) parseCond() (node, error) {
	selStart := p.i
	sel, end, err := parseSelector(p.s, p.i)
	if err != nil {
		return nil, err
	}
	p.i = end
	selText := p.s[selStart:end]
	p.skip()
	c := cond{sel: sel}
	rest := p.s[p.i:]
	op, width, isCmp := comparisonAt(rest)
	switch {
	case strings.HasPrefix(rest, "=="):
		return nil, errAt(p.i, "use \"=\", not \"==\", after %s", selText)
	case isCmp:
		c.op, p.i = op, p.i+width
	default:
		kwPos := p.i
		kw := p.word()
		switch strings.ToUpper(kw) {
		case "EXISTS":
			c.op = opExists
			return c, nil
		case "NOT":
			p.skip()
			pos := p.i
			if strings.ToUpper(p.word()) != "EXISTS" {
				return nil, errAt(pos, "expected EXISTS after NOT (in %s NOT EXISTS)", selText)
			}
			c.op = opNotExists
			return c, nil
		case "IS":
			p.skip()
			pos := p.i
			switch strings.ToUpper(p.word()) {
			case "TRUE":
				c.op = opIsTrue
			case "FALSE":
				c.op = opIsFalse
			case "NULL":
				c.op = opIsNull
			default:
				return nil, errAt(pos, "expected TRUE, FALSE or NULL after %s IS", selText)
			}
			return c, nil
		}
		return nil, errAt(kwPos, "expected \"=\", \"!=\", \"<\", \"<=\", \">\", \">=\", IS, EXISTS or NOT EXISTS after %s, found %s", selText, p.foundAt(kwPos))
	}
	v, err := parseOperand(p.s, &p.i, c.op, &p.regexes)
	if err != nil {
		return nil, err
	}
	c.val = v
	return c, nil
}

// word reads a run of letters at the cursor.
func (p *jsonParser) word() string {
	j := p.i
	for j < len(p.s) && (p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= 'A' && p.s[j] <= 'Z') {
		j++
	}
	w := p.s[p.i:j]
	p.i = j
	return w
}

func matchJSON(n node, message string) Result {
	doc, ok := decodeJSON(message)
	if !ok {
		return Result{}
	}
	return matchDoc(n, doc)
}

// matchDoc evaluates n over a decoded document, which it only reads.
func matchDoc(n node, doc any) Result {
	fields := map[string]string{}
	if !n.eval(doc, fields) {
		return Result{}
	}
	return Result{Matched: true, Fields: fields}
}
