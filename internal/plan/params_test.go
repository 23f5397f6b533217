package plan_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/plan"
)

// TestActionJSONRoundTrip: an action is written with its call first ("service", "operation")
// and its params under the SDK's field names, and reads back to the same typed action.
func TestActionJSONRoundTrip(t *testing.T) {
	plans := samplePlans()
	plans[1].Actions[0].Outcome, plans[1].Actions[0].Detail = plan.Failed, "AccessDenied"
	var buf bytes.Buffer
	if err := plan.WriteJSON(&buf, plan.NewDocument(plans, true, plan.Tool{Name: "lookout"}, t0)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`"service": "cloudtrail",
          "operation": "StartLogging",
          "region": "us-west-2",`,
		`"logGroupName": "aws-cloudtrail-logs-`, `"metricTransformations": [`, `"AlarmName": "lookout-root-usage"`,
		`"outcome": "failed"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the JSON plan lacks %s:\n%s", want, out)
		}
	}
	var back plan.Document
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Plans, plans) {
		t.Errorf("read back:\n%+v\nwant:\n%+v", back.Plans, plans)
	}
}

// TestActionJSONIsStrict: a plan read back from JSON cannot carry a parameter its operation
// does not have, nor an operation lookout does not plan.
func TestActionJSONIsStrict(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown parameter":     `{"service":"cloudtrail","operation":"StartLogging","params":{"TrailName":"main"}}`,
		"case-folded parameter": `{"service":"logs","operation":"CreateLogGroup","params":{"LogGroupName":"g"}}`,
		"wrong type":            `{"service":"cloudwatch","operation":"PutMetricAlarm","params":{"Period":"300"}}`,
		"unknown operation":     `{"service":"cloudtrail","operation":"DeleteTrail","params":{"Name":"main"}}`,
	} {
		var a plan.Action
		if err := json.Unmarshal([]byte(doc), &a); err == nil {
			t.Errorf("%s: read as %+v", name, a)
		}
	}
	var a plan.Action
	if err := json.Unmarshal([]byte(`{"service":"logs","operation":"CreateLogGroup","params":{"logGroupName":"g"}}`), &a); err != nil ||
		!reflect.DeepEqual(a.Params, plan.CreateLogGroup{LogGroupName: "g"}) {
		t.Errorf("got %+v, %v", a, err)
	}
}

// TestKeyIsCanonical: the same call with the same params has one key, however its maps were
// filled; another value is another key.
func TestKeyIsCanonical(t *testing.T) {
	mk := func(params map[string][]string) plan.Action {
		return plan.Action{Region: "eu-west-1", Target: "t", Params: plan.CreateAssociation{Name: "doc", AssociationName: "a", Parameters: params}}
	}
	a := map[string][]string{"action": {"configure"}, "mode": {"ec2"}, "optionalRestart": {"yes"}}
	b := map[string][]string{"optionalRestart": {"yes"}, "mode": {"ec2"}, "action": {"configure"}}
	if mk(a).Key() != mk(b).Key() {
		t.Errorf("keys differ: %s / %s", mk(a).Key(), mk(b).Key())
	}
	if !strings.HasPrefix(mk(a).Key(), "ssm:CreateAssociation@eu-west-1 t ") {
		t.Errorf("key %s", mk(a).Key())
	}
	b["mode"] = []string{"onPremise"}
	if mk(a).Key() == mk(b).Key() {
		t.Error("different params, same key")
	}
}

// TestEveryOperationDecodes: each params type reads back under its own operation.
func TestEveryOperationDecodes(t *testing.T) {
	ops := plan.Operations()
	if len(ops) == 0 {
		t.Fatal("no operations")
	}
	for _, op := range ops {
		service, operation, _ := strings.Cut(op, ":")
		var a plan.Action
		doc := `{"service":"` + service + `","operation":"` + operation + `","params":{}}`
		if err := json.Unmarshal([]byte(doc), &a); err != nil || a.IAMAction() != op {
			t.Errorf("%s: read as %s, %v", op, a.IAMAction(), err)
		}
	}
}

// TestActionJSONIsNotHTMLEscaped: a filter pattern and a reason read in the JSON plan as the
// API reference writes them ("&&", ">="), not as "\u0026\u0026".
func TestActionJSONIsNotHTMLEscaped(t *testing.T) {
	p := plan.Plan{CheckID: "cis-root-usage-alarm", Actions: []plan.Action{{
		Region: "us-east-1", Target: "f", Effect: plan.Create, Why: "Sum >= 1",
		Params: plan.PutMetricFilter{LogGroupName: "g", FilterName: "f", FilterPattern: `{ $.userIdentity.type = "Root" && $.eventType != "AwsServiceEvent" }`},
	}}}
	var buf bytes.Buffer
	if err := plan.WriteJSON(&buf, plan.NewDocument([]plan.Plan{p}, false, plan.Tool{Name: "lookout"}, t0)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, `\u00`) || !strings.Contains(out, `\"Root\" && $.eventType`) || !strings.Contains(out, `"why": "Sum >= 1"`) {
		t.Errorf("the JSON plan escapes for HTML:\n%s", out)
	}
}
