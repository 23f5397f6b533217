package root

// Tests of the command tree that need no AWS: they read the bundled demo snapshot. (The usage
// errors and exit codes of the contract are scripts, testdata/script/*.txtar.)

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/report"
)

// run runs lookout in-process and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func findingsOf(t *testing.T, js string) *report.Report {
	t.Helper()
	r, err := report.ReadJSON(strings.NewReader(js))
	if err != nil {
		t.Fatalf("reading JSON report: %v\n%s", err, js)
	}
	return r
}

// TestDemoSnapshotScan: the bundled demo organisation exits 1 with FAILs and PASSes, its JSON
// report has every top-level field of the contract, two scans are byte-identical apart from
// generated_at, and the table comes under its one-line summary.
func TestDemoSnapshotScan(t *testing.T) {
	code, out, stderr := run(t, "scan", "--snapshot", "../../../fixtures/demo-org.json", "--format", "json")
	if code != 1 {
		t.Fatalf("demo: exit %d, want 1 (it has failures): %s", code, stderr)
	}
	r := findingsOf(t, out)
	if r.Summary.Fail == 0 || r.Summary.Pass == 0 {
		t.Errorf("demo should show both states: %+v", r.Summary)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "tool", "generated_at", "scope", "findings", "summary"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON report lacks %q", k)
		}
	}
	// Byte-identical apart from generated_at.
	_, again, _ := run(t, "scan", "--snapshot", "../../../fixtures/demo-org.json", "--format", "json")
	strip := func(s string) string {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.Contains(l, `"generated_at"`) {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	}
	if strip(out) != strip(again) {
		t.Error("two scans of the same snapshot differ beyond generated_at")
	}
	// Table: failures first.
	_, table, _ := run(t, "scan", "--snapshot", "../../../fixtures/demo-org.json", "--fail-on", "none")
	if !strings.HasPrefix(table, "lookout: ") || !strings.Contains(table, "FAIL") {
		t.Errorf("table output:\n%s", table)
	}
}

// cancelOnWrite cancels a context on the first write: a Ctrl-C that arrives just after the
// report was written.
type cancelOnWrite struct {
	bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(b []byte) (int, error) {
	defer w.cancel()
	return w.Buffer.Write(b)
}

// TestInterruptAfterTheReportIsHonest: a scan whose report is written when Ctrl-C arrives keeps
// its exit code and does not claim that no report was written.
func TestInterruptAfterTheReportIsHonest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOnWrite{cancel: cancel}
	var errOut bytes.Buffer
	code := MainContext(ctx, []string{"scan", "--snapshot", "../../../fixtures/demo-org.json", "--format", "json"}, out, &errOut)
	if code != 1 || strings.Contains(errOut.String(), "no report was written") || out.Len() == 0 {
		t.Errorf("exit %d, stderr %q, %d bytes of report; want exit 1, the report, no claim that none was written", code, errOut.String(), out.Len())
	}
}
