package metricmath

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tNum
	tID   // lower-case start: a query id
	tName // upper-case start: a function name or a keyword (REPEAT, DESC, ...)
	tStr
	tLParen
	tRParen
	tLBrack
	tRBrack
	tComma
	tPlus
	tMinus
	tStar
	tSlash
	tCaret
	tEq
	tNe
	tLt
	tLe
	tGt
	tGe
	tAnd
	tOr
	tNot
)

// opText is how String writes an operator.
var opText = map[tokKind]string{
	tPlus: "+", tMinus: "-", tStar: "*", tSlash: "/", tCaret: "^",
	tEq: "==", tNe: "!=", tLt: "<", tLe: "<=", tGt: ">", tGe: ">=",
	tAnd: "AND", tOr: "OR",
}

var twoByteOps = map[string]tokKind{"==": tEq, "!=": tNe, "<=": tLe, ">=": tGe, "&&": tAnd, "||": tOr}

var oneByteOps = map[byte]tokKind{
	'(': tLParen, ')': tRParen, '[': tLBrack, ']': tRBrack, ',': tComma,
	'+': tPlus, '-': tMinus, '*': tStar, '/': tSlash, '^': tCaret, '<': tLt, '>': tGt,
}

type token struct {
	kind tokKind
	pos  int
	text string
	num  float64
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tNum:
		return "number " + t.text
	case tID:
		return fmt.Sprintf("id %q", t.text)
	case tName:
		return "name " + t.text
	case tStr:
		return "string literal"
	}
	return strconv.Quote(t.text)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isWordByte(c byte) bool {
	return c == '_' || isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// lex splits src into tokens. The token count is at most len(src)+1, so lexing is linear.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isDigit(c) || c == '.' && i+1 < len(src) && isDigit(src[i+1]):
			t, err := lexNumber(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i += len(t.text)
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(src) && isWordByte(src[j]) {
				j++
			}
			t := token{kind: tID, pos: i, text: src[i:j]}
			if c <= 'Z' {
				switch t.text {
				case "AND":
					t.kind = tAnd
				case "OR":
					t.kind = tOr
				case "NOT":
					t.kind = tNot
				default:
					t.kind = tName
				}
			}
			toks = append(toks, t)
			i = j
		case c == '"' || c == '\'':
			// Strings only appear in constructs lookout does not evaluate (METRICS("errors"),
			// SEARCH('{AWS/EC2} MetricName="CPUUtilization"', 'Average')). A backslash escapes
			// the next character.
			j := i + 1
			for {
				if j >= len(src) {
					return nil, errAt(i, "unterminated string literal")
				}
				if src[j] == '\\' {
					j += 2
					continue
				}
				j++
				if src[j-1] == c {
					break
				}
			}
			toks = append(toks, token{kind: tStr, pos: i, text: src[i:j]})
			i = j
		default:
			if i+1 < len(src) {
				two := src[i : i+2]
				if kind, ok := twoByteOps[two]; ok {
					toks = append(toks, token{kind: kind, pos: i, text: two})
					i += 2
					continue
				}
			}
			if kind, ok := oneByteOps[c]; ok {
				toks = append(toks, token{kind: kind, pos: i, text: src[i : i+1]})
				i++
				continue
			}
			switch c {
			case '=':
				return nil, errAt(i, `unexpected "=" (equality is written ==)`)
			case '!', '&', '|':
				return nil, errAt(i, "unexpected %q", string(c))
			}
			r, _ := utf8.DecodeRuneInString(src[i:])
			if r == utf8.RuneError {
				return nil, errAt(i, "invalid UTF-8 byte 0x%02x", c)
			}
			return nil, errAt(i, "unexpected character %q", r)
		}
	}
	return append(toks, token{kind: tEOF, pos: len(src)}), nil
}

// lexNumber reads digits, an optional fraction and an optional exponent starting at src[i]. A
// number running straight into a letter, digit, underscore or dot ("2m1", "1.2.3", "0x10") is
// refused rather than split, since no valid expression has one.
func lexNumber(src string, i int) (token, error) {
	j := i
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if j < len(src) && src[j] == '.' {
		j++
		for j < len(src) && isDigit(src[j]) {
			j++
		}
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k >= len(src) || !isDigit(src[k]) {
			return token{}, errAt(i, "malformed number %q", src[i:min(k+1, len(src))])
		}
		for k < len(src) && isDigit(src[k]) {
			k++
		}
		j = k
	}
	if j < len(src) && (isWordByte(src[j]) || src[j] == '.') {
		return token{}, errAt(i, "malformed number %q", src[i:j+1])
	}
	text := src[i:j]
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return token{}, errAt(i, "number %s is out of range", text)
	}
	return token{kind: tNum, pos: i, text: text, num: v}, nil
}

type nodeKind uint8

const (
	nNum nodeKind = iota
	nID
	nStr
	nKeyword // a bare upper-case word: REPEAT, LINEAR, AVG in SORT(..., AVG, DESC), ...
	nArray
	nNeg
	nNot
	nBinary
	nCall
)

type node struct {
	kind nodeKind
	op   tokKind // nBinary
	pos  int     // byte offset of the node's first token (the operator, for nBinary)
	text string  // number as written, id, string with its quotes, keyword, function name
	num  float64
	args []*node // operands, array elements or call arguments
}

type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

// enter opens one nesting level; leave closes it.
func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > MaxDepth {
		return &SyntaxError{Pos: pos, Msg: fmt.Sprintf("%v: more than %d levels", ErrTooDeep, MaxDepth), err: ErrTooDeep}
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// parseExpr parses: or := and (("OR" | "||") and)*
func (p *parser) parseExpr() (*node, error) {
	return p.parseLeft(p.parseAnd, tOr)
}

// parseAnd parses: and := not (("AND" | "&&") not)*
func (p *parser) parseAnd() (*node, error) {
	return p.parseLeft(p.parseNot, tAnd)
}

// parseNot parses: not := "NOT" not | cmp. NOT binds looser than comparisons, as in SQL, so
// NOT a > b is NOT (a > b).
func (p *parser) parseNot() (*node, error) {
	t := p.peek()
	if t.kind != tNot {
		return p.parseCmp()
	}
	p.next()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	x, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	return &node{kind: nNot, pos: t.pos, args: []*node{x}}, nil
}

func (p *parser) parseCmp() (*node, error) {
	return p.parseLeft(p.parseAdd, tEq, tNe, tLt, tLe, tGt, tGe)
}

func (p *parser) parseAdd() (*node, error) {
	return p.parseLeft(p.parseMul, tPlus, tMinus)
}

func (p *parser) parseMul() (*node, error) {
	return p.parseLeft(p.parseUnary, tStar, tSlash)
}

// parseLeft parses a left-associative chain of the given operators over operands from sub.
func (p *parser) parseLeft(sub func() (*node, error), ops ...tokKind) (*node, error) {
	x, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		found := false
		for _, op := range ops {
			if t.kind == op {
				found = true
				break
			}
		}
		if !found {
			return x, nil
		}
		p.next()
		y, err := sub()
		if err != nil {
			return nil, err
		}
		x = &node{kind: nBinary, op: t.kind, pos: t.pos, args: []*node{x, y}}
	}
}

// parseUnary parses: unary := "-" unary | power. Unary minus binds looser than ^, so -2^2 is
// -(2^2), and an exponent may carry its own minus (2^-1).
func (p *parser) parseUnary() (*node, error) {
	t := p.peek()
	if t.kind != tMinus {
		return p.parsePower()
	}
	p.next()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	return &node{kind: nNeg, pos: t.pos, args: []*node{x}}, nil
}

// parsePower parses: power := primary ("^" unary)?, which groups ^ to the right.
func (p *parser) parsePower() (*node, error) {
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind != tCaret {
		return x, nil
	}
	p.next()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	y, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	return &node{kind: nBinary, op: tCaret, pos: t.pos, args: []*node{x, y}}, nil
}

func (p *parser) parsePrimary() (*node, error) {
	t := p.next()
	switch t.kind {
	case tNum:
		return &node{kind: nNum, pos: t.pos, text: t.text, num: t.num}, nil
	case tID:
		if p.peek().kind == tLParen {
			return nil, errAt(t.pos, "%q is not a function: CloudWatch function names are upper-case (ABS, not abs)", t.text)
		}
		return &node{kind: nID, pos: t.pos, text: t.text}, nil
	case tStr:
		return &node{kind: nStr, pos: t.pos, text: t.text}, nil
	case tName:
		if p.peek().kind != tLParen {
			return &node{kind: nKeyword, pos: t.pos, text: t.text}, nil
		}
		open := p.next()
		args, err := p.parseList(open, tRParen, true)
		if err != nil {
			return nil, err
		}
		return &node{kind: nCall, pos: t.pos, text: t.text, args: args}, nil
	case tLParen:
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, errAt(c.pos, "unexpected %s, expected \")\" to close the \"(\" at column %d", c.describe(), t.pos+1)
		}
		return x, nil
	case tLBrack:
		elems, err := p.parseList(t, tRBrack, false)
		if err != nil {
			return nil, err
		}
		return &node{kind: nArray, pos: t.pos, args: elems}, nil
	}
	return nil, errAt(t.pos, "unexpected %s", t.describe())
}

// parseList parses comma-separated expressions after the opening token open, up to the closing
// token kind end. An empty list is allowed for calls (METRICS()) but not for arrays.
func (p *parser) parseList(open token, end tokKind, emptyOK bool) ([]*node, error) {
	if err := p.enter(open.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	closer := `")"`
	if end == tRBrack {
		closer = `"]"`
	}
	if p.peek().kind == end {
		if !emptyOK {
			return nil, errAt(open.pos, "empty array")
		}
		p.next()
		return nil, nil
	}
	var list []*node
	for {
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		list = append(list, x)
		t := p.next()
		if t.kind == end {
			return list, nil
		}
		if t.kind != tComma {
			return nil, errAt(t.pos, "unexpected %s, expected \",\" or %s to close the %q at column %d", t.describe(), closer, open.text, open.pos+1)
		}
	}
}

// kind is what an expression yields, as far as it is known before evaluation.
type kind uint8

const (
	kScalar  kind = iota // a number
	kSeries              // one time series (its value in the period, NaN when missing)
	kArray               // an array of time series
	kUnknown             // the result of a construct lookout does not evaluate
)

func join(a, b kind) kind { return max(a, b) } // unknown > array > series > scalar

// checker finds, before any evaluation, the shape errors CloudWatch itself would reject and the
// first construct Eval will refuse, so that both are independent of the values passed to Eval.
type checker struct {
	notEval error
}

func (c *checker) skip(n *node, what, why string) {
	if c.notEval == nil {
		c.notEval = fmt.Errorf("metric math: %s at column %d is %w%s", what, n.pos+1, ErrNotEvaluated, why)
	}
}

func (c *checker) check(n *node) (kind, error) {
	switch n.kind {
	case nNum:
		return kScalar, nil
	case nID:
		return kSeries, nil
	case nStr:
		c.skip(n, "string literal", "")
		return kUnknown, nil
	case nKeyword:
		c.skip(n, "keyword "+n.text, "")
		return kUnknown, nil
	case nArray:
		for _, a := range n.args {
			if _, err := c.check(a); err != nil {
				return 0, err
			}
		}
		return kArray, nil
	case nNeg, nNot:
		return c.check(n.args[0])
	case nBinary:
		l, err := c.check(n.args[0])
		if err != nil {
			return 0, err
		}
		r, err := c.check(n.args[1])
		if err != nil {
			return 0, err
		}
		if l == kArray && r == kArray {
			// The guide lists TS[] with S or TS, never two arrays; how CloudWatch pairs them
			// up is not stated.
			c.skip(n, "operator "+opText[n.op]+" between two arrays of time series", "")
			return kUnknown, nil
		}
		return join(l, r), nil
	case nCall:
		return c.checkCall(n)
	}
	return kUnknown, errAt(n.pos, "internal error: unknown node")
}

func arity(n *node, lo, hi int) error {
	if len(n.args) >= lo && len(n.args) <= hi {
		return nil
	}
	want := fmt.Sprintf("%d argument", lo)
	if hi != lo {
		want = fmt.Sprintf("%d or %d argument", lo, hi)
	}
	if hi != 1 {
		want += "s"
	}
	return errAt(n.pos, "%s takes %s, got %d", n.text, want, len(n.args))
}

func (c *checker) checkCall(n *node) (kind, error) {
	switch n.text {
	case "ABS", "CEIL", "FLOOR", "LOG", "LOG10", "SQRT", "EXP":
		if err := arity(n, 1, 1); err != nil {
			return 0, err
		}
		return c.check(n.args[0])
	case "FILL":
		if err := arity(n, 2, 2); err != nil {
			return 0, err
		}
		k, err := c.check(n.args[0])
		if err != nil {
			return 0, err
		}
		fv := n.args[1]
		if fv.kind == nKeyword {
			switch fv.text {
			case "REPEAT", "LINEAR":
				c.skip(n, "FILL(..., "+fv.text+")", ": it fills a gap from neighbouring periods")
				return k, nil
			}
			return 0, errAt(fv.pos, "FILL fills with a number, a time series, REPEAT or LINEAR, not %s", fv.text)
		}
		fk, err := c.check(fv)
		if err != nil {
			return 0, err
		}
		if fk == kArray {
			return 0, errAt(fv.pos, "the fill value of FILL cannot be an array")
		}
		return k, nil
	case "IF":
		if err := arity(n, 2, 3); err != nil {
			return 0, err
		}
		out := kScalar
		for _, a := range n.args {
			k, err := c.check(a)
			if err != nil {
				return 0, err
			}
			if k == kArray {
				return 0, errAt(a.pos, "IF takes numbers and single time series, not an array")
			}
			out = join(out, k)
		}
		return out, nil
	case "MAX", "MIN", "SUM", "AVG":
		if err := arity(n, 1, 1); err != nil {
			return 0, err
		}
		k, err := c.check(n.args[0])
		if err != nil {
			return 0, err
		}
		switch k {
		case kArray:
			return kSeries, nil
		case kSeries:
			c.skip(n, n.text+" of a single time series", ": it aggregates every period of the series into one number")
			return kUnknown, nil
		case kScalar:
			return 0, errAt(n.pos, "%s takes an array of time series such as [m1, m2], not a number", n.text)
		}
		return kUnknown, nil
	}
	c.skip(n, "function "+n.text, "")
	for _, a := range n.args {
		if _, err := c.check(a); err != nil {
			return 0, err
		}
	}
	return kUnknown, nil
}

func collectIDs(root *node) []string {
	seen := map[string]bool{}
	var walk func(*node)
	walk = func(n *node) {
		if n.kind == nID {
			seen[n.text] = true
		}
		for _, a := range n.args {
			walk(a)
		}
	}
	walk(root)
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// prec is the binding strength of n's top operator; operands are 9.
func (n *node) prec() int {
	switch n.kind {
	case nNot:
		return 3
	case nNeg:
		return 7
	case nBinary:
		switch n.op {
		case tOr:
			return 1
		case tAnd:
			return 2
		case tPlus, tMinus:
			return 5
		case tStar, tSlash:
			return 6
		case tCaret:
			return 8
		}
		return 4 // comparisons
	}
	return 9
}

// format writes n, parenthesised when it binds looser than minPrec.
func (n *node) format(b *strings.Builder, minPrec int) {
	paren := n.prec() < minPrec
	if paren {
		b.WriteByte('(')
	}
	switch n.kind {
	case nNum, nID, nStr, nKeyword:
		b.WriteString(n.text)
	case nArray, nCall:
		open, close := "[", "]"
		if n.kind == nCall {
			b.WriteString(n.text)
			open, close = "(", ")"
		}
		b.WriteString(open)
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.format(b, 0)
		}
		b.WriteString(close)
	case nNeg:
		b.WriteByte('-')
		n.args[0].format(b, 7)
	case nNot:
		b.WriteString("NOT ")
		n.args[0].format(b, 3)
	case nBinary:
		p := n.prec()
		left, right := p, p+1
		if n.op == tCaret {
			left, right = 9, 7
		}
		n.args[0].format(b, left)
		b.WriteString(" " + opText[n.op] + " ")
		n.args[1].format(b, right)
	}
	if paren {
		b.WriteByte(')')
	}
}
