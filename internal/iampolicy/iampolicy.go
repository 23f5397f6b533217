// Package iampolicy evaluates one AWS resource-based policy (an SNS topic policy, SQS queue
// policy, KMS key policy, Lambda function policy, EventBridge bus policy or IAM role trust
// policy) against one request, offline.
//
// Why: the checks must judge whether, say, CloudWatch may really publish an alarm to a topic or
// EventBridge may really assume a role. Comparing policy text fails on harmless differences
// (statement order, "SNS:Publish" against "sns:*") and accepts dangerous ones (a Deny further
// down, a condition on another account). No maintained Go library does this, so this package is
// a small hand-written evaluator, standard library only.
//
// Semantics, per the IAM User Guide ("Policy evaluation logic", "IAM JSON policy elements
// reference" and the pages it links), for a resource policy taken alone:
//   - An applicable Deny statement wins (ExplicitDeny); otherwise an applicable Allow
//     statement allows (Allow); otherwise the request is implicitly denied (ImplicitDeny).
//   - A statement applies when its Principal, Action, Resource and Condition elements all
//     match the request.
//   - The evaluator never guesses. A statement whose applicability cannot be decided (an
//     operator it does not implement, a condition key the request neither carries nor is
//     known to lack, a policy variable it cannot resolve) is "unknown". An unknown Deny, when
//     no Deny definitely applies, makes the answer Unknown (it might deny); so does an unknown
//     Allow when no Allow definitely applies. Unknown results name the statement and the
//     operator and key that could not be evaluated.
//   - Condition operators implemented: String*, Arn*, Numeric*, Bool and Null, with IfExists
//     and the ForAnyValue:/ForAllValues: qualifiers. Date*, IpAddress, NotIpAddress and
//     BinaryEquals are recognised but not compared: they are Unknown unless the key is absent
//     and the absent-key rule alone decides them.
//
// Parse rejects malformed documents with an error naming where: a JSON offset with line and
// column for syntax errors, and a path such as `Statement[2].Condition.StringEquals` (indexes
// are 0-based, as in JSON paths) for structural ones. No input makes Parse or Evaluate panic.
package iampolicy

import (
	"fmt"
	"strings"
)

// MaxDocumentBytes bounds the document size Parse accepts. AWS's own limits are smaller (a KMS
// key policy, the largest of the policies this package reads, holds at most 32 KiB); this one
// only keeps hostile input from costing time or memory.
const MaxDocumentBytes = 64 << 10

// MaxDepth bounds JSON nesting. A valid policy nests at most six levels (document, Statement
// array, statement, Condition, operator block, value list), so 32 is generous.
const MaxDepth = 32

// Principal is who makes the call: a service principal ("cloudwatch.amazonaws.com") or an AWS
// account id ("123456789012"). When Service is set the caller is that service principal and
// Account is ignored for Principal matching. Both empty is an anonymous caller, which only
// "*" principals match.
type Principal struct {
	Service string
	Account string
}

// Request is one call on a resource.
//
// Absent entries may end in "/*" to cover a family of keys ("aws:PrincipalTag/*"). A key in
// Context with no values counts as absent: IAM treats an empty value set as a null data set.
// A key in neither Context nor Absent is unknown, and any condition on it evaluates to Unknown.
type Request struct {
	Principal Principal
	Action    string              // e.g. "sns:Publish", "kms:GenerateDataKey", "sts:AssumeRole"
	Resource  string              // ARN of the resource; "" for trust policies (no Resource element)
	Context   map[string][]string // condition keys the request carries, with values; key lookup case-insensitive
	Absent    []string            // condition keys known NOT to be in the request (case-insensitive)
}

// Decision is the outcome of evaluating a request.
type Decision int

// The decisions, in the vocabulary of the IAM User Guide's "Policy evaluation logic".
const (
	ImplicitDeny Decision = iota // no statement allows the request
	Allow                        // an Allow statement applies and no Deny does
	ExplicitDeny                 // a Deny statement applies
	Unknown                      // a statement that might decide the request could not be evaluated
)

// String returns "implicit deny", "allow", "explicit deny" or "unknown".
func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "implicit deny"
	case Allow:
		return "allow"
	case ExplicitDeny:
		return "explicit deny"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// Result is the decision with the statement that decided it and a one-sentence explanation.
type Result struct {
	Decision  Decision
	Statement string // the deciding statement: `Sid "X"` or "statement 3" (1-based); "" for implicit deny
	Reason    string // one sentence for a security engineer
}

// Policy is a parsed policy document. It is immutable and safe for concurrent use.
type Policy struct {
	version    string
	statements []*statement
}

// Version returns the document's Version element, "" when it has none.
func (p *Policy) Version() string { return p.version }

// statement is one parsed Statement entry.
type statement struct {
	num    int // 1-based position in the document
	sid    string
	deny   bool
	princ  *principals // nil when the statement has neither Principal nor NotPrincipal
	notPr  bool
	acts   [][]tok // lower-cased, compiled Action or NotAction patterns
	notAct bool
	res    []template // nil when the statement has neither Resource nor NotResource
	notRes bool
	conds  []*condition
}

// label names the statement for Result.Statement: `Sid "X"` or "statement 3".
func (s *statement) label() string {
	if s.sid != "" {
		return fmt.Sprintf("Sid %q", s.sid)
	}
	return fmt.Sprintf("statement %d", s.num)
}

// name names the statement in a sentence: `statement "X"` or "statement 3".
func (s *statement) name() string {
	if s.sid != "" {
		return fmt.Sprintf("statement %q", s.sid)
	}
	return fmt.Sprintf("statement %d", s.num)
}

// principals is a parsed Principal or NotPrincipal element.
type principals struct {
	any      bool     // "*" or {"AWS": "*"}
	services []string // {"Service": ...}
	accounts []string // {"AWS": "123456789012"} or {"AWS": "arn:aws:iam::123456789012:root"}
	// IAM user, role and session ARNs, Federated and CanonicalUser entries are accepted but kept
	// nowhere: they never match the service or account principals a Request describes.
}

// Parse parses a policy document given as JSON text.
func Parse(doc string) (*Policy, error) {
	if len(doc) > MaxDocumentBytes {
		return nil, fmt.Errorf("iampolicy: document is %d bytes, over the %d-byte limit", len(doc), MaxDocumentBytes)
	}
	root, err := decodeJSON(doc)
	if err != nil {
		return nil, err
	}
	if root.kind != jObject {
		return nil, fmt.Errorf("iampolicy: the policy document must be a JSON object")
	}
	p := &Policy{}
	var stmts *jnode
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "Version":
			// "IAM JSON policy elements: Version": only these two versions exist. Policy
			// variables are recognised only under 2012-10-17.
			if v.kind != jString || (v.str != "2012-10-17" && v.str != "2008-10-17") {
				return nil, perr("Version", `must be "2012-10-17" or "2008-10-17"`)
			}
			p.version = v.str
		case "Id":
			if v.kind != jString {
				return nil, perr("Id", "must be a string")
			}
		case "Statement":
			stmts = v
		default:
			return nil, perr(k, "unknown policy element (element names are case-sensitive)")
		}
	}
	if stmts == nil {
		return nil, fmt.Errorf("iampolicy: the document has no Statement element")
	}
	vars := p.version == "2012-10-17"
	switch stmts.kind {
	case jObject:
		s, err := parseStatement(stmts, "Statement", 1, vars)
		if err != nil {
			return nil, err
		}
		p.statements = append(p.statements, s)
	case jArray:
		if len(stmts.vals) == 0 {
			return nil, perr("Statement", "is empty")
		}
		for i, sv := range stmts.vals {
			path := fmt.Sprintf("Statement[%d]", i)
			if sv.kind != jObject {
				return nil, perr(path, "must be an object")
			}
			s, err := parseStatement(sv, path, i+1, vars)
			if err != nil {
				return nil, err
			}
			p.statements = append(p.statements, s)
		}
	default:
		return nil, perr("Statement", "must be an object or an array of objects")
	}
	return p, nil
}

// perr is a structural parse error at a path in the document.
func perr(path, msg string) error {
	return fmt.Errorf("iampolicy: %s: %s", path, msg)
}

func parseStatement(n *jnode, path string, num int, vars bool) (*statement, error) {
	s := &statement{num: num}
	var haveEffect bool
	seen := map[string]bool{}
	for i, k := range n.keys {
		v := n.vals[i]
		p := path + "." + k
		seen[k] = true
		var err error
		switch k {
		case "Sid":
			if v.kind != jString {
				return nil, perr(p, "must be a string")
			}
			s.sid = v.str
		case "Effect":
			// "IAM JSON policy elements: Effect": the value is Allow or Deny, and IAM rejects
			// any other spelling, "allow" included.
			if v.kind != jString || (v.str != "Allow" && v.str != "Deny") {
				return nil, perr(p, fmt.Sprintf(`%s is not "Allow" or "Deny" (case-sensitive)`, v.describe()))
			}
			s.deny, haveEffect = v.str == "Deny", true
		case "Principal", "NotPrincipal":
			s.princ, err = parsePrincipal(v, p)
			s.notPr = k == "NotPrincipal"
		case "Action", "NotAction":
			var list []string
			list, err = stringList(v, p)
			for _, a := range list {
				s.acts = append(s.acts, compile(strings.ToLower(a), true, false).flat)
			}
			s.notAct = k == "NotAction"
		case "Resource", "NotResource":
			var list []string
			list, err = stringList(v, p)
			for _, r := range list {
				s.res = append(s.res, compile(r, true, vars))
			}
			s.notRes = k == "NotResource"
		case "Condition":
			s.conds, err = parseConditions(v, p, vars)
		default:
			err = perr(p, "unknown statement element (element names are case-sensitive)")
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case !haveEffect:
		return nil, perr(path, "missing Effect")
	case seen["Action"] && seen["NotAction"]:
		return nil, perr(path, "has both Action and NotAction")
	case !seen["Action"] && !seen["NotAction"]:
		return nil, perr(path, "missing Action (or NotAction)")
	case seen["Principal"] && seen["NotPrincipal"]:
		return nil, perr(path, "has both Principal and NotPrincipal")
	case seen["Resource"] && seen["NotResource"]:
		return nil, perr(path, "has both Resource and NotResource")
	}
	return s, nil
}

// parsePrincipal reads a Principal or NotPrincipal element, per "IAM JSON policy elements:
// Principal": "*", or an object whose keys are AWS, Service, Federated and CanonicalUser, each
// with a string or a list of strings.
func parsePrincipal(n *jnode, path string) (*principals, error) {
	ps := &principals{}
	if n.kind == jString {
		if n.str != "*" {
			return nil, perr(path, `a principal given as a string must be "*"`)
		}
		ps.any = true
		return ps, nil
	}
	if n.kind != jObject {
		return nil, perr(path, `must be "*" or an object`)
	}
	if len(n.keys) == 0 {
		return nil, perr(path, "is empty")
	}
	for i, k := range n.keys {
		p := path + "." + k
		list, err := stringList(n.vals[i], p)
		if err != nil {
			return nil, err
		}
		switch k {
		case "AWS":
			for _, a := range list {
				switch {
				case a == "*":
					// "Principal": {"AWS": "*"} is documented as equivalent to "Principal": "*":
					// everyone, service principals included.
					ps.any = true
				case isAccountID(a):
					ps.accounts = append(ps.accounts, a)
				default:
					if acct, ok := rootARNAccount(a); ok {
						ps.accounts = append(ps.accounts, acct)
					}
				}
			}
		case "Service":
			ps.services = append(ps.services, list...)
		case "Federated", "CanonicalUser":
			// Never matches a service or account principal.
		default:
			return nil, perr(p, "unknown principal type (want AWS, Service, Federated or CanonicalUser)")
		}
	}
	return ps, nil
}

// isAccountID reports whether s is a 12-digit AWS account id.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// rootARNAccount returns the account of an account principal ARN, arn:PARTITION:iam::ACCOUNT:root.
// "Principal" in the IAM User Guide: the root ARN and the bare account id both name the account.
func rootARNAccount(s string) (string, bool) {
	f := strings.Split(s, ":")
	if len(f) != 6 || f[0] != "arn" || f[2] != "iam" || f[3] != "" || f[5] != "root" || !isAccountID(f[4]) {
		return "", false
	}
	return f[4], true
}

// stringList reads a value that may be one string or a non-empty list of strings, as Action,
// Resource and the principal lists are.
func stringList(n *jnode, path string) ([]string, error) {
	switch n.kind {
	case jString:
		return []string{n.str}, nil
	case jArray:
		if len(n.vals) == 0 {
			return nil, perr(path, "is an empty list")
		}
		out := make([]string, 0, len(n.vals))
		for i, e := range n.vals {
			if e.kind != jString {
				return nil, perr(fmt.Sprintf("%s[%d]", path, i), "must be a string")
			}
			out = append(out, e.str)
		}
		return out, nil
	}
	return nil, perr(path, "must be a string or a list of strings")
}

// parseConditions reads a Condition element: operator -> {key -> value or [values]}.
// "IAM JSON policy elements: Condition" allows strings, numbers and booleans as values; all are
// compared as their text.
func parseConditions(n *jnode, path string, vars bool) ([]*condition, error) {
	if n.kind != jObject {
		return nil, perr(path, "must be an object of condition operators")
	}
	var out []*condition
	for i, op := range n.keys {
		block := n.vals[i]
		bp := path + "." + op
		if block.kind != jObject {
			return nil, perr(bp, "must be an object of condition keys")
		}
		for j, key := range block.keys {
			kp := bp + "." + key
			c := newCondition(op, key)
			var raw []*jnode
			switch v := block.vals[j]; v.kind {
			case jArray:
				raw = v.vals
			default:
				raw = []*jnode{v}
			}
			for k, e := range raw {
				if e.kind != jString && e.kind != jNumber && e.kind != jBool {
					if len(raw) == 1 && block.vals[j].kind != jArray {
						return nil, perr(kp, "must be a string, number, boolean or a list of them")
					}
					return nil, perr(fmt.Sprintf("%s[%d]", kp, k), "must be a string, number or boolean")
				}
				c.raw = append(c.raw, e.str)
				c.vals = append(c.vals, compile(e.str, c.info.wild, vars && c.info.vars))
			}
			out = append(out, c)
		}
	}
	return out, nil
}
