package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// demoReport is the report of a scan of the demo organisation (fixtures/demo-org.json), as
// `lookout scan --snapshot` builds it.
func demoReport(t *testing.T) *Report {
	t.Helper()
	snap, err := snapshot.Load("../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	var opts checks.Options
	fs := checks.Run(snap, checks.All(), opts)
	checks.AnnotateFixes(snap, fs, opts)
	var sc Scope
	for _, a := range snap.Accounts {
		sc.Accounts = append(sc.Accounts, a.ID)
	}
	sc.Regions = snap.Regions
	return New(fs, sc, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
}

// streamReports are the reports the streaming writers are held to their whole-document
// originals with: the demo organisation's, many results, one, none, and findings of every
// status with text JSON, HTML and XML escape.
func streamReports(t *testing.T) map[string]*Report {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	var fs []checks.Finding
	statuses := []checks.Status{checks.Fail, checks.Pass, checks.Error, checks.Waived, checks.Fail}
	for i := range 40 {
		f := checks.Finding{CheckID: []string{"cloudtrail-logging", "cloudwatch-root-usage-alarm", "future-check"}[i%3],
			Title: "t <&> \"q\" \u2028 é", Severity: []checks.Severity{checks.Critical, checks.High, checks.Medium, checks.Low}[i%4],
			Status: statuses[i%5], Account: fmt.Sprintf("%012d", 100000000000+i%3), Region: "us-east-1",
			Resource: fmt.Sprintf("arn:aws:logs:us-east-1:123456789012:log-group:/aws/x <%d>:*", i), Message: "line1\nline2\ttab \\ back & <b>"}
		switch i % 4 {
		case 0:
			f.Evidence = checks.RawEvidence{Kind: "future", JSON: json.RawMessage(`{"kind":"future","rules":[{"name":"r<1>","n":1.5},"x"],"empty":{}}`)}
		case 1:
			f.Fix = &checks.FixHint{Available: true, Summary: "do <this>"}
		case 2:
			f.Fix = &checks.FixHint{Summary: "by hand & carefully."}
			f.Frameworks = map[string]string{"cis-aws-7.0": "4.1", "aws-securityhub": "CloudWatch.1"}
		case 3:
			f.Waiver = &checks.WaiverNote{Reason: "accepted & known", Expires: "2027-01-01"}
		}
		fs = append(fs, f)
	}
	sc := Scope{Accounts: []string{"100000000000", "100000000001", "100000000002"}, Regions: []string{"us-east-1"}, Shard: "1/2"}
	return map[string]*Report{
		"demo":      demoReport(t),
		"mixed":     New(fs, sc, now),
		"one":       New(fs[:1], Scope{Accounts: []string{"100000000000"}}, now),
		"none fail": New(fs[1:4], sc, now),
		"none":      New(nil, Scope{}, now),
	}
}

// TestSARIFStreamsWhatTheTreeWrites: the SARIF written one result at a time is byte for byte
// the document go-sarif's tree gives (encodeSARIF of buildSARIF with its results).
func TestSARIFStreamsWhatTheTreeWrites(t *testing.T) {
	for name, r := range streamReports(t) {
		doc, _, _ := buildSARIF(r, nil, true)
		want, err := encodeSARIF(doc)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := WriteSARIF(&got, r, SARIFOptions{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: streamed SARIF differs from the tree's (%d bytes, want %d)\n%s", name, got.Len(), want.Len(), firstDiff(got.Bytes(), want.Bytes()))
		}
	}
}

// firstDiff shows where two texts part.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-200)
	return fmt.Sprintf("at byte %d:\n--- got\n%s\n--- want\n%s", i, got[from:min(len(got), i+200)], want[from:min(len(want), i+200)])
}

// TestTableStreamsWhatTablewriterWrote: the table written one row at a time is byte for byte
// what tablewriter rendered from every row, at every layout (grid and blocks), with colour,
// PASS rows and a framework column, and for a sample of every kind of finding (wide
// characters, hostile text, an unreadable account).
func TestTableStreamsWhatTablewriterWrote(t *testing.T) {
	reports := streamReports(t)
	reports["sample"] = sampleForTable()
	for name, r := range reports {
		for _, width := range []int{120, 100, 99, 60, 200} {
			for _, opts := range []TableOptions{{}, {Color: true, ShowPass: true}, {Framework: "cis-aws-7.0", Wide: true}, {Framework: "aws-securityhub", ShowPass: true}, {Wide: true}} {
				opts.Width = width
				var got, want bytes.Buffer
				if err := WriteTable(&got, r, opts); err != nil {
					t.Fatal(err)
				}
				if err := tablewriterTable(&want, r, opts); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("%s, %+v: table differs from tablewriter's\n%s", name, opts, firstDiff(got.Bytes(), want.Bytes()))
				}
			}
		}
	}
}

// sampleForTable: wide characters, text hostile to terminals, a waiver and an account that
// could not be read (its ERROR findings one row).
func sampleForTable() *Report {
	const a, dead = "111111111111", "999999999999"
	fs := []checks.Finding{
		{CheckID: "cloudwatch-root-usage-alarm", Title: "Root", Severity: checks.High, Status: checks.Fail, Account: a, Region: "eu-central-1",
			Resource: "arn:aws:logs:eu-central-1:" + a + ":log-group:/aws/cloudtrail/organization-trail-with-a-very-long-name-that-does-not-fit-any-column:*",
			Message:  "filter \x1b[31mred\x1b[0m <script>\t& a line\nbreak; 日本語のテキストも幅を取ります",
			Fix:      &checks.FixHint{Available: true, Summary: "create the filter"}, Frameworks: map[string]string{"cis-aws-7.0": "5.3"}},
		{CheckID: "cloudwatch-root-usage-alarm", Title: "Root", Severity: checks.High, Status: checks.Waived, Account: a, Region: "global", Resource: a,
			Message: "no alarm", Waiver: &checks.WaiverNote{Reason: "sandbox", Expires: "2027-03-31"}},
		{CheckID: "ec2-instance-ssm-managed", Severity: checks.Low, Status: checks.Pass, Account: a, Region: "us-east-1", Resource: "i-0abc", Message: "managed"},
	}
	for _, c := range []string{"cloudtrail-logging", "cloudwatch-root-usage-alarm", "ec2-instance-ssm-managed"} {
		fs = append(fs, checks.Finding{CheckID: c, Severity: checks.Medium, Status: checks.Error, Account: dead, Region: "global", Resource: dead,
			Message: "could not read account " + dead + ": sts:AssumeRole: AccessDenied: not authorized"})
	}
	return New(fs, Scope{Accounts: []string{a, dead}, Regions: []string{"us-east-1"}}, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
}

// TestASFFAndOCSFStreamWhatTheEncoderWrites: the ASFF and OCSF arrays written one finding at
// a time are byte for byte what a json.Encoder (indent two spaces, no HTML escaping) writes
// for the whole array, as they were written before.
func TestASFFAndOCSFStreamWhatTheEncoderWrites(t *testing.T) {
	whole := func(v any) []byte {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for name, r := range streamReports(t) {
		var asff, ocsf bytes.Buffer
		if err := WriteASFF(&asff, r, ASFFOptions{}); err != nil {
			t.Fatal(err)
		}
		if want := whole(ASFF(r, ASFFOptions{})); !bytes.Equal(asff.Bytes(), want) {
			t.Errorf("%s: streamed ASFF differs\n%s", name, firstDiff(asff.Bytes(), want))
		}
		if err := WriteOCSF(&ocsf, r); err != nil {
			t.Fatal(err)
		}
		if want := whole(OCSF(r)); !bytes.Equal(ocsf.Bytes(), want) {
			t.Errorf("%s: streamed OCSF differs\n%s", name, firstDiff(ocsf.Bytes(), want))
		}
	}
}

// TestDemoTableIsShort holds issue 25's measure: in a 100-column terminal the demo's findings
// table takes at most 4 lines per listed finding on average (the sentence, wrapped), after the
// overview of its three accounts; --wide adds the resource and fix back.
func TestDemoTableIsShort(t *testing.T) {
	r := demoReport(t)
	listed := 0
	for _, f := range r.Findings {
		if f.Status != checks.Pass {
			listed++
		}
	}
	for _, tc := range []struct {
		wide    bool
		perLine float64
	}{{false, 4}, {true, 12}} {
		var buf bytes.Buffer
		if err := WriteTable(&buf, r, TableOptions{Width: 100, Wide: tc.wide}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.Contains(out, "overview: the worst status of each check in each account") ||
			!strings.Contains(out, "cloudtrail-logging                           PASS×3        PASS×3        FAIL×2") {
			t.Errorf("wide=%v: the three accounts' overview is missing:\n%s", tc.wide, out[:min(len(out), 3000)])
		}
		// The findings' own table, after the summary line and the overview.
		lines := strings.Count(out[strings.Index(out, "┌"):], "\n")
		if got := float64(lines) / float64(listed); got > tc.perLine {
			t.Errorf("wide=%v: %d lines for %d listed findings (%.1f each), want at most %.0f", tc.wide, lines, listed, got, tc.perLine)
		}
		if hasFix := strings.Contains(buf.String(), "fix: "); hasFix != tc.wide {
			t.Errorf("wide=%v: fix lines shown = %v", tc.wide, hasFix)
		}
		t.Logf("wide=%v: %d lines for %d listed findings", tc.wide, lines, listed)
	}
}
