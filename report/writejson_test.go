package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"
)

// TestWriteJSONStreamsWhatEncoderWrites: WriteJSON, which writes one finding at a time, writes
// byte for byte what a json.Encoder (indent two spaces, no HTML escaping) writes for the whole
// report: with evidence of every shape, characters JSON or HTML escape, no findings, and a nil
// list.
func TestWriteJSONStreamsWhatEncoderWrites(t *testing.T) {
	var fs []checks.Finding
	for i := 0; i < 25; i++ {
		f := checks.Finding{CheckID: fmt.Sprintf("check-%d", i%4), Title: "t <&> \"q\" \u2028 é", Severity: "high", Status: checks.Fail,
			Account: "123456789012", Region: "us-east-1", Resource: "arn:aws:x", Message: "line1\nline2\ttab \\ back"}
		switch i % 5 {
		case 0:
			f.Evidence = rawEvidence(map[string]any{"rules": []any{map[string]any{"name": "r<1>", "n": 1.5}, "x"}, "empty": map[string]any{}, "none": []any{}, "nil": nil})
		case 1:
			f.Evidence = rawEvidence(map[string]any{"nested": map[string]any{"a": map[string]any{"b": []string{"&", "<", ">"}}}, "bool": true})
			f.Fix = &checks.FixHint{Available: true, Summary: "do <this>"}
		case 2:
			f.Frameworks = map[string]string{"cis-aws-7.0": "4.1", "aws-securityhub": "CloudWatch.1"}
			f.Waiver = &checks.WaiverNote{Reason: "accepted & known", Expires: "2027-01-01"}
		case 3:
			f.Evidence = rawEvidence(map[string]any{})
		}
		fs = append(fs, f)
	}
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for name, r := range map[string]*Report{
		"findings": New(fs, Scope{Accounts: []string{"123456789012"}, Regions: []string{"us-east-1", "eu-west-1"}, Shard: "1/2"}, now),
		"one":      New(fs[:1], Scope{}, now),
		"none":     New(nil, Scope{}, now),
		"nil list": {SchemaVersion: SchemaVersion, Tool: Tool{Name: "lookout"}, GeneratedAt: now},
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := WriteJSON(&got, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.String() != want.String() {
			t.Errorf("%s: WriteJSON wrote\n%s\nwant\n%s", name, got.String(), want.String())
		}
	}
}

// rawEvidence is evidence of any shape, as a report from another lookout may hold.
func rawEvidence(v any) checks.Evidence {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return checks.RawEvidence{Kind: "test", JSON: b}
}
