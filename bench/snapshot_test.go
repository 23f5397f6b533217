package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/internal/command/root"
)

// snapshotAccounts is the organisation's size for the snapshot benchmarks:
// LOOKOUT_BENCH_ACCOUNTS (one number), default 1000.
func snapshotAccounts(b *testing.B) int {
	n := 1000
	if v := os.Getenv("LOOKOUT_BENCH_ACCOUNTS"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil || n < 1 {
			b.Fatalf("LOOKOUT_BENCH_ACCOUNTS: %q is not a number of accounts", v)
		}
	}
	return n
}

// snapshotFormats are the formats the snapshot benchmarks write: LOOKOUT_BENCH_FORMATS
// (comma-separated), default json, sarif and table.
func snapshotFormats() []string {
	if v := os.Getenv("LOOKOUT_BENCH_FORMATS"); v != "" {
		return strings.Split(v, ",")
	}
	return []string{"json", "sarif", "table"}
}

// orgSnapshotFile writes the demo organisation's members cloned to n accounts (OrgSnapshot)
// to a temporary file.
func orgSnapshotFile(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), fmt.Sprintf("org-%d.json", n))
	if err := WriteOrgSnapshot(path, n); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkSnapshotOrganization scans a snapshot of the demo organisation's member accounts
// cloned to 1,000 accounts (LOOKOUT_BENCH_ACCOUNTS), no AWS involved, with the built binary:
// `lookout scan --snapshot FILE --format F --output OUT` for json, sarif and table
// (LOOKOUT_BENCH_FORMATS), its wall time and peak RSS (VmHWM, read while it runs).
func BenchmarkSnapshotOrganization(b *testing.B) {
	n := snapshotAccounts(b)
	snap := orgSnapshotFile(b, n)
	bin := buildLookout(b)
	if st, err := os.Stat(snap); err == nil {
		b.Logf("snapshot of %d accounts: %.1f MB", n, float64(st.Size())/1e6)
	}
	for _, format := range snapshotFormats() {
		b.Run(fmt.Sprintf("accounts=%d/format=%s", n, format), func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "report."+format)
			args := []string{"scan", "--snapshot", snap, "--format", format, "--output", out, "-q"}
			var wall, cpu time.Duration
			var peak int64
			for b.Loop() {
				w, rss, c := runBinary(b, nil, bin, args...)
				wall, cpu, peak = wall+w, cpu+c, max(peak, rss)
			}
			b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/op")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "lookout-cpu-s/op")
			b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			if st, err := os.Stat(out); err == nil {
				b.ReportMetric(float64(st.Size())/1e6, "report-MB")
			}
			if format == "json" {
				b.ReportMetric(float64(len(readReport(b, out).Findings)), "findings")
			}
		})
	}
}

// BenchmarkSnapshotOrganizationInProcess runs the same scan in this process (root.Main), for
// profiles: -cpuprofile and -memprofile as usual, and with LOOKOUT_BENCH_HEAPPROFILE set to a
// file, the heap profile at the largest live heap seen (sampleHeap), for go tool pprof
// -sample_index=inuse_space.
func BenchmarkSnapshotOrganizationInProcess(b *testing.B) {
	n := snapshotAccounts(b)
	snap := orgSnapshotFile(b, n)
	for _, format := range snapshotFormats() {
		b.Run(fmt.Sprintf("accounts=%d/format=%s", n, format), func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "report."+format)
			args := []string{"scan", "--snapshot", snap, "--format", format, "--output", out, "-q"}
			stop := make(chan struct{})
			sampled := make(chan heapPeak)
			go func() { sampled <- sampleHeap(stop, os.Getenv("LOOKOUT_BENCH_HEAPPROFILE") != "") }()
			for b.Loop() {
				// 2 is the verdict, not a failure: without the management account in the
				// snapshot, the members' organisation trail leads to a log group not read.
				if code := root.Main(args, &bytes.Buffer{}, os.Stderr); code == 3 {
					b.Fatalf("scan exited %d", code)
				}
			}
			close(stop)
			peak := <-sampled
			b.ReportMetric(float64(peak.live)/(1<<20), "peak-live-heap-MB")
			b.ReportMetric(float64(peak.sys)/(1<<20), "peak-sys-MB")
			if path := os.Getenv("LOOKOUT_BENCH_HEAPPROFILE"); path != "" {
				if err := os.WriteFile(strings.ReplaceAll(path, "FORMAT", format), peak.profile, 0o644); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
