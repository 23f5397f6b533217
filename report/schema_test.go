package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	invopop "github.com/invopop/jsonschema"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
	"github.com/lookout-audit/lookout/internal/verdict"
)

var update = flag.Bool("update", false, "rewrite the published JSON report schema (schemas/report.schema.json)")

const schemaFile = "../schemas/report.schema.json"

// reportSchema is the JSON Schema of the JSON report, derived from the Go types the report is
// written from: every evidence kind is one branch of "evidence", told apart by its "kind".
func reportSchema() ([]byte, error) {
	evidence := reflect.TypeFor[checks.Evidence]()
	r := &invopop.Reflector{ExpandedStruct: true, Mapper: func(t reflect.Type) *invopop.Schema {
		switch t {
		case evidence:
			return &invopop.Schema{Ref: "#/$defs/Evidence"}
		case reflect.TypeFor[verdict.Verdict]():
			return &invopop.Schema{Type: "string", Enum: []any{"PASS", "FAIL", "ERROR", "WAIVED"}}
		case reflect.TypeFor[checks.Severity]():
			return &invopop.Schema{Type: "string", Enum: []any{"critical", "high", "medium", "low"}}
		case reflect.TypeFor[route.BrokenLink](), reflect.TypeFor[route.ChainLink]():
			return &invopop.Schema{Type: "string", Description: "a link of the chain, as the message names it"}
		case reflect.TypeFor[time.Time]():
			return &invopop.Schema{Type: "string", Format: "date-time"}
		}
		return nil
	}}
	root := r.Reflect(&Report{})
	kinds := checks.EvidenceKinds()
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range kinds {
			if !yield(k) {
				return
			}
		}
	})
	var branches []*invopop.Schema
	for _, kind := range names {
		s := r.Reflect(kinds[kind])
		for name, def := range s.Definitions {
			root.Definitions[name] = def
		}
		name := reflect.TypeOf(kinds[kind]).Name()
		def := root.Definitions[name]
		if def == nil {
			def = &invopop.Schema{Type: "object", Properties: s.Properties, Required: s.Required, AdditionalProperties: s.AdditionalProperties}
			root.Definitions[name] = def
		}
		def.Properties.Set("kind", &invopop.Schema{Const: kind})
		def.Required = append([]string{"kind"}, def.Required...)
		branches = append(branches, &invopop.Schema{Ref: "#/$defs/" + name})
	}
	root.Definitions["Evidence"] = &invopop.Schema{
		Description: "what the check read to reach its verdict; \"kind\" names the type (evidence of an unknown kind, from another lookout, is kept as it was)",
		OneOf:       branches,
	}
	// Go writes a nil slice as null: an array may be null wherever it is not omitted.
	for _, def := range root.Definitions {
		nullableArrays(def)
	}
	root.ID = "https://github.com/lookout-audit/lookout/schemas/report.schema.json"
	b, err := json.MarshalIndent(root, "", "  ")
	return append(b, '\n'), err
}

// TestReportSchemaIsPublished: the schema in schemas/ is the one the types give (go test
// ./report -run ReportSchema -update rewrites it), and the demo organisation's report, every
// kind of evidence in it, validates against it.
func TestReportSchemaIsPublished(t *testing.T) {
	want, err := reportSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v (run go test ./report -run ReportSchema -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not what the report's types give: run go test ./report -run ReportSchema -update and review the change", schemaFile)
	}

	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("file:///report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("file:///report.schema.json")
	if err != nil {
		t.Fatalf("the published schema does not compile: %v", err)
	}
	s, err := snapshot.Load("../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	s.Accounts = append(s.Accounts, snapshot.Account{ID: "999999999999", Error: &snapshot.ReadError{Operation: "sts:AssumeRole", Code: "AccessDenied", Message: "denied"}})
	fs := checks.Run(s, checks.All(), checks.Options{})
	rep := New(fs, Scope{Accounts: []string{"111111111111"}, Regions: []string{"us-east-1"}}, s.CollectedAt)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the demo report does not validate against %s: %v", schemaFile, err)
	}
	// And the schema can fail: a finding with an unknown status does not validate.
	bad := bytes.Replace(buf.Bytes(), []byte(`"status": "FAIL"`), []byte(`"status": "BROKEN"`), 1)
	inst, _ = jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if sch.Validate(inst) == nil {
		t.Error("a report with status BROKEN validates")
	}
}

// nullableArrays lets every array below s also be null.
func nullableArrays(s *invopop.Schema) {
	if s == nil {
		return
	}
	if s.Properties != nil {
		for p := s.Properties.Oldest(); p != nil; p = p.Next() {
			if p.Value.Type == "array" {
				arr := *p.Value
				*p.Value = invopop.Schema{AnyOf: []*invopop.Schema{&arr, {Type: "null"}}}
				nullableArrays(arr.Items)
				continue
			}
			nullableArrays(p.Value)
		}
	}
	nullableArrays(s.Items)
	nullableArrays(s.AdditionalProperties)
}
