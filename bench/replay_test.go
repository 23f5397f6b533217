package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lookout-audit/lookout/internal/command/root"
	"github.com/lookout-audit/lookout/internal/motoorg"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

// roundTrip is the answer time replayed benchmarks hold every call for: a realistic AWS round
// trip.
const roundTrip = 50 * time.Millisecond

// recordDemo seeds moto with the demo state in regions of the caller's account and of members
// more accounts of an organisation, and records the answers of one scan of it (with --org
// when there are members). It returns the replay server, replaying with a hold of roundTrip,
// and the environment that points the CLI at it. Each of extra, if any, seeds more state in
// every account (its configuration and id) before the recording.
func recordDemo(b *testing.B, members int, regions []string, extra ...func(context.Context, aws.Config, string) error) (*Replay, []string) {
	b.Helper()
	srv := server(b)
	ctx := context.Background()
	cfg := srv.Config("us-east-1")
	ids := []string{motoserver.DefaultAccount}
	if members > 0 {
		var err error
		if ids, err = motoorg.Create(ctx, cfg, members); err != nil {
			b.Fatal(err)
		}
	}
	for _, id := range ids {
		acfg := cfg
		if id != motoserver.DefaultAccount {
			acfg = motoorg.In(cfg, id)
		}
		if err := SeedDemo(ctx, acfg, id, regions); err != nil {
			b.Fatalf("seeding %s: %v", id, err)
		}
		for _, seed := range extra {
			if err := seed(ctx, acfg, id); err != nil {
				b.Fatalf("seeding %s: %v", id, err)
			}
		}
	}
	rep := NewReplay(srv.URL)
	b.Cleanup(rep.Close)
	env := awsEnv(b, rep.URL)
	args := []string{"scan", "--regions", strings.Join(regions, ","), "--format", "json", "--output", filepath.Join(b.TempDir(), "recorded.json"), "-q"}
	if members > 0 {
		args = append(args, "--org")
	}
	if code := root.Main(args, &bytes.Buffer{}, os.Stderr); code == 3 || code == 2 {
		b.Fatalf("recording scan exited %d", code)
	}
	rep.StartReplay(roundTrip)
	return rep, env
}

// checkReplay fails the benchmark if a call had no recorded answer.
func checkReplay(b *testing.B, rep *Replay) {
	b.Helper()
	if n := rep.Misses.Load(); n > 0 {
		b.Fatalf("%d calls had no recorded answer:\n%s", n, strings.Join(rep.Missed(), "\n"))
	}
}

// BenchmarkReplaySeventeenRegions scans one account's 17 default regions of the demo state
// against recorded answers served concurrently, each held 50 ms: the wall time is lookout's
// critical path (round-trips/op: the longest chain of calls each made after the previous
// one's answer) plus its own CPU. "binary" runs the built CLI as a user would (process start
// included; cpu-us/call is its user+system CPU per API call); "in-process" runs it in the
// benchmark's process, for go test -cpuprofile; "hold=0" answers at once, so the wall time is
// lookout's CPU and the loopback alone.
func BenchmarkReplaySeventeenRegions(b *testing.B) {
	rep, env := recordDemo(b, 0, defaultRegions)
	b.Logf("%d distinct calls recorded from moto", rep.Recorded())
	bin := buildLookout(b)
	dir := b.TempDir()
	args := []string{"scan", "--regions", strings.Join(defaultRegions, ","), "--format", "json", "--output", filepath.Join(dir, "report.json"), "-q"}
	for _, hold := range []time.Duration{roundTrip, 0} {
		b.Run(fmt.Sprintf("binary/hold=%s", hold), func(b *testing.B) {
			rep.StartReplay(hold)
			runBinary(b, env, bin, args...) // warm the page cache
			rep.Reset()
			var wall, cpu time.Duration
			var peak int64
			for b.Loop() {
				w, rss, c := runBinary(b, env, bin, args...)
				wall += w
				cpu += c
				peak = max(peak, rss)
			}
			checkReplay(b, rep)
			calls := float64(rep.Calls.Load()) / float64(b.N)
			b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/op")
			b.ReportMetric(calls, "calls/op")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/calls, "cpu-us/call")
			b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			if hold > 0 {
				b.ReportMetric(float64(rep.RoundTrips())/float64(b.N), "round-trips/op")
			}
			b.ReportMetric(float64(len(readReport(b, filepath.Join(dir, "report.json")).Findings)), "findings")
		})
	}
	b.Run("in-process/hold=50ms", func(b *testing.B) {
		rep.StartReplay(roundTrip)
		rep.Reset()
		for b.Loop() {
			if code := root.Main(args, &bytes.Buffer{}, os.Stderr); code == 3 || code == 2 {
				b.Fatalf("scan exited %d", code)
			}
		}
		checkReplay(b, rep)
		b.ReportMetric(float64(rep.Calls.Load())/float64(b.N), "calls/op")
		b.ReportMetric(float64(rep.RoundTrips())/float64(b.N), "round-trips/op")
		// One more scan, alone, for its critical path.
		rep.Reset()
		if code := root.Main(args, &bytes.Buffer{}, os.Stderr); code == 3 || code == 2 {
			b.Fatalf("scan exited %d", code)
		}
		n, chain := rep.CriticalPath()
		b.Logf("critical path of one scan: %d round trips\n%s", n, strings.Join(chain, "\n"))
	})
}

// BenchmarkReplayOrganization scans an organisation of accounts × 17 regions, every member
// entered by sts:AssumeRole, with the built binary, against answers recorded from moto (the
// management account and one member, both with the demo state in all 17 regions; every other
// member is the recorded one under its own id) held 50 ms each: wall time, API calls per
// second, peak RSS of the process (ru_maxrss), its CPU per call, and the findings. Set
// LOOKOUT_BENCH_ACCOUNTS to a comma-separated list of organisation sizes (default 100,1000).
func BenchmarkReplayOrganization(b *testing.B) {
	rep, env := recordDemo(b, 1, defaultRegions)
	bin := buildLookout(b)
	sizes := []int{100, 1000}
	if v := os.Getenv("LOOKOUT_BENCH_ACCOUNTS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			var n int
			if _, err := fmt.Sscan(f, &n); err != nil || n < 1 {
				b.Fatalf("LOOKOUT_BENCH_ACCOUNTS: %q is not a number of accounts", f)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			rep.Accounts = MemberAccounts(n)
			out := filepath.Join(b.TempDir(), "report.json")
			args := []string{"scan", "--org", "--regions", strings.Join(defaultRegions, ","), "--format", "json", "--output", out, "-q"}
			if v := os.Getenv("LOOKOUT_BENCH_ARGS"); v != "" {
				args = append(args, strings.Fields(v)...)
			}
			rep.Reset()
			var wall, cpu time.Duration
			var peak int64
			self := selfCPU()
			for b.Loop() {
				w, rss, c := runBinary(b, env, bin, args...)
				wall += w
				cpu += c
				peak = max(peak, rss)
			}
			self = selfCPU() - self
			checkReplay(b, rep)
			calls := float64(rep.Calls.Load())
			b.ReportMetric(float64(self.Microseconds())/calls, "replay-cpu-us/call")
			if st, err := os.Stat(out); err == nil {
				b.ReportMetric(float64(st.Size())/(1<<20), "report-MB")
			}
			r := readReport(b, out)
			if len(r.Scope.Accounts) != n {
				b.Fatalf("scanned %d accounts, want %d", len(r.Scope.Accounts), n)
			}
			b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/op")
			b.ReportMetric(calls/wall.Seconds(), "calls/s")
			b.ReportMetric(calls/float64(b.N), "calls/op")
			b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			b.ReportMetric(float64(cpu.Microseconds())/calls, "cpu-us/call")
			b.ReportMetric(float64(len(r.Findings)), "findings")
			b.ReportMetric(float64(rep.RoundTrips())/float64(b.N), "round-trips/op")
			b.ReportMetric(float64(rep.Conns.Load())/float64(b.N), "connections/op")
			errs := 0
			for _, f := range r.Findings {
				if f.Status == "ERROR" {
					errs++
				}
			}
			b.ReportMetric(float64(errs), "ERROR-findings")
		})
	}
}

// selfCPU is the user and system CPU time of the benchmark's own process so far (the replay
// server's, when the scans run as child processes).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReplayOrganizationInProcess is BenchmarkReplayOrganization run in the benchmark's
// process, for go test -cpuprofile (the replay server's own work shows under bench.(*Replay)).
// LOOKOUT_BENCH_ACCOUNTS sets the size (default 100). With LOOKOUT_BENCH_HEAPPROFILE set to a
// file, the heap profile of the largest live heap seen (sampled every 50 ms; the profile is
// the last garbage collection's live objects) is written there, for go tool pprof
// -sample_index=inuse_space: what the process holds at its peak.
func BenchmarkReplayOrganizationInProcess(b *testing.B) {
	rep, _ := recordDemo(b, 1, defaultRegions)
	n := 100
	if v := os.Getenv("LOOKOUT_BENCH_ACCOUNTS"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil {
			b.Fatal(err)
		}
	}
	rep.Accounts = MemberAccounts(n)
	out := filepath.Join(b.TempDir(), "report.json")
	args := []string{"scan", "--org", "--regions", strings.Join(defaultRegions, ","), "--format", "json", "--output", out, "-q"}
	rep.Reset()
	stop := make(chan struct{})
	sampled := make(chan heapPeak)
	go func() { sampled <- sampleHeap(stop, os.Getenv("LOOKOUT_BENCH_HEAPPROFILE") != "") }()
	for b.Loop() {
		if code := root.Main(args, &bytes.Buffer{}, os.Stderr); code == 3 || code == 2 {
			b.Fatalf("scan exited %d", code)
		}
	}
	close(stop)
	peak := <-sampled
	checkReplay(b, rep)
	b.ReportMetric(float64(rep.Calls.Load())/float64(b.N), "calls/op")
	b.ReportMetric(float64(peak.live)/(1<<20), "peak-live-heap-MB")
	b.ReportMetric(float64(peak.sys)/(1<<20), "peak-sys-MB")
	if path := os.Getenv("LOOKOUT_BENCH_HEAPPROFILE"); path != "" {
		if err := os.WriteFile(path, peak.profile, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// heapPeak is the largest live heap sampleHeap saw (as the last collection measured it), the
// memory obtained from the OS then, and the heap profile taken at that moment.
type heapPeak struct {
	live, sys uint64
	profile   []byte
}

// sampleHeap watches the process's heap every 50 ms until stop is closed.
func sampleHeap(stop chan struct{}, profile bool) heapPeak {
	var peak heapPeak
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/total:bytes"}}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return peak
		case <-t.C:
		}
		metrics.Read(samples)
		live, sys := samples[0].Value.Uint64(), samples[1].Value.Uint64()
		peak.sys = max(peak.sys, sys)
		if live <= peak.live {
			continue
		}
		peak.live = live
		if profile {
			var buf bytes.Buffer
			if pprof.WriteHeapProfile(&buf) == nil {
				peak.profile = buf.Bytes()
			}
		}
	}
}

// BenchmarkReplayShards scans the replayed organisation as N shards (--shard K/N, one after
// the other, each as a CI matrix job or an Indexed Job pod would) and joins their reports
// with lookout merge: each shard's wall time, calls per second and peak RSS (the largest
// shard's), and the merge's. LOOKOUT_BENCH_ACCOUNTS sets the organisation (default 1000),
// LOOKOUT_BENCH_SHARDS the N to try (default 4).
func BenchmarkReplayShards(b *testing.B) {
	rep, env := recordDemo(b, 1, defaultRegions)
	bin := buildLookout(b)
	accounts, shards := 1000, []int{4}
	if v := os.Getenv("LOOKOUT_BENCH_ACCOUNTS"); v != "" {
		if _, err := fmt.Sscan(v, &accounts); err != nil {
			b.Fatal(err)
		}
	}
	if v := os.Getenv("LOOKOUT_BENCH_SHARDS"); v != "" {
		shards = nil
		for _, f := range strings.Split(v, ",") {
			var n int
			if _, err := fmt.Sscan(f, &n); err != nil || n < 1 {
				b.Fatalf("LOOKOUT_BENCH_SHARDS: %q is not a number of shards", f)
			}
			shards = append(shards, n)
		}
	}
	rep.Accounts = MemberAccounts(accounts)
	for _, n := range shards {
		b.Run(fmt.Sprintf("accounts=%d/shards=%d", accounts, n), func(b *testing.B) {
			dir := b.TempDir()
			var slowest, total, mergeWall time.Duration
			var peak, mergePeak int64
			var calls int64
			for b.Loop() {
				var files []string
				for k := 1; k <= n; k++ {
					out := filepath.Join(dir, fmt.Sprintf("shard-%d.json", k))
					files = append(files, out)
					before := rep.Calls.Load()
					w, rss, _ := runBinary(b, env, bin, "scan", "--org", "--shard", fmt.Sprintf("%d/%d", k, n),
						"--regions", strings.Join(defaultRegions, ","), "--format", "json", "--output", out, "-q")
					calls += rep.Calls.Load() - before
					slowest, total, peak = max(slowest, w), total+w, max(peak, rss)
				}
				w, rss, _ := runBinary(b, env, bin, append([]string{"merge", "--format", "json", "--output", filepath.Join(dir, "merged.json")}, files...)...)
				mergeWall, mergePeak = mergeWall+w, max(mergePeak, rss)
			}
			checkReplay(b, rep)
			r := readReport(b, filepath.Join(dir, "merged.json"))
			if len(r.Scope.Accounts) != accounts {
				b.Fatalf("merged %d accounts, want %d", len(r.Scope.Accounts), accounts)
			}
			b.ReportMetric(slowest.Seconds(), "slowest-shard-s")
			b.ReportMetric(total.Seconds()/float64(b.N*n), "mean-shard-s")
			b.ReportMetric(float64(calls)/total.Seconds(), "shard-calls/s")
			b.ReportMetric(float64(accounts*b.N)/total.Seconds(), "shard-accounts/s")
			b.ReportMetric(float64(peak)/(1<<20), "shard-peak-RSS-MB")
			b.ReportMetric(mergeWall.Seconds()/float64(b.N), "merge-s")
			b.ReportMetric(float64(mergePeak)/(1<<20), "merge-peak-RSS-MB")
			b.ReportMetric(float64(len(r.Findings)), "findings")
		})
	}
}
