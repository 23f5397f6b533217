package root

import (
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/internal/faultproxy"
)

// TestFixHonoursTimeout: `fix` reads through the same collection path as `scan`, so an
// endpoint that never answers ends it within --timeout with exit 2, as it does for scan.
func TestFixHonoursTimeout(t *testing.T) {
	_, p := faultSetup(t)
	p.SetFaults(faultproxy.Fault{Operation: "cloudtrail:GetEventSelectors", Kind: faultproxy.Slow, Delay: time.Hour})
	start := time.Now()
	code, _, stderr := run(t, "fix", "--regions", "us-east-1", "-q", "--checks", "cloudtrail-logging", "--timeout", "3s")
	if code != 2 {
		t.Fatalf("fix: exit %d, want 2: %s", code, stderr)
	}
	// A correctness bound (the command must not hang), not a performance target.
	if elapsed := time.Since(start); elapsed > 60*time.Second {
		t.Errorf("fix took %s despite --timeout 3s", elapsed)
	}
}

// TestEnvironmentFailureIsIncompleteNotUsage: AWS that cannot be reached, or STS refusing the
// caller, is an incomplete scan (exit 2) with a remedy, never "invalid usage" (exit 3).
func TestEnvironmentFailureIsIncompleteNotUsage(t *testing.T) {
	_, p := faultSetup(t)
	p.SetFaults(faultproxy.Fault{Operation: "sts:GetCallerIdentity", Kind: faultproxy.AccessDenied})
	for _, args := range [][]string{
		{"scan", "--accounts", "123456789012", "--regions", "us-east-1", "-q", "--format", "json"},
		{"scan", "--regions", "us-east-1", "-q", "--format", "json"},
		{"collect", "--accounts", "123456789012", "--regions", "us-east-1", "-q", "--output", t.TempDir() + "/s.json"},
		{"fix", "--accounts", "123456789012", "--regions", "us-east-1", "-q"},
	} {
		code, _, stderr := run(t, args...)
		if code != 2 {
			t.Errorf("%s with STS denied: exit %d, want 2: %s", strings.Join(args, " "), code, stderr)
		}
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	code, _, stderr := run(t, "scan", "--org", "--regions", "us-east-1", "-q", "--timeout", "20s")
	if code != 2 || !strings.Contains(stderr, "endpoint-url") {
		t.Errorf("scan --org with AWS unreachable: exit %d, want 2 with a remedy: %s", code, stderr)
	}
	// Flags are still usage errors (--timeout 0s and -1s: testdata/script/exit_codes.txtar).
}

// TestEmptyAnswersAreNotData: a 200 answer that holds nothing is an error, not an empty list:
// an empty GetEventSelectors is not "all management events" (it would pass a write-only
// trail), an empty GetCallerIdentity is not an account.
func TestEmptyAnswersAreNotData(t *testing.T) {
	_, p := faultSetup(t)
	p.SetFaults(faultproxy.Fault{Operation: "cloudtrail:GetEventSelectors", Kind: faultproxy.Empty})
	code, out, stderr := run(t, append(faultScan, "--checks", "cloudtrail-logging")...)
	if code != 2 {
		t.Fatalf("empty GetEventSelectors: exit %d, want 2: %s", code, stderr)
	}
	for _, f := range findingsOf(t, out).Findings {
		if f.Status != "ERROR" || !strings.Contains(f.Reasoning(), "GetEventSelectors") {
			t.Errorf("%s: %s %q, want ERROR naming GetEventSelectors", f.Region, f.Status, f.Message)
		}
	}
	p.SetFaults(faultproxy.Fault{Operation: "sts:GetCallerIdentity", Kind: faultproxy.Empty})
	code, out, stderr = run(t, append(faultScan, "--checks", "cloudtrail-logging")...)
	if code != 2 {
		t.Fatalf("empty GetCallerIdentity: exit %d, want 2: %s", code, stderr)
	}
	for _, f := range findingsOf(t, out).Findings {
		if f.Account == "" || f.Status != "ERROR" {
			t.Errorf("empty identity: finding %s/%s %s %q", f.Account, f.Region, f.Status, f.Message)
		}
	}
}
