// Package runbook reads what an SSM Automation document does: the role it runs with and the
// AWS API calls its steps make, so that a remediation runbook is judged by its steps rather
// than by its name.
//
// An Automation document (schemaVersion 0.3) is JSON or YAML with a top-level assumeRole —
// usually "{{ AutomationAssumeRole }}", a parameter the caller passes — and mainSteps, each with
// an action. Only aws:executeAwsApi names the call it makes (inputs Service and Api: the
// service's SDK name such as "cloudtrail", the operation such as "StartLogging"). Steps that run
// code (aws:executeScript, aws:invokeLambdaFunction, aws:runCommand, aws:executeStateMachine)
// or start other runbooks (aws:executeAutomation) make calls a reader of the document cannot
// see. (AWS Systems Manager user guide, "Systems Manager Automation actions reference" and
// "Running an automation with an assumed role".)
package runbook

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Document is what lookout reads of an Automation document.
type Document struct {
	// AssumeRole is the document's assumeRole as written: a role ARN, a parameter reference
	// ("{{ AutomationAssumeRole }}"), or "" when the document names none (it then runs with
	// the permissions of whoever started it).
	AssumeRole string
	// Calls are the aws:executeAwsApi steps' calls, in step order.
	Calls []Call
	// Opaque names the steps whose calls cannot be read from the document, e.g.
	// "RunScript (aws:executeScript)".
	Opaque []string
}

// Call is one aws:executeAwsApi step: Service as the step names it (lower case, e.g.
// "cloudtrail") and Api the operation ("StartLogging").
type Call struct {
	Step, Service, Api string
}

// Action is the call as an IAM action, e.g. "cloudtrail:StartLogging".
func (c Call) Action() string { return strings.ToLower(c.Service) + ":" + c.Api }

// opaqueActions run code or other documents: what they call is not in the document.
var opaqueActions = map[string]bool{
	"aws:executeScript":        true,
	"aws:invokeLambdaFunction": true,
	"aws:runCommand":           true,
	"aws:executeAutomation":    true,
	"aws:executeStateMachine":  true,
}

// maxSize bounds what is parsed: SSM documents are at most 64 KB.
const maxSize = 1 << 16

// Parse reads an Automation document in JSON or YAML (JSON is YAML).
func Parse(content string) (*Document, error) {
	if len(content) > maxSize {
		return nil, fmt.Errorf("runbook: the document is %d bytes, more than SSM's 64 KB", len(content))
	}
	var raw struct {
		SchemaVersion string `yaml:"schemaVersion"`
		AssumeRole    any    `yaml:"assumeRole"`
		MainSteps     []struct {
			Name   string         `yaml:"name"`
			Action string         `yaml:"action"`
			Inputs map[string]any `yaml:"inputs"`
		} `yaml:"mainSteps"`
	}
	if err := yaml.Unmarshal([]byte(content), &raw); err != nil {
		return nil, fmt.Errorf("runbook: the document is neither JSON nor YAML: %w", err)
	}
	if raw.MainSteps == nil {
		return nil, errors.New("runbook: the document has no mainSteps (not an Automation document)")
	}
	d := &Document{}
	switch r := raw.AssumeRole.(type) {
	case nil:
	case string:
		d.AssumeRole = strings.TrimSpace(r)
	default:
		return nil, fmt.Errorf("runbook: assumeRole is a %T, not a string", raw.AssumeRole)
	}
	for i, st := range raw.MainSteps {
		name := st.Name
		if name == "" {
			name = fmt.Sprintf("step %d", i+1)
		}
		switch {
		case st.Action == "aws:executeAwsApi":
			svc, _ := st.Inputs["Service"].(string)
			api, _ := st.Inputs["Api"].(string)
			if svc == "" || api == "" || strings.Contains(svc+api, "{{") {
				d.Opaque = append(d.Opaque, name+" (aws:executeAwsApi without a literal Service and Api)")
				continue
			}
			d.Calls = append(d.Calls, Call{Step: name, Service: svc, Api: api})
		case opaqueActions[st.Action]:
			d.Opaque = append(d.Opaque, name+" ("+st.Action+")")
		}
	}
	return d, nil
}

// CallsAction reports whether some aws:executeAwsApi step makes the IAM action (e.g.
// "cloudtrail:StartLogging"), compared without regard to case as IAM compares actions.
func (d *Document) CallsAction(action string) (Call, bool) {
	for _, c := range d.Calls {
		if strings.EqualFold(c.Action(), action) {
			return c, true
		}
	}
	return Call{}, false
}

var paramRef = regexp.MustCompile(`^\{\{\s*([A-Za-z0-9_.]+)\s*\}\}$`)

// RoleParameter is the parameter the document's assumeRole names ("AutomationAssumeRole" for
// "{{ AutomationAssumeRole }}"), or "" when assumeRole is empty or a literal.
func (d *Document) RoleParameter() string {
	if m := paramRef.FindStringSubmatch(d.AssumeRole); m != nil {
		return m[1]
	}
	return ""
}
