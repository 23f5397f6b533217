package filterpattern

import (
	"strings"
)

// Space-delimited patterns name the whitespace-separated fields of a log line and may put
// conditions on them:
//
//	[ip, user, username, timestamp, request = "*html*", status_code = 4*, bytes > 1000]
//	[..., status_code = 404 || status_code = 410, size]
//
// In the log line, text between double quotes or square brackets is one field (the quotes
// and brackets are not part of its value). "..." stands for any number of fields, including
// none. Without "...", the line must have exactly as many fields as the pattern: the guide
// says nothing about surplus fields, and counting them as a non-match is the conservative
// reading for a detection (a filter that relies on surplus fields is flagged, not trusted).
// A condition compares like a JSON condition on a string field: "=" and "!=" with a string
// or wildcard compare text, with a number compare numerically, and <, <=, >, >= need a
// numeric field. Named fields are returned in Result.Fields as "$name".

type delimField struct {
	ellipsis bool
	name     string
	cond     dnode // nil: any value
}

func (f delimField) String() string {
	if f.ellipsis {
		return "..."
	}
	if f.cond == nil {
		return f.name
	}
	return f.cond.String()
}

// dnode is a condition tree on one delimited field.
type dnode interface {
	eval(tok string) bool
	String() string
}

type dOr struct{ kids []dnode }
type dAnd struct{ kids []dnode }
type dCmp struct {
	name string
	op   condOp
	val  value
}

func (n dOr) eval(tok string) bool {
	return anyHolds(n.kids, func(k dnode) bool { return k.eval(tok) })
}

func (n dAnd) eval(tok string) bool {
	return allHold(n.kids, func(k dnode) bool { return k.eval(tok) })
}

func (n dOr) String() string  { return joinKids(n.kids, " || ", isDOr) }
func (n dAnd) String() string { return joinKids(n.kids, " && ", isDOr) }

func isDOr(k dnode) bool {
	_, isOr := k.(dOr)
	return isOr
}

func (c dCmp) String() string { return c.name + " " + opText[c.op] + " " + c.val.String() }

func (c dCmp) eval(tok string) bool {
	switch c.op {
	case opEq:
		return c.val.equalsText(tok)
	case opNe:
		return !c.val.equalsText(tok)
	}
	n, ok := parseNumber(tok)
	if !ok {
		return false
	}
	switch c.op {
	case opLt:
		return n < c.val.num
	case opLe:
		return n <= c.val.num
	case opGt:
		return n > c.val.num
	case opGe:
		return n >= c.val.num
	}
	return false
}

type delimParser struct {
	s       string
	i       int
	regexes int
}

func parseDelimited(s string, start int) ([]delimField, error) {
	p := &delimParser{s: s, i: start + 1}
	var fields []delimField
	seen := map[string]bool{}
	for {
		p.i = skipSpace(s, p.i)
		if p.i >= len(s) {
			return nil, errAt(p.i, "expected \"]\" to close the field list opened at column %d", start+1)
		}
		if s[p.i] == ']' && len(fields) == 0 {
			return nil, errAt(p.i, "empty field list: name at least one field, e.g. [ip, user, ...]")
		}
		fieldPos := p.i
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		if !f.ellipsis {
			if seen[f.name] {
				return nil, errAt(fieldPos, "field %q is named twice", f.name)
			}
			seen[f.name] = true
		}
		fields = append(fields, f)
		p.i = skipSpace(s, p.i)
		if p.i >= len(s) {
			return nil, errAt(p.i, "expected \",\" or \"]\", found end of pattern")
		}
		switch s[p.i] {
		case ',':
			p.i++
			continue
		case ']':
			p.i++
			if end := skipSpace(s, p.i); end != len(s) {
				return nil, errAt(end, "unexpected text after the closing \"]\"")
			}
			return fields, nil
		default:
			return nil, errAt(p.i, "expected \",\" or \"]\", found %q", s[p.i])
		}
	}
}

func (p *delimParser) field() (delimField, error) {
	if strings.HasPrefix(p.s[p.i:], "...") {
		p.i += 3
		return delimField{ellipsis: true}, nil
	}
	name, err := p.name()
	if err != nil {
		return delimField{}, err
	}
	j := skipSpace(p.s, p.i)
	if j >= len(p.s) || p.s[j] == ',' || p.s[j] == ']' {
		return delimField{name: name}, nil
	}
	p.i = j
	// The first comparison's field name is already read; the rest restate it.
	cond, err := p.or(name, true)
	if err != nil {
		return delimField{}, err
	}
	return delimField{name: name, cond: cond}, nil
}

func (p *delimParser) name() (string, error) {
	j := p.i
	for j < len(p.s) && (isAlnum(p.s[j]) || p.s[j] == '_' || p.s[j] == '-' || p.s[j] == '.') {
		j++
	}
	if j == p.i {
		if p.i >= len(p.s) {
			return "", errAt(p.i, "expected a field name, found end of pattern")
		}
		return "", errAt(p.i, "expected a field name or \"...\", found %q", p.s[p.i])
	}
	n := p.s[p.i:j]
	p.i = j
	return n, nil
}

// or and and read a field's conditions; only the first comparison may have its name read
// already (nameRead).
func (p *delimParser) or(field string, nameRead bool) (dnode, error) {
	return operatorChain(p.s, &p.i, "||",
		func(first bool) (dnode, error) { return p.and(field, nameRead && first) },
		func(kids []dnode) dnode { return dOr{kids: kids} })
}

func (p *delimParser) and(field string, nameRead bool) (dnode, error) {
	return operatorChain(p.s, &p.i, "&&",
		func(first bool) (dnode, error) { return p.cmp(field, nameRead && first) },
		func(kids []dnode) dnode { return dAnd{kids: kids} })
}

func (p *delimParser) cmp(field string, nameRead bool) (dnode, error) {
	p.i = skipSpace(p.s, p.i)
	if !nameRead {
		pos := p.i
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		if n != field {
			return nil, errAt(pos, "a condition in field %q can only test %q, not %q", field, field, n)
		}
		p.i = skipSpace(p.s, p.i)
	}
	c := dCmp{name: field}
	op, width, ok := comparisonAt(p.s[p.i:])
	switch {
	case ok:
		c.op, p.i = op, p.i+width
	case p.i >= len(p.s):
		return nil, errAt(p.i, "expected a comparison after field %q, found end of pattern", field)
	default:
		return nil, errAt(p.i, "expected \",\", \"]\" or a comparison (=, !=, <, <=, >, >=) after field %q, found %q", field, p.s[p.i])
	}
	v, err := parseOperand(p.s, &p.i, c.op, &p.regexes)
	if err != nil {
		return nil, err
	}
	c.val = v
	return c, nil
}

// tokenize splits a log line into fields: runs of non-space characters, or text enclosed in
// "..." or [...] (delimiters dropped). An unterminated quote or bracket runs to the end.
func tokenize(line string) []string {
	var toks []string
	i := 0
	for {
		i = skipSpace(line, i)
		if i >= len(line) {
			return toks
		}
		var closer byte
		switch line[i] {
		case '"':
			closer = '"'
		case '[':
			closer = ']'
		}
		if closer != 0 {
			j := strings.IndexByte(line[i+1:], closer)
			if j < 0 {
				toks = append(toks, line[i+1:])
				return toks
			}
			toks = append(toks, line[i+1:i+1+j])
			i = i + 2 + j
			continue
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		toks = append(toks, line[i:j])
		i = j
	}
}

// matchDelimited aligns pattern fields with tokens. The runs of named fields between "..."
// have fixed lengths, so placing each middle run at its leftmost fitting position is optimal
// (as in glob matching with fixed-size pieces); the first run is anchored at the start of the
// line unless the pattern opens with "...", the last at the end unless it closes with "...".
// That keeps matching O(fields × tokens) with no backtracking.
func matchDelimited(fields []delimField, message string) Result {
	toks := tokenize(message)
	var runs [][]delimField
	var cur []delimField
	for _, f := range fields {
		if f.ellipsis {
			if len(cur) > 0 {
				runs = append(runs, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, f)
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	out := map[string]string{}
	place := func(run []delimField, at int) bool {
		for k, f := range run {
			if f.cond != nil && !f.cond.eval(toks[at+k]) {
				return false
			}
		}
		for k, f := range run {
			out["$"+f.name] = toks[at+k]
		}
		return true
	}
	hasEllipsis := len(runs) != 1 || len(runs[0]) != len(fields)
	if !hasEllipsis {
		if len(toks) != len(fields) || !place(fields, 0) {
			return Result{}
		}
		return Result{Matched: true, Fields: out}
	}
	lo, hi := 0, len(toks)
	if !fields[0].ellipsis {
		first := runs[0]
		if len(first) > hi || !place(first, 0) {
			return Result{}
		}
		lo = len(first)
		runs = runs[1:]
	}
	if !fields[len(fields)-1].ellipsis {
		last := runs[len(runs)-1]
		start := hi - len(last)
		if start < lo || !place(last, start) {
			return Result{}
		}
		hi = start
		runs = runs[:len(runs)-1]
	}
	for _, run := range runs {
		placed := false
		for at := lo; at+len(run) <= hi; at++ {
			if place(run, at) {
				lo, placed = at+len(run), true
				break
			}
		}
		if !placed {
			return Result{}
		}
	}
	return Result{Matched: true, Fields: out}
}
