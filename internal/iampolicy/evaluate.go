package iampolicy

import (
	"fmt"
	"strconv"
	"strings"
)

// tri is a three-valued truth: a statement or condition applies, does not, or cannot be decided.
// It combines as Kleene logic: AND is false if any part is false, OR is true if any part is true,
// and otherwise an undecided part makes the whole undecided.
type tri int8

const (
	no tri = iota
	yes
	maybe
)

func not(t tri) tri {
	switch t {
	case yes:
		return no
	case no:
		return yes
	}
	return maybe
}

// opFamily groups condition operators by how a value is compared.
type opFamily uint8

const (
	famString      opFamily = iota // StringEquals, StringNotEquals
	famStringFold                  // StringEqualsIgnoreCase, StringNotEqualsIgnoreCase
	famLike                        // StringLike, StringNotLike
	famArn                         // ArnEquals, ArnLike, ArnNotEquals, ArnNotLike
	famNumeric                     // Numeric*
	famBool                        // Bool
	famNull                        // Null
	famUnsupported                 // Date*, IpAddress, NotIpAddress, BinaryEquals: known, not evaluated
)

// opInfo describes a base operator (without ForAnyValue:/ForAllValues: or IfExists).
type opInfo struct {
	name    string
	fam     opFamily
	negated bool   // "negated matching": true when the key matches none of the values
	cmp     string // numeric comparison: == < <= > >=
	wild    bool   // values may hold * and ? wildcards
	vars    bool   // values may hold policy variables (string and ARN operators only)
}

// operators lists the base operators of "IAM JSON policy elements: Condition operators", keyed by
// lower-cased name. The unsupported ones are listed so that the absent-key rule can still decide
// them: their polarity is known even though their comparison is not implemented.
var operators = func() map[string]opInfo {
	m := map[string]opInfo{}
	add := func(o opInfo) { m[strings.ToLower(o.name)] = o }
	add(opInfo{name: "StringEquals", fam: famString, vars: true})
	add(opInfo{name: "StringNotEquals", fam: famString, negated: true, vars: true})
	add(opInfo{name: "StringEqualsIgnoreCase", fam: famStringFold, vars: true})
	add(opInfo{name: "StringNotEqualsIgnoreCase", fam: famStringFold, negated: true, vars: true})
	add(opInfo{name: "StringLike", fam: famLike, wild: true, vars: true})
	add(opInfo{name: "StringNotLike", fam: famLike, negated: true, wild: true, vars: true})
	// "ArnEquals and ArnLike behave identically", as do ArnNotEquals and ArnNotLike.
	add(opInfo{name: "ArnEquals", fam: famArn, wild: true, vars: true})
	add(opInfo{name: "ArnLike", fam: famArn, wild: true, vars: true})
	add(opInfo{name: "ArnNotEquals", fam: famArn, negated: true, wild: true, vars: true})
	add(opInfo{name: "ArnNotLike", fam: famArn, negated: true, wild: true, vars: true})
	add(opInfo{name: "NumericEquals", fam: famNumeric, cmp: "=="})
	add(opInfo{name: "NumericNotEquals", fam: famNumeric, cmp: "==", negated: true})
	add(opInfo{name: "NumericLessThan", fam: famNumeric, cmp: "<"})
	add(opInfo{name: "NumericLessThanEquals", fam: famNumeric, cmp: "<="})
	add(opInfo{name: "NumericGreaterThan", fam: famNumeric, cmp: ">"})
	add(opInfo{name: "NumericGreaterThanEquals", fam: famNumeric, cmp: ">="})
	add(opInfo{name: "Bool", fam: famBool})
	add(opInfo{name: "Null", fam: famNull})
	for _, n := range []string{"DateEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
		"DateGreaterThanEquals", "IpAddress", "BinaryEquals"} {
		add(opInfo{name: n, fam: famUnsupported})
	}
	add(opInfo{name: "DateNotEquals", fam: famUnsupported, negated: true})
	add(opInfo{name: "NotIpAddress", fam: famUnsupported, negated: true})
	return m
}()

type setKind uint8

const (
	setNone setKind = iota
	setAny          // ForAnyValue:
	setAll          // ForAllValues:
)

// condition is one operator/key pair of a Condition element with its values (ORed).
type condition struct {
	op       string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	key      string // as written
	info     opInfo
	known    bool // the base operator is in the operators table
	set      setKind
	ifExists bool
	raw      []string
	vals     []template
}

// newCondition splits an operator into its ForAnyValue:/ForAllValues: qualifier, base name and
// IfExists suffix. Operator names are matched case-insensitively: IAM refuses misspelt ones at
// write time, so a policy that reached us spells them right and the leniency costs nothing.
func newCondition(op, key string) *condition {
	c := &condition{op: op, key: key}
	base := strings.ToLower(op)
	if rest, ok := strings.CutPrefix(base, "foranyvalue:"); ok {
		c.set, base = setAny, rest
	} else if rest, ok := strings.CutPrefix(base, "forallvalues:"); ok {
		c.set, base = setAll, rest
	}
	if rest, ok := strings.CutSuffix(base, "ifexists"); ok {
		c.ifExists, base = true, rest
	}
	c.info, c.known = operators[base]
	if c.known && c.info.fam == famNull && (c.set != setNone || c.ifExists) {
		c.known = false // Null takes no qualifier or IfExists; treat such spellings as unknown
	}
	return c
}

func (c *condition) String() string { return c.op + " " + c.key }

type keyState uint8

const (
	keyUnknown keyState = iota
	keyPresent
	keyAbsent
)

// reqCtx is a request prepared for evaluation: lower-cased action and context keys.
type reqCtx struct {
	r      Request
	action string
	ctx    map[string][]string
	absent [][]tok
}

func newReqCtx(r Request) *reqCtx {
	rc := &reqCtx{r: r, action: strings.ToLower(r.Action), ctx: make(map[string][]string, len(r.Context))}
	for k, v := range r.Context {
		lk := strings.ToLower(k)
		rc.ctx[lk] = append(rc.ctx[lk], v...)
	}
	for _, a := range r.Absent {
		rc.absent = append(rc.absent, compile(strings.ToLower(a), true, false).flat)
	}
	return rc
}

// lookup finds a condition key. Key names are case-insensitive ("Key names are case-insensitive",
// "IAM policy elements: Variables and tags"). Context wins over Absent.
func (rc *reqCtx) lookup(key string) ([]string, keyState) {
	k := strings.ToLower(key)
	if v, ok := rc.ctx[k]; ok {
		if len(v) == 0 {
			return nil, keyAbsent
		}
		return v, keyPresent
	}
	for _, a := range rc.absent {
		if glob(a, k) {
			return nil, keyAbsent
		}
	}
	return nil, keyUnknown
}

// eval decides one condition against the request.
func (c *condition) eval(rc *reqCtx) (tri, string) {
	vals, st := rc.lookup(c.key)
	if st == keyUnknown {
		return maybe, fmt.Sprintf("cannot evaluate %s: the key is neither in the request context nor known to be absent", c)
	}
	if c.known && c.info.fam == famNull {
		// "Condition operator to check existence of condition keys": Null true matches an
		// absent key, Null false a present one.
		want := "true"
		if st == keyPresent {
			want = "false"
		}
		for _, v := range c.raw {
			if strings.EqualFold(v, want) {
				return yes, ""
			}
		}
		return no, ""
	}
	if st == keyAbsent {
		return c.absentRule()
	}
	if !c.known || c.info.fam == famUnsupported {
		return maybe, fmt.Sprintf("cannot evaluate %s: operator not supported", c)
	}
	if c.set == setNone && len(vals) > 1 {
		return maybe, fmt.Sprintf("cannot evaluate %s: the key has several values and the operator has no ForAnyValue:/ForAllValues: qualifier", c)
	}
	// Expand the policy values once; a value whose variable cannot be resolved is undecided.
	type expanded struct {
		toks []tok
		ok   bool
		why  string
	}
	pats := make([]expanded, len(c.vals))
	for i, t := range c.vals {
		toks, ok, why := t.expand(rc)
		pats[i] = expanded{toks, ok, why}
	}
	var why string
	// one decides a single request value: for positive operators it matches any policy value
	// (OR); for negated ones it matches none (NOR), per "Conditions with multiple context keys
	// or values".
	one := func(v string) tri {
		m := no
		for i, p := range pats {
			if !p.ok {
				m, why = maybe, fmt.Sprintf("cannot evaluate %s: %s", c, p.why)
				continue
			}
			switch c.match(p.toks, c.raw[i], v) {
			case yes:
				return c.polarity(yes)
			case maybe:
				m, why = maybe, fmt.Sprintf("cannot evaluate %s: the pattern %q is not a six-part ARN", c, c.raw[i])
			}
		}
		return c.polarity(m)
	}
	if c.set == setAny || c.set == setAll {
		// "Set operators for multivalued context keys": ForAnyValue is true when at least one
		// request value satisfies the operator, ForAllValues when every request value does.
		decisive := yes
		if c.set == setAll {
			decisive = no
		}
		if r := quantify(vals, one, decisive); r != decisive {
			return r, why
		}
		return decisive, ""
	}
	r := one(vals[0])
	if r != maybe {
		why = ""
	}
	return r, why
}

// quantify is ForAnyValue (decisive yes) or ForAllValues (decisive no) over the request values:
// decisive at the first value that gives it, else maybe when some value is undecided, else the
// opposite of decisive.
func quantify(vals []string, one func(string) tri, decisive tri) tri {
	res := not(decisive)
	for _, v := range vals {
		switch one(v) {
		case decisive:
			return decisive
		case maybe:
			res = maybe
		}
	}
	return res
}

func (c *condition) polarity(t tri) tri {
	if c.info.negated {
		return not(t)
	}
	return t
}

// absentRule decides a condition whose key is known to be absent from the request, per
// "IAM JSON policy elements: Condition operators": "If the key that you specify in a policy
// condition is not present in the request context, the values do not match and the condition
// is false. If the policy condition requires that the key is not matched, such as StringNotLike
// or ArnNotLike, and the right key is not present, the condition is true." ...IfExists is true
// for an absent key. For the set operators ("Set operators for multivalued context keys"),
// ForAllValues is true when the key is missing and ForAnyValue false, and that holds with
// IfExists too: AWS has been observed denying ForAnyValue:StringEqualsIfExists on a request
// without the key (AWS re:Post, "ForAnyValue:StringEqualsIfExists behaving unexpectedly").
func (c *condition) absentRule() (tri, string) {
	switch {
	case c.set == setAny:
		return no, ""
	case c.set == setAll:
		return yes, ""
	case c.ifExists:
		return yes, ""
	case !c.known:
		return maybe, fmt.Sprintf("cannot evaluate %s: operator not recognised", c)
	case c.info.negated:
		return yes, ""
	}
	return no, ""
}

// match compares one request value with one (expanded) policy value, ignoring negation.
func (c *condition) match(p []tok, raw, v string) tri {
	switch c.info.fam {
	case famString:
		return triOf(text(p) == v)
	case famStringFold:
		return triOf(strings.EqualFold(text(p), v))
	case famLike:
		return triOf(glob(p, v))
	case famArn:
		m, ok := arnLike(p, v)
		if !ok {
			return maybe
		}
		return triOf(m)
	case famBool:
		return triOf(strings.EqualFold(raw, v))
	case famNumeric:
		want, err1 := strconv.ParseFloat(raw, 64)
		got, err2 := strconv.ParseFloat(v, 64)
		if err1 != nil || err2 != nil {
			return no
		}
		switch c.info.cmp {
		case "<":
			return triOf(got < want)
		case "<=":
			return triOf(got <= want)
		case ">":
			return triOf(got > want)
		case ">=":
			return triOf(got >= want)
		}
		return triOf(got == want)
	}
	return maybe
}

func triOf(b bool) tri {
	if b {
		return yes
	}
	return no
}

// applies decides whether the statement applies to the request.
func (s *statement) applies(rc *reqCtx) (tri, string) {
	if !s.principalMatches(rc.r.Principal) || !s.actionMatches(rc.action) {
		return no, ""
	}
	res, why := s.resourceMatches(rc)
	if res == no {
		return no, ""
	}
	for _, c := range s.conds {
		// "Condition" element: all operators and all keys must hold (AND).
		switch t, w := c.eval(rc); t {
		case no:
			return no, ""
		case maybe:
			if res != maybe {
				res, why = maybe, w
			}
		}
	}
	return res, why
}

// principalMatches implements Principal and NotPrincipal ("IAM JSON policy elements: Principal",
// "NotPrincipal"). A statement with neither element is treated as applying to every principal,
// as an identity-based statement does; resource policies other than trust policies normally
// require a Principal, so this only matters for unusual documents.
func (s *statement) principalMatches(p Principal) bool {
	if s.princ == nil {
		return true
	}
	return s.princ.match(p) != s.notPr
}

// match reports whether the principal element names the caller. "*" and {"AWS": "*"} name
// everyone. A service principal is named only by a Service entry: an account id or root ARN
// names principals of that account, which a service principal is not. An account caller is
// named by its account id or root ARN, never by an IAM user or role ARN in that account.
func (ps *principals) match(p Principal) bool {
	if ps.any {
		return true
	}
	if p.Service != "" {
		for _, s := range ps.services {
			if strings.EqualFold(s, p.Service) {
				return true
			}
		}
		return false
	}
	if p.Account != "" {
		for _, a := range ps.accounts {
			if a == p.Account {
				return true
			}
		}
	}
	return false
}

// actionMatches implements Action and NotAction: action names are case-insensitive and may use
// * and ? wildcards ("IAM JSON policy elements: Action").
func (s *statement) actionMatches(action string) bool {
	m := false
	for _, a := range s.acts {
		if glob(a, action) {
			m = true
			break
		}
	}
	return m != s.notAct
}

// resourceMatches implements Resource and NotResource: case-sensitive, with * and ? wildcards
// ("IAM JSON policy elements: Resource"). A statement without either element (a trust policy's)
// matches every resource, and so does any statement when the request names no resource.
func (s *statement) resourceMatches(rc *reqCtx) (tri, string) {
	if s.res == nil || rc.r.Resource == "" {
		return yes, ""
	}
	m, why := no, ""
	for _, t := range s.res {
		toks, ok, w := t.expand(rc)
		if !ok {
			m, why = maybe, fmt.Sprintf("cannot match Resource %q: %s", t.raw, w)
			continue
		}
		if glob(toks, rc.r.Resource) {
			m, why = yes, ""
			break
		}
	}
	if s.notRes {
		m = not(m)
	}
	if m != maybe {
		why = ""
	}
	return m, why
}

// Evaluate decides the request against the policy, per "Policy evaluation logic": an applicable
// Deny wins, then an applicable Allow, else the request is implicitly denied. A statement that
// cannot be decided makes the result Unknown when it could change the answer: a Deny unless
// another Deny definitely applies; an Allow unless another Allow definitely applies.
func (p *Policy) Evaluate(r Request) Result {
	rc := newReqCtx(r)
	var allow, maybeAllow, maybeDeny *statement
	var maybeAllowWhy, maybeDenyWhy string
	for _, s := range p.statements {
		t, why := s.applies(rc)
		switch {
		case t == yes && s.deny:
			return Result{ExplicitDeny, s.label(), fmt.Sprintf("%s denies %s to %s%s", s.name(), r.Action, who(r.Principal), s.condSummary())}
		case t == maybe && s.deny && maybeDeny == nil:
			maybeDeny, maybeDenyWhy = s, why
		case t == yes && allow == nil:
			allow = s
		case t == maybe && !s.deny && maybeAllow == nil:
			maybeAllow, maybeAllowWhy = s, why
		}
	}
	switch {
	case maybeDeny != nil:
		return Result{Unknown, maybeDeny.label(), fmt.Sprintf("%s might deny %s to %s: %s", maybeDeny.name(), r.Action, who(r.Principal), maybeDenyWhy)}
	case allow != nil:
		return Result{Allow, allow.label(), fmt.Sprintf("%s allows %s to %s%s", allow.name(), r.Action, who(r.Principal), allow.condSummary())}
	case maybeAllow != nil:
		return Result{Unknown, maybeAllow.label(), fmt.Sprintf("no statement definitely allows %s to %s; %s might: %s", r.Action, who(r.Principal), maybeAllow.name(), maybeAllowWhy)}
	}
	return Result{ImplicitDeny, "", fmt.Sprintf("no statement allows %s to %s", r.Action, who(r.Principal))}
}

// who names the caller in a Reason.
func who(p Principal) string {
	switch {
	case p.Service != "":
		return p.Service
	case p.Account != "":
		return "account " + p.Account
	}
	return "an anonymous caller"
}

// condSummary lists a statement's conditions for a Reason: " (condition StringEquals k)".
func (s *statement) condSummary() string {
	if len(s.conds) == 0 {
		return ""
	}
	parts := make([]string, len(s.conds))
	for i, c := range s.conds {
		parts[i] = c.String()
	}
	word := "condition"
	if len(parts) > 1 {
		word = "conditions"
	}
	return " (" + word + " " + strings.Join(parts, ", ") + ")"
}
