// Package plan is the data model of `lookout fix`: for each failing finding, the exact AWS API
// actions that would remediate it. A plan is plain data — printed as a table or JSON for review
// without touching AWS, then carried out action by action by internal/fixexec — so that what a
// reviewer approves is exactly what runs.
//
// Plans never hold secrets: no credentials, no code (the Lambda package is named, not
// embedded), and notification addresses only as the user typed them on the command line.
package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// SchemaVersion is the version of the JSON document WriteJSON produces.
const SchemaVersion = 1

// ManagedByTag is the tag every resource lookout creates carries, and by which the executor
// recognises its own resources on a rerun. A resource without it is the user's: lookout never
// deletes or overwrites it.
const (
	ManagedByKey   = "managed-by"
	ManagedByValue = "lookout"
)

// Plan is the remediation of one finding.
type Plan struct {
	CheckID  string `json:"check_id"`
	Account  string `json:"account"`
	Region   string `json:"region"`
	Resource string `json:"resource"`
	// Finding is the failing finding's message: what the plan repairs.
	Finding string   `json:"finding"`
	Actions []Action `json:"actions"`
	// Note explains a plan with no actions (lookout cannot or need not fix this finding) or
	// caveats a reviewer should know (e.g. an email subscription awaits confirmation).
	Note string `json:"note,omitempty"`
}

// Action is one API call: Params is its typed input, and names the call (service and
// operation). Actions are JSON-able (no secrets): the JSON form carries the call's service and
// operation, and its params under the SDK's own field names; a plan read back from JSON gets
// typed params again, strictly (a parameter the operation does not have is an error).
type Action struct {
	Region string `json:"region"` // where the call is made ("global" services still name one)
	// Target names the resource the action creates or changes (an ARN where one exists).
	Target string `json:"target"`
	// Effect says what happens to Target: Create (lookout creates and tags it; if it already
	// exists and carries the managed-by=lookout tag it is left as is, if it exists without the
	// tag the plan stops), Configure (a resource lookout creates, e.g. its bucket's policy),
	// Change (an existing resource of the user's, changed additively: named so the reviewer sees
	// it), or Start (an existing resource's state, e.g. a trail's logging).
	Effect Effect `json:"effect"`
	Params Params `json:"params"`
	Why    string `json:"why"`
	// Outcome and Detail are filled in by the executor under --apply.
	Outcome Outcome `json:"outcome,omitempty"`
	Detail  string  `json:"detail,omitempty"`
}

// actionFields is Action without its methods, for embedding in its JSON form.
type actionFields Action

// MarshalJSON writes the action with its call first: "service" and "operation" (its params'),
// then the fields in their declared order.
func (a Action) MarshalJSON() ([]byte, error) {
	var service, op string
	if a.Params != nil {
		service, op = a.Params.Operation()
	}
	// Patterns and policies are written as the API reference writes them ("&&", ">="):
	// json.Marshal would escape them for HTML, which WriteJSON turns off.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		Service   string `json:"service"` // IAM service prefix: cloudtrail, logs, events, iam...
		Operation string `json:"operation"`
		actionFields
	}{service, op, actionFields(a)})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

// UnmarshalJSON reads an action written by MarshalJSON, decoding its params into the type of
// its operation.
func (a *Action) UnmarshalJSON(b []byte) error {
	var w struct {
		Service   string          `json:"service"`
		Operation string          `json:"operation"`
		Params    json.RawMessage `json:"params"` // shadows actionFields.Params
		actionFields
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	p, err := decodeParams(w.Service, w.Operation, w.Params)
	if err != nil {
		return err
	}
	*a = Action(w.actionFields)
	a.Params = p
	return nil
}

// Outcome is what became of an action under --apply.
type Outcome string

const (
	Done    Outcome = "done"
	Exists  Outcome = "exists"  // already there, tagged managed-by=lookout: left as is
	Failed  Outcome = "failed"  // the call failed, or the target exists and is not lookout's
	Skipped Outcome = "skipped" // not attempted: an earlier action of the plan failed
)

// Effect classifies what an action does to its target.
type Effect string

const (
	Create    Effect = "create"
	Configure Effect = "configure" // set up a resource lookout creates in the same plan
	Change    Effect = "change"    // additive change of an existing resource of the user's
	Start     Effect = "start"     // turn on something existing (no configuration changed)
)

// Key identifies an action for de-duplication: two plans that both need the same SNS topic
// must not create it twice.
func (a Action) Key() string {
	// The params' JSON object form marshals with its keys sorted, at every depth: the key is
	// canonical, whatever the order of the type's fields.
	p, _ := json.Marshal(a.paramsObject())
	return a.IAMAction() + "@" + a.Region + " " + a.Target + " " + string(p)
}

// paramsObject is the params in their JSON form as a generic object, by the SDK's field names
// (numbers kept as written).
func (a Action) paramsObject() map[string]any {
	var obj map[string]any
	if b, err := json.Marshal(a.Params); err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		_ = dec.Decode(&obj)
	}
	return obj
}

// IAMAction is the IAM action the call needs, e.g. "cloudtrail:StartLogging" ("" without
// params).
func (a Action) IAMAction() string {
	if a.Params == nil {
		return ""
	}
	return iamAction(a.Params)
}

// Dedupe drops from later plans the actions an earlier plan already carries (same call, same
// target, same parameters), noting which plan covers them. Plans keep their order.
func Dedupe(plans []Plan) []Plan {
	seen := map[string]string{} // action key -> the plan that carries it
	out := make([]Plan, len(plans))
	for i, p := range plans {
		q := p
		q.Actions = nil
		var covered []string
		for _, a := range p.Actions {
			k := a.Key()
			if by, ok := seen[k]; ok {
				covered = append(covered, fmt.Sprintf("%s %s (planned for %s)", a.IAMAction(), a.Target, by))
				continue
			}
			seen[k] = p.CheckID + " " + p.Region
			q.Actions = append(q.Actions, a)
		}
		if len(covered) > 0 {
			note := "also needs, already in an earlier plan: " + strings.Join(covered, "; ")
			q.Note = joinNotes(q.Note, note)
		}
		out[i] = q
	}
	return out
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Count returns the number of actions over all plans.
func Count(plans []Plan) int {
	n := 0
	for _, p := range plans {
		n += len(p.Actions)
	}
	return n
}

// Sort orders plans by the given check order (the registry's: trails before what depends on
// them), then account, region and resource, so that a plan runs after the plans whose
// resources it uses.
func Sort(plans []Plan, checkOrder []string) {
	rank := map[string]int{}
	for i, id := range checkOrder {
		rank[id] = i
	}
	sort.SliceStable(plans, func(i, j int) bool {
		a, b := plans[i], plans[j]
		if rank[a.CheckID] != rank[b.CheckID] {
			return rank[a.CheckID] < rank[b.CheckID]
		}
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.Resource < b.Resource
	})
}
