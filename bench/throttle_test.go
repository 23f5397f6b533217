package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// busyRegions are where SeedBusy adds its topics and rules in every account; busyTopics and
// busyRules how many.
var busyRegions = []string{"us-east-1", "eu-west-1"}

const (
	busyTopics = 150
	busyRules  = 150
)

// BenchmarkReplayThrottled scans, with the built binary, one account × 17 regions and an
// organisation of N accounts × 17 regions (LOOKOUT_BENCH_ACCOUNTS, default 32) against the
// replaying server, answers held 50 ms, first with no throttling, then with a token bucket per
// (account, region, API operation) at AWS's documented rates (AWSLimits), then at a third of
// them ("aws-third": other tools spending two thirds of every bucket). Every account has
// the demo state in all 17 regions, and in busyRegions 150 SNS topics and 150 EventBridge rules
// besides (SeedBusy), so that the per-topic and per-rule reads exceed their buckets.
//
// Per scan it reports the wall time, the calls received and those answered with a throttling
// error, the ERROR findings (which must be 0: the benchmark fails otherwise), and for the
// buckets: the busiest one's calls answered over what its limit allowed during its span
// (busiest-of-limit, at most 1), the same over every bucket that throttled (throttled-of-limit),
// and the least time the busiest bucket's calls could take at its rate (floor-s). Each scan's
// figures and busiest buckets are logged.
func BenchmarkReplayThrottled(b *testing.B) {
	n := 32
	if v := os.Getenv("LOOKOUT_BENCH_ACCOUNTS"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil || n < 2 {
			b.Fatalf("LOOKOUT_BENCH_ACCOUNTS: %q is not a number of accounts (2 or more)", v)
		}
	}
	rep, env := recordDemo(b, 1, defaultRegions, func(ctx context.Context, cfg aws.Config, _ string) error {
		return SeedBusy(ctx, cfg, busyRegions, busyTopics, busyRules)
	})
	b.Logf("%d distinct calls recorded from moto", rep.Recorded())
	defer rep.SetThrottle(nil)
	bin := buildLookout(b)
	for _, accounts := range []int{1, n} {
		for _, limits := range []struct {
			name string
			t    *Throttle
		}{{"none", nil}, {"aws", AWSLimits()}, {"aws-third", AWSLimits().Scaled(1.0 / 3)}} {
			b.Run(fmt.Sprintf("accounts=%d/throttle=%s", accounts, limits.name), func(b *testing.B) {
				out := filepath.Join(b.TempDir(), "report.json")
				args := []string{"scan", "--regions", strings.Join(defaultRegions, ","), "--format", "json", "--output", out, "-q"}
				if accounts > 1 {
					rep.Accounts = MemberAccounts(accounts)
					args = append(args, "--org")
				}
				var wall time.Duration
				var calls, throttled, errs int64
				var busiest, overall, floor float64
				scan := 0
				for b.Loop() {
					rep.SetThrottle(limits.t)
					rep.Reset()
					w, _, _ := runBinary(b, env, bin, args...)
					wall += w
					scan++
					c, t := rep.Calls.Load(), rep.Throttled.Load()
					calls, throttled = calls+c, throttled+t
					r := readReport(b, out)
					if len(r.Scope.Accounts) != accounts {
						b.Fatalf("scanned %d accounts, want %d", len(r.Scope.Accounts), accounts)
					}
					e := 0
					for _, f := range r.Findings {
						if f.Status == "ERROR" {
							e++
							if e <= 5 {
								b.Logf("ERROR %s %s %s: %s", f.Account, f.Region, f.CheckID, f.Message)
							}
						}
					}
					errs += int64(e)
					line := fmt.Sprintf("scan %d: %.2f s, %d calls (%.0f/s), %d throttled, %d findings, %d ERROR", scan, w.Seconds(), c, float64(c)/w.Seconds(), t, len(r.Findings), e)
					if stats := rep.Buckets(); len(stats) > 0 {
						top := stats[0]
						var ok, allowed float64
						for _, s := range stats {
							if s.Throttled > 0 {
								ok, allowed = ok+float64(s.Calls), allowed+s.Allowed()
							}
						}
						if allowed > 0 {
							overall += ok / allowed
						}
						busiest += float64(top.Calls) / top.Allowed()
						floor += top.MinSpan().Seconds()
						line += fmt.Sprintf("; throttled buckets at %.0f%% of their limits", 100*ok/max(allowed, 1))
						for _, s := range stats[:min(4, len(stats))] {
							line += fmt.Sprintf("\n    %-55s %3d answered + %3d throttled in %5.2f s = %5.1f/s, limit %g/s burst %g: %3.0f%% of what it allowed (floor %.2f s)",
								s.Key, s.Calls, s.Throttled, s.Span.Seconds(), float64(s.Calls)/max(s.Span.Seconds(), 1e-9), s.Limit.Rate, s.Limit.Burst, 100*float64(s.Calls)/s.Allowed(), s.MinSpan().Seconds())
						}
					}
					b.Log(line)
				}
				rep.SetThrottle(nil)
				checkReplay(b, rep)
				k := float64(b.N)
				b.ReportMetric(wall.Seconds()/k, "wall-s/op")
				b.ReportMetric(float64(calls)/k, "calls/op")
				b.ReportMetric(float64(throttled)/k, "throttled/op")
				b.ReportMetric(float64(errs)/k, "ERROR-findings/op")
				if limits.t != nil {
					b.ReportMetric(busiest/k, "busiest-of-limit")
					b.ReportMetric(overall/k, "throttled-of-limit")
					b.ReportMetric(floor/k, "floor-s")
				}
				if errs > 0 {
					b.Fatalf("%d ERROR findings over %d scans: throttling must be retried, not reported", errs, b.N)
				}
			})
		}
	}
}
