package scancmd_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/report"
)

// TestVerifyPatternsCommand: `scan --verify-patterns` asks the emulator's evaluators about the
// demo organisation's patterns (moto's own event pattern matcher; the launcher's
// TestMetricFilter double, which matches every message of a JSON pattern and so disagrees with
// lookout on the negatives), lists each disagreement on stderr, records AWS's answers in the
// evidence, and exits 2 since the disagreeing findings are ERROR.
func TestVerifyPatternsCommand(t *testing.T) {
	srv := motoserver.Start(t)
	srv.UseAsDefault(t)
	code, stdout, stderr := lookout(t, "scan", "--snapshot", demoFixture(t), "--verify-patterns", "--format", "json", "--quiet")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (ERROR findings); stderr:\n%s", code, stderr)
	}
	summary := regexp.MustCompile(`lookout: --verify-patterns: (\d+) pattern\(s\), (\d+) call\(s\) to AWS's evaluators, (\d+) disagreement\(s\)`).FindStringSubmatch(stderr)
	if summary == nil || summary[1] == "0" || summary[3] == "0" {
		t.Fatalf("stderr lacks the summary with disagreements:\n%s", stderr)
	}
	if !strings.Contains(stderr, "lookout: disagreement: ") || !strings.Contains(stderr, "metric filter ") || !strings.Contains(stderr, "AWS matches, lookout does not match") {
		t.Errorf("stderr lists no disagreement of a metric filter:\n%s", stderr)
	}
	rep, err := report.ReadJSON(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	errored, agreed := 0, 0
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Message, "AWS's evaluator disagrees with lookout") && strings.HasPrefix(f.Detail, "AWS's evaluator (logs:TestMetricFilter) disagrees with lookout") {
			errored++
			if f.Status != "ERROR" {
				t.Errorf("%s: status %s with a disagreement", f.CheckID, f.Status)
			}
		}
	}
	if strings.Contains(stdout, `"summary": "AWS's evaluator agrees on `) {
		agreed++
	}
	if errored == 0 || agreed == 0 {
		t.Errorf("%d findings ERROR by a disagreement, agreement recorded: %v", errored, agreed > 0)
	}
}
