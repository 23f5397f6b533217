package root

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/faultproxy"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

// faultSetup starts moto with one logging multi-region trail and a fault proxy in front of it,
// and points the SDK default chain at the proxy.
func faultSetup(t *testing.T) (*motoserver.Server, *faultproxy.Proxy) {
	t.Helper()
	srv := motoserver.Start(t)
	srv.UseAsDefault(t)
	loggingTrail(t, srv)
	p, err := faultproxy.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	t.Setenv("AWS_ENDPOINT_URL", p.URL)
	return srv, p
}

var faultScan = []string{"scan", "--regions", "us-east-1,us-west-2", "--format", "json", "-q", "--fail-on", "none"}

func key(f checks.Finding) string { return f.CheckID + "|" + f.Account + "|" + f.Region }

// TestAccessDeniedIsErrorForExactlyWhatNeededIt: a denied GetTrailStatus makes
// cloudtrail-logging ERROR (naming the operation) and exit 2; any finding that differs from a
// clean scan is ERROR, never a different PASS or FAIL.
func TestAccessDeniedIsErrorForExactlyWhatNeededIt(t *testing.T) {
	_, p := faultSetup(t)
	code, out, stderr := run(t, faultScan...)
	if code != 0 {
		t.Fatalf("clean scan: exit %d: %s", code, stderr)
	}
	clean := map[string]checks.Finding{}
	for _, f := range findingsOf(t, out).Findings {
		clean[key(f)] = f
	}

	p.SetFaults(faultproxy.Fault{Operation: "cloudtrail:GetTrailStatus", Kind: faultproxy.AccessDenied})
	code, out, stderr = run(t, faultScan...)
	if code != 2 {
		t.Fatalf("denied GetTrailStatus: exit %d, want 2: %s", code, stderr)
	}
	var trailErrors int
	for _, f := range findingsOf(t, out).Findings {
		if f.CheckID == "cloudtrail-logging" {
			if f.Status != checks.Error || !strings.Contains(f.Message, "cloudtrail:GetTrailStatus") || !strings.Contains(f.Message, "AccessDenied") {
				t.Errorf("%s: got %s %q, want ERROR naming cloudtrail:GetTrailStatus", f.Region, f.Status, f.Message)
			}
			trailErrors++
			continue
		}
		if c, ok := clean[key(f)]; ok && (c.Status != f.Status || c.Message != f.Message) && f.Status != checks.Error {
			t.Errorf("%s changed from %s to %s under an unrelated fault: %q", key(f), c.Status, f.Status, f.Message)
		}
	}
	if trailErrors != 2 {
		t.Errorf("cloudtrail-logging ERROR findings = %d, want one per region", trailErrors)
	}
}

// TestThrottlingIsRetriedToTheSameFindings: 30% of all calls throttled still yields exactly the
// findings of a clean scan.
func TestThrottlingIsRetriedToTheSameFindings(t *testing.T) {
	_, p := faultSetup(t)
	_, cleanOut, _ := run(t, faultScan...)
	clean := findingsOf(t, cleanOut).Findings

	p.SetFaults(faultproxy.Fault{Operation: "*:*", Kind: faultproxy.Throttle, Rate: 0.3})
	code, out, stderr := run(t, faultScan...)
	if code != 0 {
		t.Fatalf("throttled scan: exit %d, want 0 like the clean scan: %s", code, stderr)
	}
	got := findingsOf(t, out).Findings
	if len(got) != len(clean) {
		t.Fatalf("throttled scan found %d findings, clean %d", len(got), len(clean))
	}
	for i := range got {
		if got[i].Status != clean[i].Status || got[i].Message != clean[i].Message {
			t.Errorf("finding %d differs under throttling: %s %q vs %s %q", i, got[i].Status, got[i].Message, clean[i].Status, clean[i].Message)
		}
	}
	if p.Injected.Load() == 0 {
		t.Error("no throttling was injected: the test proved nothing")
	}
}

// TestPersistentFaultsAreBoundedByTimeout: a service that answers 500 forever, or never, makes
// the scan ERROR within --timeout, without leaking goroutines.
func TestPersistentFaultsAreBoundedByTimeout(t *testing.T) {
	_, p := faultSetup(t)
	for _, tc := range []struct {
		name  string
		fault faultproxy.Fault
	}{
		{"persistent 500", faultproxy.Fault{Operation: "cloudtrail:DescribeTrails", Kind: faultproxy.ServerError}},
		{"no answer", faultproxy.Fault{Operation: "cloudtrail:GetEventSelectors", Kind: faultproxy.Slow, Delay: time.Hour}},
		{"connection reset", faultproxy.Fault{Operation: "cloudtrail:GetTrailStatus", Kind: faultproxy.Reset}},
		{"malformed body", faultproxy.Fault{Operation: "cloudtrail:DescribeTrails", Kind: faultproxy.Malformed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			p.SetFaults(tc.fault)
			start := time.Now()
			code, out, stderr := run(t, append(faultScan, "--timeout", "3s")...)
			elapsed := time.Since(start)
			if code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, stderr)
			}
			for _, f := range findingsOf(t, out).Findings {
				if f.CheckID == "cloudtrail-logging" && f.Status != checks.Error {
					t.Errorf("%s: got %s %q, want ERROR", f.Region, f.Status, f.Message)
				}
			}
			// A correctness bound, not a performance target: the scan must not hang.
			if elapsed > 30*time.Second {
				t.Errorf("scan took %s despite --timeout 3s", elapsed)
			}
			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > before+5 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > before+5 {
				buf := make([]byte, 1<<16)
				t.Errorf("goroutines: %d before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

// TestInterruptLeavesNoPartialReport: Ctrl-C mid-scan exits promptly with 2 and writes no file.
func TestInterruptLeavesNoPartialReport(t *testing.T) {
	_, p := faultSetup(t)
	p.SetFaults(faultproxy.Fault{Operation: "cloudtrail:GetTrailStatus", Kind: faultproxy.Slow, Delay: time.Hour})
	outFile := filepath.Join(t.TempDir(), "report.json")
	// Cancelling the context is what Ctrl-C does (Main wires SIGINT to it); the test cancels
	// once the scan is held on the slow call, not by signalling the whole test process.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() {
		var out, errOut bytes.Buffer
		done <- MainContext(ctx, append(faultScan, "--output", outFile), &out, &errOut)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for p.Injected.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the scan never reached GetTrailStatus")
		}
		select {
		case code := <-done:
			t.Fatalf("the scan ended (exit %d) before it was interrupted", code)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 2 {
			t.Errorf("interrupted scan exited %d, want 2", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("scan did not stop after SIGINT")
	}
	if _, err := os.Stat(outFile); !os.IsNotExist(err) {
		t.Errorf("an interrupted scan left %s behind (err %v)", outFile, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(outFile))
	if len(entries) != 0 {
		t.Errorf("partial files left: %v", entries)
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
