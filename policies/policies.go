// Package policies holds the IAM policy documents lookout ships: what `scan` (and
// `collect`) need, read-only, what `fix --apply` needs, what `scan --security-hub` adds and
// what `drill --apply` adds.
// They are embedded so that the least-privilege tests can compare them with the calls lookout
// really makes.
package policies

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
)

// Scan is policies/lookout-scan.json.
//
//go:embed lookout-scan.json
var Scan []byte

// Fix is policies/lookout-fix.json.
//
//go:embed lookout-fix.json
var Fix []byte

// SecurityHub is policies/lookout-securityhub.json: what `scan --security-hub` needs on top of
// Scan, to import the findings into each account's Security Hub.
//
//go:embed lookout-securityhub.json
var SecurityHub []byte

// Drill is policies/lookout-drill.json: what `drill --apply` needs on top of Scan (the drill
// scans first) to exercise the chains it drills.
//
//go:embed lookout-drill.json
var Drill []byte

// DrillTargetTrail is policies/lookout-drill-target-trail.json: what `drill --apply
// --target-trail` needs on top of Drill to stop the named trail and restart it. It is a
// policy of its own because it lets its holder stop any trail: attach it for such a drill only.
//
//go:embed lookout-drill-target-trail.json
var DrillTargetTrail []byte

// Actions lists the actions a policy document allows, sorted, without duplicates. Deny
// statements and NotAction are refused: the shipped policies use neither, and a reader
// should not have to reason about them.
func Actions(doc []byte) ([]string, error) {
	var d struct {
		Statement []struct {
			Sid       string
			Effect    string
			Action    json.RawMessage
			NotAction json.RawMessage
		}
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("policy is not JSON: %w", err)
	}
	set := map[string]bool{}
	for _, st := range d.Statement {
		if st.Effect != "Allow" || st.NotAction != nil {
			return nil, fmt.Errorf("statement %q: only Allow statements with Action are expected", st.Sid)
		}
		var list []string
		if err := json.Unmarshal(st.Action, &list); err != nil {
			var one string
			if err := json.Unmarshal(st.Action, &one); err != nil {
				return nil, fmt.Errorf("statement %q: Action is neither a string nor a list", st.Sid)
			}
			list = []string{one}
		}
		for _, a := range list {
			set[a] = true
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out, nil
}
