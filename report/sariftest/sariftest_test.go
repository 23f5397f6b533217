package sariftest_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/report"
	"github.com/lookout-audit/lookout/report/sariftest"
)

// valid is a lookout SARIF document with one result, as a generic tree to break.
func valid(t *testing.T) map[string]any {
	t.Helper()
	f := checks.Finding{CheckID: "cloudtrail-logging", Title: "t", Severity: checks.Critical, Status: checks.Fail,
		Account: "123456789012", Region: "us-east-1", Resource: "arn:aws:cloudtrail:us-east-1:123456789012:trail/main",
		Message: "trail main is not logging"}
	var buf bytes.Buffer
	if err := report.WriteSARIF(&buf, report.New([]checks.Finding{f}, report.Scope{Accounts: []string{f.Account}}, time.Now()), report.SARIFOptions{}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func run(doc map[string]any) map[string]any { return doc["runs"].([]any)[0].(map[string]any) }
func result(doc map[string]any) map[string]any {
	return run(doc)["results"].([]any)[0].(map[string]any)
}
func rule(doc map[string]any) map[string]any {
	return run(doc)["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)[0].(map[string]any)
}
func physical(doc map[string]any) map[string]any {
	return result(doc)["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)
}

// The checker must catch each trap other scanners fell into; a checker that cannot fail
// would make every SARIF test vacuous.
func TestCheckerCatchesGitHubTraps(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(doc map[string]any)
		want   string
	}{
		{"ARN as uri (trivy)", func(d map[string]any) {
			physical(d)["artifactLocation"].(map[string]any)["uri"] = "arn:aws:cloudtrail:us-east-1:123456789012:trail/main"
		}, "scheme"},
		{"empty uri", func(d map[string]any) { physical(d)["artifactLocation"].(map[string]any)["uri"] = "" }, "empty"},
		{"uri with space", func(d map[string]any) { physical(d)["artifactLocation"].(map[string]any)["uri"] = "aws/a b" }, "white space"},
		{"logical-only location", func(d map[string]any) {
			delete(result(d)["locations"].([]any)[0].(map[string]any), "physicalLocation")
		}, "logical-only"},
		{"no location", func(d map[string]any) { result(d)["locations"] = []any{} }, "locations"},
		{"no fingerprint", func(d map[string]any) { delete(result(d), "partialFingerprints") }, "primaryLocationLineHash"},
		{"numeric security-severity", func(d map[string]any) { rule(d)["properties"].(map[string]any)["security-severity"] = 9.5 }, "must be a string"},
		{"no security tag", func(d map[string]any) { rule(d)["properties"].(map[string]any)["tags"] = []any{"aws"} }, "security"},
		{"no help.markdown", func(d map[string]any) { delete(rule(d)["help"].(map[string]any), "markdown") }, "help.markdown"},
		{"empty fix", func(d map[string]any) { result(d)["fixes"] = []any{map[string]any{"artifactChanges": []any{}}} }, "artifactChanges"},
		{"no category", func(d map[string]any) { delete(run(d), "automationDetails") }, "automationDetails"},
		{"short first sentence", func(d map[string]any) { result(d)["message"] = map[string]any{"text": "Bad. The rest."} }, "stand alone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := valid(t)
			if p := sariftest.GitHubProblems(mustJSON(t, doc)); len(p) != 0 {
				t.Fatalf("the unbroken document has problems: %v", p)
			}
			c.break_(doc)
			p := sariftest.GitHubProblems(mustJSON(t, doc))
			if !strings.Contains(strings.Join(p, "\n"), c.want) {
				t.Errorf("problems %q do not mention %q", p, c.want)
			}
		})
	}
}

func TestSchemaCatchesInvalidDocument(t *testing.T) {
	doc := valid(t)
	if err := sariftest.ValidateSchema(mustJSON(t, doc)); err != nil {
		t.Fatalf("valid document rejected: %v", err)
	}
	doc["version"] = "2.0.0"
	result(doc)["level"] = "critical"
	if err := sariftest.ValidateSchema(mustJSON(t, doc)); err == nil {
		t.Error("schema accepted version 2.0.0 and level critical")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
