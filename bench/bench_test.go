package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/collect"
	"github.com/lookout-audit/lookout/internal/command/root"
	"github.com/lookout-audit/lookout/internal/faultproxy"
	"github.com/lookout-audit/lookout/internal/motoorg"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/report"
)

// The 17 regions enabled by default in every AWS account (no opt-in needed).
var defaultRegions = []string{
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
	"ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3",
	"sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

var fourRegions = []string{"us-east-1", "us-west-2", "eu-west-1", "ap-northeast-2"}

var (
	motoOnce sync.Once
	moto     *motoserver.Server
	motoErr  error
)

// server returns the package's moto_server, reset.
func server(b *testing.B) *motoserver.Server {
	b.Helper()
	motoserver.Require(b)
	motoOnce.Do(func() { moto, motoErr = motoserver.Launch() })
	if motoErr != nil {
		b.Fatal(motoErr)
	}
	moto.Reset(b)
	return moto
}

func TestMain(m *testing.M) {
	code := m.Run()
	if moto != nil {
		moto.Stop()
	}
	os.Exit(code)
}

// warmUp reads the regions once, untimed: moto builds each region's backends (EC2's default
// VPCs and images, notably) on first use, a cost AWS does not have.
func warmUp(b *testing.B, srv *motoserver.Server, regions []string) {
	b.Helper()
	if _, err := collect.New(collect.Options{Regions: regions}).Snapshot(context.Background(), []collect.Target{{Config: srv.Config("us-east-1")}}); err != nil {
		b.Fatal(err)
	}
}

// awsEnv points the SDK default chain (as the CLI uses it) at endpoint with fake credentials.
func awsEnv(b *testing.B, endpoint string) []string {
	env := map[string]string{
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(b.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(b.TempDir(), "none"),
		"AWS_ENDPOINT_URL": endpoint, "CI": "",
	}
	var list []string
	for k, v := range env {
		b.Setenv(k, v)
		list = append(list, k+"="+v)
	}
	return list
}

// BenchmarkCallsPerAccountRegion counts the API calls one scan of the demo state makes, per
// (account, region) and per operation, and fails if any call is repeated with the same input.
func BenchmarkCallsPerAccountRegion(b *testing.B) {
	srv := server(b)
	ctx := context.Background()
	regions := []string{"us-east-1", "us-west-2", "eu-west-1"}
	if err := SeedDemo(ctx, srv.Config("us-east-1"), motoserver.DefaultAccount, regions); err != nil {
		b.Fatal(err)
	}
	warmUp(b, srv, regions)
	var rec *awsclient.Recorder
	for b.Loop() {
		rec = &awsclient.Recorder{}
		cfg := srv.Config("us-east-1")
		rec.Attach(&cfg)
		if _, err := collect.New(collect.Options{Regions: regions}).Snapshot(ctx, []collect.Target{{Config: cfg}}); err != nil {
			b.Fatal(err)
		}
	}
	if rep := rec.Repeated(); len(rep) > 0 {
		b.Fatalf("calls repeated with the same input in one scan:\n%s", strings.Join(rep, "\n"))
	}
	calls := rec.Calls()
	b.ReportMetric(float64(len(calls))/float64(len(regions)), "calls/region")
	ops := rec.Operations()
	names := make([]string, 0, len(ops))
	for op := range ops {
		names = append(names, op)
	}
	sort.Strings(names)
	var t strings.Builder
	fmt.Fprintf(&t, "%d calls for 1 account x %d regions, none repeated with the same input:\n", len(calls), len(regions))
	for _, op := range names {
		fmt.Fprintf(&t, "  %-45s %3d  (%.2f per region)\n", op, ops[op], float64(ops[op])/float64(len(regions)))
	}
	b.Log(t.String())
}

// BenchmarkSeventeenRegions50ms scans one account's 17 default regions through a proxy that
// adds 50 ms to every moto answer (a realistic AWS round trip), the way the CLI does it.
func BenchmarkSeventeenRegions50ms(b *testing.B) {
	srv := server(b)
	ctx := context.Background()
	if err := SeedDemo(ctx, srv.Config("us-east-1"), motoserver.DefaultAccount, defaultRegions); err != nil {
		b.Fatal(err)
	}
	warmUp(b, srv, defaultRegions)
	proxy := latencyProxy(b, srv.URL, 50*time.Millisecond)
	awsEnv(b, proxy.URL)
	// The default bound, and the previous default of 16 for comparison.
	for _, conc := range []int{collect.DefaultConcurrency, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "report.json")
			args := []string{"scan", "--regions", strings.Join(defaultRegions, ","), "--concurrency", fmt.Sprint(conc),
				"--format", "json", "--output", out, "-q"}
			before := proxy.Calls.Load()
			for b.Loop() {
				if code := root.Main(args, &bytes.Buffer{}, os.Stderr); code == 3 || code == 2 {
					b.Fatalf("scan exited %d", code)
				}
			}
			b.ReportMetric(float64(proxy.Calls.Load()-before)/float64(b.N), "calls/op")
			r := readReport(b, out)
			b.ReportMetric(float64(len(r.Findings)), "findings")
		})
	}
}

// buildLookout builds the CLI once, so memory is measured on the real binary.
func buildLookout(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "lookout")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/lookout")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runBinary runs the CLI and returns its wall time, peak resident set size and CPU time.
func runBinary(b *testing.B, env []string, bin string, args ...string) (time.Duration, int64, time.Duration) {
	b.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatalf("%s %v: %v", bin, args, err)
	}
	// Peak RSS is the child's own high-water mark (VmHWM), read while it runs. Its
	// ru_maxrss is not: Go starts children with CLONE_VM, and Linux counts the parent's
	// resident set (this benchmark, with its replay server) in the child's ru_maxrss.
	done := make(chan struct{})
	hwm := make(chan int64, 1)
	go func() { hwm <- watchHWM(cmd.Process.Pid, done) }()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	peak := <-hwm
	if code := cmd.ProcessState.ExitCode(); code == 3 || (err != nil && code < 0) {
		b.Fatalf("%s %v: %v\n%s", bin, args, err, stderr.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if peak == 0 {
		peak = ru.Maxrss * 1024 // no /proc: the upper bound (Linux reports kilobytes)
	}
	return wall, peak, cpu
}

// watchHWM reads a process's resident-set high-water mark (VmHWM in /proc/PID/status) every
// 2 ms until done is closed, and returns the last value read, in bytes (0 without /proc).
func watchHWM(pid int, done chan struct{}) int64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var peak int64
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					var kb int64
					if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb); err == nil {
						peak = max(peak, kb*1024)
					}
				}
			}
		}
		select {
		case <-done:
			return peak
		case <-t.C:
		}
	}
}

func readReport(b *testing.B, path string) *report.Report {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r, err := report.ReadJSON(f)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkOrganization scans an organisation of 50 accounts x 4 regions in moto, entering
// every member account by sts:AssumeRole, with the built binary: wall time, API calls per
// second and peak RSS. The 10-account run shows how memory grows with the findings.
func BenchmarkOrganization(b *testing.B) {
	srv := server(b)
	ctx := context.Background()
	cfg := srv.Config("us-east-1")
	ids, err := motoorg.Create(ctx, cfg, 49)
	if err != nil {
		b.Fatal(err)
	}
	for _, id := range ids {
		acfg := cfg
		if id != motoserver.DefaultAccount {
			acfg = motoorg.In(cfg, id)
		}
		if err := SeedDemo(ctx, acfg, id, fourRegions); err != nil {
			b.Fatalf("seeding %s: %v", id, err)
		}
	}
	proxy := latencyProxy(b, srv.URL, 0)
	env := awsEnv(b, proxy.URL)
	bin := buildLookout(b)
	for _, n := range []int{10, 50} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "report.json")
			args := []string{"scan", "--org", "--regions", strings.Join(fourRegions, ","), "--format", "json", "--output", out, "-q"}
			if n < len(ids) {
				args = append(args, "--accounts", strings.Join(ids[:n], ","))
			}
			var wall, cpu time.Duration
			var peak int64
			runBinary(b, env, bin, args...) // warm-up: moto builds each account's regional backends on first use
			calls := proxy.Calls.Load()
			for b.Loop() {
				w, rss, c := runBinary(b, env, bin, args...)
				wall += w
				cpu += c
				peak = max(peak, rss)
			}
			calls = proxy.Calls.Load() - calls
			r := readReport(b, out)
			if len(r.Scope.Accounts) != n {
				b.Fatalf("scanned %d accounts, want %d", len(r.Scope.Accounts), n)
			}
			b.ReportMetric(float64(calls)/wall.Seconds(), "calls/s")
			b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
			b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "lookout-cpu-s/op")
			b.ReportMetric(float64(len(r.Findings)), "findings")
		})
	}
}

// BenchmarkVersusTrivy scans one account's us-east-1 with lookout and with `trivy aws`
// restricted to cloudtrail, cloudwatch and sns (fresh cache each run), against the same moto
// state. Set LOOKOUT_BENCH_TRIVY to a trivy binary that still has the aws command (v0.50);
// lookout does not build or download it.
func BenchmarkVersusTrivy(b *testing.B) {
	trivy := os.Getenv("LOOKOUT_BENCH_TRIVY")
	if trivy == "" {
		b.Skip("LOOKOUT_BENCH_TRIVY is not set (path to a trivy binary with the aws command)")
	}
	srv := server(b)
	ctx := context.Background()
	regions := []string{"us-east-1"}
	if err := SeedDemo(ctx, srv.Config("us-east-1"), motoserver.DefaultAccount, regions); err != nil {
		b.Fatal(err)
	}
	env := append(awsEnv(b, srv.URL), "HOME="+b.TempDir())
	bin := buildLookout(b)
	dir := b.TempDir()
	warmUp(b, srv, regions)
	var lookoutWall, trivyWall time.Duration
	for b.Loop() {
		w, _, _ := runBinary(b, env, bin, "scan", "--regions", "us-east-1", "--format", "json", "--output", filepath.Join(dir, "lookout.json"), "-q")
		lookoutWall += w
		cache := b.TempDir()
		w, _, _ = runBinary(b, env, trivy, "aws", "--region", "us-east-1", "--service", "cloudtrail", "--service", "cloudwatch", "--service", "sns",
			"--endpoint", srv.URL, "--cache-dir", cache, "--update-cache", "--skip-policy-update", "--format", "json", "--output", filepath.Join(dir, "trivy.json"), "--quiet")
		trivyWall += w
	}
	b.ReportMetric(float64(lookoutWall.Milliseconds())/float64(b.N), "lookout-ms")
	b.ReportMetric(float64(trivyWall.Milliseconds())/float64(b.N), "trivy-ms")
	b.ReportMetric(float64(trivyWall)/float64(lookoutWall), "trivy/lookout")
}

// latencyProxy starts the fault-injection proxy in front of moto with no faults, only a fixed
// delay on every answer (a realistic AWS round trip), and counts the calls it forwards.
func latencyProxy(b *testing.B, upstream string, delay time.Duration) *faultproxy.Proxy {
	b.Helper()
	p, err := faultproxy.New(upstream)
	if err != nil {
		b.Fatal(err)
	}
	p.SetLatency(delay)
	b.Cleanup(p.Close)
	return p
}
