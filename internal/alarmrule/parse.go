// Package alarmrule parses and evaluates the AlarmRule of CloudWatch composite alarms, and
// answers the question lookout asks of them: when a metric alarm goes to ALARM, does a composite
// alarm that names it (directly or through other composites) go to ALARM too?
//
// # Syntax
//
// From the CloudWatch API reference (PutCompositeAlarm, AlarmRule) and the CloudWatch User Guide
// ("Composite alarms", "Creating a composite alarm"):
//
//   - ALARM(x), OK(x) and INSUFFICIENT_DATA(x) are TRUE when alarm x is in that state; x is an
//     alarm name or an alarm ARN, and "can be surrounded with double-quotes, but do not have to
//     be". A rule "can refer to both metric alarms and other composite alarms".
//   - TRUE and FALSE "always evaluate to" TRUE and FALSE.
//   - AND, OR and NOT combine functions; parentheses group them.
//   - AT_LEAST(threshold, state, (x, y, ...)), added in November 2025 ("threshold-based"
//     composite alarms): TRUE when at least threshold (a count such as 2, or a percentage such
//     as 60%) of the listed alarms are in state, which is ALARM, OK, INSUFFICIENT_DATA or one of
//     those after NOT. The syntax is as given in aws/aws-cdk#37692; the API reference above does
//     not list the function yet.
//   - The rule is 1 to 10240 characters long (PutCompositeAlarm, AlarmRule length constraints).
//
// # Decisions where the documentation is silent or thin
//
//   - Keywords are upper case only. Every function, operator and literal in the documentation
//     is upper case; "alarm(x)" or "and" is a *SyntaxError. (Prose in the API reference once
//     writes the literal as "false", which is not taken as a grammar statement.)
//   - Unquoted names end at white space, '(', ')', ',' and '"'. The User Guide's "Alarm
//     references" section says names without quotes "must not contain spaces, round brackets,
//     or commas", and CloudWatch answers an unquoted name with a space with "Unsupported token
//     'Oldest' at char 67, must be: ')'" (aws/aws-cdk#13953). An unquoted name with a backslash
//     is rejected rather than guessed at.
//   - Inside double quotes, a backslash escapes the next character: \" is a quote and \\ a
//     backslash (the same section: a double quote inside a quoted name is escaped with a
//     backslash). Any other \c stands for c.
//   - NOT applies to the operand right after it ("ALARM(A) AND NOT ALARM(B)" in the API
//     reference). The documentation never says whether AND binds tighter than OR: all its
//     mixed examples use parentheses ("You can use parenthesis to logically group the
//     functions"). Parse keeps an unparenthesized chain that mixes them as a [KindMixed] node,
//     and evaluation returns a value for it only when AND-before-OR, OR-before-AND,
//     left-to-right and right-to-left grouping all give the same one; otherwise it is an
//     [*AmbiguousError].
//   - White space (space, tab, CR, LF, FF, VT) may separate any two tokens. CloudWatch rejects
//     a rule with leading or trailing white space at PutCompositeAlarm ("AlarmRule must not
//     contain leading or trailing whitespace", hashicorp/terraform-provider-aws#19575); Parse
//     accepts it, since it reads rules CloudWatch already stored.
//   - Parentheses and NOTs may nest at most 500 deep. The User Guide caps a rule at 500
//     "elements" (alarms, TRUE/FALSE and parenthesis pairs), so no stored rule nests deeper;
//     the cap keeps recursion bounded. The element and 100-alarm caps are not enforced.
package alarmrule

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxRuleLength is the longest AlarmRule CloudWatch accepts, in characters.
const MaxRuleLength = 10240

// maxNesting bounds parenthesis and NOT nesting; see the package comment.
const maxNesting = 500

// Kind says what an [Expr] is.
type Kind int

const (
	KindTrue    Kind = iota + 1 // TRUE
	KindFalse                   // FALSE
	KindState                   // ALARM(x), OK(x) or INSUFFICIENT_DATA(x): see Expr.Ref
	KindAtLeast                 // AT_LEAST(...): see Expr.AtLeast
	KindNot                     // NOT Args[0]
	KindAnd                     // Args[0] AND Args[1] AND ...
	KindOr                      // Args[0] OR Args[1] OR ...
	KindMixed                   // Args joined by Ops, AND and OR mixed without parentheses
)

// Expr is a parsed AlarmRule or a part of one. Parenthesized sub-expressions are operands in
// Args; the parentheses themselves leave no node.
type Expr struct {
	Kind   Kind
	Offset int // byte offset in the rule of the expression's first token

	Ref     Ref      // KindState
	AtLeast *AtLeast // KindAtLeast

	// Args holds NOT's operand, or the two or more operands of AND, OR and a mixed chain.
	Args []*Expr
	// Ops, for KindMixed only, holds KindAnd or KindOr: Ops[i] joins Args[i] and Args[i+1].
	Ops []Kind
}

// Ref is one reference to an alarm in a rule.
type Ref struct {
	Alarm  string // name or ARN as written, without quotes and escapes
	State  State  // the function: ALARM(x) is StateAlarm; for AT_LEAST, the state it counts
	Offset int    // byte offset of the name in the rule
}

// AtLeast is AT_LEAST(Threshold[%], [NOT] State, (Refs...)).
type AtLeast struct {
	Threshold int  // a count, or a percentage (0-100) when Percent
	Percent   bool // Threshold is a percentage of len(Refs)
	Not       bool // counts alarms NOT in State
	State     State
	Refs      []Ref
}

// SyntaxError reports a rule Parse cannot read.
type SyntaxError struct {
	Offset int // byte offset in the rule
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("alarm rule: offset %d: %s", e.Offset, e.Msg)
}

func syntaxErr(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Parse reads an AlarmRule. Every error is a *SyntaxError; Parse does not panic on any input.
func Parse(rule string) (*Expr, error) {
	if rule == "" {
		return nil, syntaxErr(0, "empty rule")
	}
	if utf8.RuneCountInString(rule) > MaxRuleLength {
		off, n := 0, 0
		for off = range rule {
			if n == MaxRuleLength {
				break
			}
			n++
		}
		return nil, syntaxErr(off, "rule is longer than %d characters", MaxRuleLength)
	}
	toks, err := lex(rule)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.chain()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, syntaxErr(t.off, "unexpected ')' with no matching '('")
		}
		return nil, syntaxErr(t.off, "expected AND, OR or end of rule, found %s%s", t, caseHint(t))
	}
	return e, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tString
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string // a word, or a quoted name without quotes and escapes
	off  int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of rule"
	case tString:
		return fmt.Sprintf("quoted name %q", t.text)
	case tLParen:
		return "'('"
	case tRParen:
		return "')'"
	case tComma:
		return "','"
	}
	return strconv.Quote(t.text)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// isDelim reports whether c ends a word (keyword, number or unquoted name).
func isDelim(c byte) bool {
	return isSpace(c) || c == '(' || c == ')' || c == ',' || c == '"'
}

func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", i})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ",", i})
			i++
		case c == '"':
			start := i
			var b strings.Builder
			closed := false
			for i++; i < len(s) && !closed; {
				switch s[i] {
				case '\\':
					if i+1 == len(s) {
						return nil, syntaxErr(start, "unterminated quoted alarm name")
					}
					b.WriteByte(s[i+1])
					i += 2
				case '"':
					closed = true
					i++
				default:
					b.WriteByte(s[i])
					i++
				}
			}
			if !closed {
				return nil, syntaxErr(start, "unterminated quoted alarm name")
			}
			toks = append(toks, token{tString, b.String(), start})
		default:
			start := i
			for i < len(s) && !isDelim(s[i]) {
				i++
			}
			toks = append(toks, token{tWord, s[start:i], start})
		}
	}
	return append(toks, token{tEOF, "", len(s)}), nil
}

var keywords = map[string]bool{
	"ALARM": true, "OK": true, "INSUFFICIENT_DATA": true, "AT_LEAST": true,
	"TRUE": true, "FALSE": true, "AND": true, "OR": true, "NOT": true,
}

// caseHint explains a word that is a keyword in the wrong case.
func caseHint(t token) string {
	if t.kind == tWord && !keywords[t.text] && keywords[strings.ToUpper(t.text)] {
		return fmt.Sprintf(" (keywords are upper case: %s)", strings.ToUpper(t.text))
	}
	return ""
}

func stateKeyword(w string) (State, bool) {
	switch w {
	case "ALARM":
		return StateAlarm, true
	case "OK":
		return StateOK, true
	case "INSUFFICIENT_DATA":
		return StateInsufficientData, true
	}
	return 0, false
}

type parser struct {
	toks  []token
	pos   int
	depth int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) enter(off int) error {
	if p.depth++; p.depth > maxNesting {
		return syntaxErr(off, "parentheses and NOT nested deeper than %d", maxNesting)
	}
	return nil
}

// chain reads operands joined by AND and OR.
func (p *parser) chain() (*Expr, error) {
	first, err := p.unary()
	if err != nil {
		return nil, err
	}
	args := []*Expr{first}
	var ops []Kind
	for {
		t := p.peek()
		var op Kind
		switch {
		case t.kind == tWord && t.text == "AND":
			op = KindAnd
		case t.kind == tWord && t.text == "OR":
			op = KindOr
		default:
			if len(args) == 1 {
				return first, nil
			}
			kind := ops[0]
			for _, o := range ops {
				if o != kind {
					return &Expr{Kind: KindMixed, Offset: first.Offset, Args: args, Ops: ops}, nil
				}
			}
			return &Expr{Kind: kind, Offset: first.Offset, Args: args}, nil
		}
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		args, ops = append(args, x), append(ops, op)
	}
}

func (p *parser) unary() (*Expr, error) {
	t := p.peek()
	if t.kind != tWord || t.text != "NOT" {
		return p.primary()
	}
	p.next()
	if err := p.enter(t.off); err != nil {
		return nil, err
	}
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	p.depth--
	return &Expr{Kind: KindNot, Offset: t.off, Args: []*Expr{x}}, nil
}

const operandWanted = "ALARM, OK, INSUFFICIENT_DATA, AT_LEAST, TRUE, FALSE, NOT or '('"

func (p *parser) primary() (*Expr, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		if err := p.enter(t.off); err != nil {
			return nil, err
		}
		e, err := p.chain()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, syntaxErr(c.off, "expected ')' to close '(' at offset %d, found %s%s", t.off, c, caseHint(c))
		}
		p.depth--
		return e, nil
	case tWord:
		if st, ok := stateKeyword(t.text); ok {
			return p.stateFunc(t, st)
		}
		switch t.text {
		case "TRUE":
			return &Expr{Kind: KindTrue, Offset: t.off}, nil
		case "FALSE":
			return &Expr{Kind: KindFalse, Offset: t.off}, nil
		case "AT_LEAST":
			return p.atLeast(t)
		}
	case tString:
		return nil, syntaxErr(t.off, "unexpected %s: an alarm name goes inside ALARM(...), OK(...) or INSUFFICIENT_DATA(...)", t)
	}
	return nil, syntaxErr(t.off, "expected %s, found %s%s", operandWanted, t, caseHint(t))
}

func (p *parser) expect(k tokKind, what, after string) error {
	if t := p.next(); t.kind != k {
		return syntaxErr(t.off, "expected %s after %s, found %s", what, after, t)
	}
	return nil
}

// stateFunc reads the rest of ALARM(x), OK(x) or INSUFFICIENT_DATA(x).
func (p *parser) stateFunc(fn token, st State) (*Expr, error) {
	if err := p.expect(tLParen, "'('", fn.text); err != nil {
		return nil, err
	}
	ref, err := p.ref(fn.text+"(", st)
	if err != nil {
		return nil, err
	}
	if err := p.expect(tRParen, "')'", "alarm name"); err != nil {
		return nil, err
	}
	return &Expr{Kind: KindState, Offset: fn.off, Ref: ref}, nil
}

// ref reads an alarm name or ARN, quoted or not.
func (p *parser) ref(after string, st State) (Ref, error) {
	t := p.next()
	switch t.kind {
	case tString:
		if t.text == "" {
			return Ref{}, syntaxErr(t.off, "empty alarm name")
		}
		return Ref{Alarm: t.text, State: st, Offset: t.off}, nil
	case tWord:
		if i := strings.IndexByte(t.text, '\\'); i >= 0 {
			return Ref{}, syntaxErr(t.off+i, "backslash in an unquoted alarm name; quote the name")
		}
		return Ref{Alarm: t.text, State: st, Offset: t.off}, nil
	}
	return Ref{}, syntaxErr(t.off, "expected alarm name or ARN after %s, found %s", after, t)
}

// atLeast reads the rest of AT_LEAST(threshold, [NOT] state, (x, ...)).
func (p *parser) atLeast(fn token) (*Expr, error) {
	if err := p.expect(tLParen, "'('", "AT_LEAST"); err != nil {
		return nil, err
	}
	a := &AtLeast{}
	th := p.next()
	digits := strings.TrimSuffix(th.text, "%")
	a.Percent = len(digits) < len(th.text)
	n, err := strconv.Atoi(digits)
	if th.kind != tWord || digits == "" || len(digits) > 6 || strings.Trim(digits, "0123456789") != "" || err != nil {
		return nil, syntaxErr(th.off, "expected a count or a percentage such as 60%% as the AT_LEAST threshold, found %s", th)
	}
	if a.Percent && n > 100 {
		return nil, syntaxErr(th.off, "AT_LEAST percentage %d%% is over 100%%", n)
	}
	a.Threshold = n
	if err := p.expect(tComma, "','", "the AT_LEAST threshold"); err != nil {
		return nil, err
	}
	st := p.next()
	if st.kind == tWord && st.text == "NOT" {
		a.Not = true
		st = p.next()
	}
	s, ok := stateKeyword(st.text)
	if st.kind != tWord || !ok {
		return nil, syntaxErr(st.off, "expected ALARM, OK or INSUFFICIENT_DATA as the AT_LEAST state, found %s%s", st, caseHint(st))
	}
	a.State = s
	if err := p.expect(tComma, "','", "the AT_LEAST state"); err != nil {
		return nil, err
	}
	if err := p.expect(tLParen, "'('", "the AT_LEAST state and ','"); err != nil {
		return nil, err
	}
	for {
		ref, err := p.ref("the AT_LEAST alarm list", s)
		if err != nil {
			return nil, err
		}
		a.Refs = append(a.Refs, ref)
		t := p.next()
		if t.kind == tRParen {
			break
		}
		if t.kind != tComma {
			return nil, syntaxErr(t.off, "expected ',' or ')' in the AT_LEAST alarm list, found %s", t)
		}
	}
	if err := p.expect(tRParen, "')'", "the AT_LEAST alarm list"); err != nil {
		return nil, err
	}
	return &Expr{Kind: KindAtLeast, Offset: fn.off, AtLeast: a}, nil
}

// Alarms returns every alarm reference in the rule, in the order written, one per occurrence.
func (e *Expr) Alarms() []Ref {
	var out []Ref
	e.walk(func(x *Expr) {
		switch x.Kind {
		case KindState:
			out = append(out, x.Ref)
		case KindAtLeast:
			out = append(out, x.AtLeast.Refs...)
		}
	})
	return out
}

func (e *Expr) walk(f func(*Expr)) {
	if e == nil {
		return
	}
	f(e)
	for _, a := range e.Args {
		a.walk(f)
	}
}

// String returns the rule in a canonical form that Parse reads back to the same tree: upper
// case keywords, single spaces, names quoted unless they are plain (letters, digits and -_.:/),
// and parentheses only where an operand is itself a chain of AND/OR.
func (e *Expr) String() string {
	var b strings.Builder
	e.write(&b)
	return b.String()
}

func (e *Expr) write(b *strings.Builder) {
	if e == nil {
		b.WriteString("<nil>")
		return
	}
	switch e.Kind {
	case KindTrue:
		b.WriteString("TRUE")
	case KindFalse:
		b.WriteString("FALSE")
	case KindState:
		b.WriteString(e.Ref.State.String())
		b.WriteByte('(')
		writeName(b, e.Ref.Alarm)
		b.WriteByte(')')
	case KindAtLeast:
		a := e.AtLeast
		b.WriteString("AT_LEAST(")
		b.WriteString(strconv.Itoa(a.Threshold))
		if a.Percent {
			b.WriteByte('%')
		}
		b.WriteString(", ")
		if a.Not {
			b.WriteString("NOT ")
		}
		b.WriteString(a.State.String())
		b.WriteString(", (")
		for i, r := range a.Refs {
			if i > 0 {
				b.WriteString(", ")
			}
			writeName(b, r.Alarm)
		}
		b.WriteString("))")
	case KindNot:
		b.WriteString("NOT ")
		writeOperand(b, e.Args[0])
	case KindAnd, KindOr, KindMixed:
		for i, a := range e.Args {
			if i > 0 {
				op := e.Kind
				if e.Kind == KindMixed {
					op = e.Ops[i-1]
				}
				if op == KindAnd {
					b.WriteString(" AND ")
				} else {
					b.WriteString(" OR ")
				}
			}
			writeOperand(b, a)
		}
	default:
		fmt.Fprintf(b, "<kind %d>", e.Kind)
	}
}

func writeOperand(b *strings.Builder, e *Expr) {
	if e != nil && (e.Kind == KindAnd || e.Kind == KindOr || e.Kind == KindMixed) {
		b.WriteByte('(')
		e.write(b)
		b.WriteByte(')')
		return
	}
	e.write(b)
}

func plainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.:/", c) >= 0) {
			return false
		}
	}
	return true
}

func writeName(b *strings.Builder, s string) {
	if plainName(s) {
		b.WriteString(s)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}
