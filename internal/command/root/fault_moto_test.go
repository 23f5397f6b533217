package root

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	evtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

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

// scanByKey runs a scan that must exit with code, and returns its findings by key.
func scanByKey(t *testing.T, code int, args ...string) map[string]checks.Finding {
	t.Helper()
	got, out, stderr := run(t, args...)
	if got != code {
		t.Fatalf("%s: exit %d, want %d: %s", strings.Join(args, " "), got, code, stderr)
	}
	byKey := map[string]checks.Finding{}
	for _, f := range findingsOf(t, out).Findings {
		byKey[key(f)] = f
	}
	return byKey
}

// TestAccessDeniedIsErrorForExactlyWhatNeededIt: a denied GetTrailStatus makes
// cloudtrail-logging ERROR (naming the operation) and exit 2; any finding that differs from a
// clean scan is ERROR, never a different PASS or FAIL.
func TestAccessDeniedIsErrorForExactlyWhatNeededIt(t *testing.T) {
	_, p := faultSetup(t)
	clean := scanByKey(t, 0, faultScan...)

	p.SetFaults(faultproxy.Fault{Operation: "cloudtrail:GetTrailStatus", Kind: faultproxy.AccessDenied})
	code, out, stderr := run(t, faultScan...)
	if code != 2 {
		t.Fatalf("denied GetTrailStatus: exit %d, want 2: %s", code, stderr)
	}
	var trailErrors int
	for _, f := range findingsOf(t, out).Findings {
		if f.CheckID == "cloudtrail-logging" {
			if f.Status != checks.Error || !strings.Contains(f.Reasoning(), "cloudtrail:GetTrailStatus") || !strings.Contains(f.Reasoning(), "AccessDenied") {
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

// TestUnansweredCallSpoilsOnlyWhatNeededIt (issue 15, defect 6): with --timeout and
// DescribeAlarms never answering, only the findings that need the alarms become ERROR, each
// naming DescribeAlarms; every other finding keeps the verdict of a clean scan, and no message
// blames a call that was not made (the account-wide trail pass must not wait for the slowest
// region and then report its own reads as timed out).
func TestUnansweredCallSpoilsOnlyWhatNeededIt(t *testing.T) {
	srv, p := faultSetup(t)
	watchedTrail(t, srv)
	// A recorder in front of the fault proxy: which actions the faulted scan really made.
	var mu sync.Mutex
	made := map[string]bool{}
	target, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, action := faultproxy.Operation(r)
		mu.Lock()
		made[action] = true
		mu.Unlock()
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.Close)
	t.Setenv("AWS_ENDPOINT_URL", rec.URL)

	start := time.Now()
	clean := scanByKey(t, 0, faultScan...)
	// --timeout bounds the whole scan, so every other call must finish within it: give the
	// faulted scan several times what the clean one took on this machine, however loaded.
	timeout := max(4*time.Second, 4*time.Since(start).Round(time.Second))

	mu.Lock()
	clear(made)
	mu.Unlock()
	// CloudWatch signs as "monitoring".
	p.SetFaults(faultproxy.Fault{Operation: "monitoring:DescribeAlarms", Kind: faultproxy.Slow, Delay: time.Hour})
	got := scanByKey(t, 2, append(faultScan, "--timeout", timeout.String())...)
	if p.Injected.Load() == 0 {
		t.Fatal("DescribeAlarms was never held: the test proved nothing")
	}
	mu.Lock()
	defer mu.Unlock()
	opRe := regexp.MustCompile(`\b[a-z0-9-]+:([A-Z][A-Za-z]+)\b`)
	if len(got) != len(clean) {
		t.Errorf("faulted scan found %d findings, clean %d", len(got), len(clean))
	}
	var errors, kept int
	for k, f := range got {
		c, ok := clean[k]
		if !ok {
			t.Errorf("%s: not in the clean scan: %s %q", key(f), f.Status, f.Message)
			continue
		}
		if f.Status == checks.Error {
			// An ERROR names the read that failed; other verdicts name CloudTrail events.
			for _, m := range opRe.FindAllStringSubmatch(f.Message, -1) {
				if !made[m[1]] {
					t.Errorf("%s blames %s, which the scan never called: %q", key(f), m[0], f.Message)
				}
			}
		}
		if f.Status == checks.Error && c.Status != checks.Error {
			errors++
			if !strings.Contains(f.Reasoning(), "DescribeAlarms") {
				t.Errorf("%s: ERROR without naming DescribeAlarms: %q", key(f), f.Message)
			}
			continue
		}
		kept++
		if f.Status != c.Status || f.Message != c.Message {
			t.Errorf("%s changed from %s %q to %s %q", key(f), c.Status, c.Message, f.Status, f.Message)
		}
	}
	// The trail checks read no alarm: they must never be the victims.
	for _, id := range []string{"cloudtrail-logging", "cloudtrail-stoplogging-remediation"} {
		for _, f := range got {
			if f.CheckID == id && f.Status == checks.Error {
				t.Errorf("%s is ERROR under a fault of DescribeAlarms: %q", key(f), f.Message)
			}
		}
	}
	if errors == 0 || kept == 0 {
		t.Errorf("%d findings became ERROR and %d kept their verdict; want some of each", errors, kept)
	}
	t.Logf("%d findings ERROR (DescribeAlarms), %d kept their clean verdict", errors, kept)
}

// watchedTrail sends the trail "main" to a CloudWatch Logs group with a root-usage metric
// filter, so that the root-usage check needs DescribeAlarms to judge the filter's alarm; and
// protects the trail with a StopLogging rule whose SSM Automation target runs through a role,
// so that the remediation check needs the account-wide role reads.
func watchedTrail(t *testing.T, srv *motoserver.Server) {
	t.Helper()
	ctx := motoserver.Ctx(t)
	cfg := srv.Config("us-east-1")
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("trail-to-logs"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := cloudwatchlogs.NewFromConfig(cfg)
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("trail")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudtrail.NewFromConfig(cfg).UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String("main"),
		CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:trail:*"),
		CloudWatchLogsRoleArn:     role.Role.Arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: aws.String("trail"), FilterName: aws.String("RootAccountUsage"),
		FilterPattern: aws.String(`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`),
		MetricTransformations: []logtypes.MetricTransformation{{
			MetricName: aws.String("RootAccountUsageCount"), MetricNamespace: aws.String("CloudTrailMetrics"), MetricValue: aws.String("1"),
		}},
	}); err != nil {
		t.Fatal(err)
	}
	ic := iam.NewFromConfig(cfg)
	automation, err := ic.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("events-automation"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("events-automation"), PolicyName: aws.String("start"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:StartAutomationExecution","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	ev := eventbridge.NewFromConfig(cfg)
	if _, err := ev.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("restart-trail"),
		EventPattern: aws.String(`{"source":["aws.cloudtrail"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["cloudtrail.amazonaws.com"],"eventName":["StopLogging"]}}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ev.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("restart-trail"), Targets: []evtypes.Target{{
		Id: aws.String("restart"), Arn: aws.String("arn:aws:ssm:us-east-1:123456789012:automation-definition/RestartTrail"), RoleArn: automation.Role.Arn,
	}}}); err != nil {
		t.Fatal(err)
	}
}

// TestEmptyAnswerIsNotData: a 200 answer with no body, or with half of one, to a JSON-protocol
// or query-protocol call is an error naming the operation, never an empty list: the findings
// that needed it turn ERROR (exit 2), and nothing else changes.
func TestEmptyAnswerIsNotData(t *testing.T) {
	srv, p := faultSetup(t)
	watchedTrail(t, srv)
	clean := scanByKey(t, 0, faultScan...)
	for _, c := range []struct {
		op   string
		kind faultproxy.Kind
		// name is how a finding's message names the failed read.
		name string
	}{
		{"cloudtrail:DescribeTrails", faultproxy.EmptyBody, "DescribeTrails"},
		{"events:ListRules", faultproxy.EmptyBody, "ListRules"},
		{"monitoring:DescribeAlarms", faultproxy.EmptyBody, "DescribeAlarms"},
		{"sts:GetCallerIdentity", faultproxy.EmptyBody, "GetCallerIdentity"},
		{"ec2:DescribeInstances", faultproxy.EmptyBody, "DescribeInstances"},
		{"logs:DescribeMetricFilters", faultproxy.Truncated, "DescribeMetricFilters"},
		{"cloudtrail:GetTrailStatus", faultproxy.Truncated, "GetTrailStatus"},
	} {
		t.Run(c.op, func(t *testing.T) {
			p.SetFaults(faultproxy.Fault{Operation: c.op, Kind: c.kind})
			defer p.SetFaults()
			before := p.Injected.Load()
			got := scanByKey(t, 2, faultScan...)
			if p.Injected.Load() == before {
				t.Fatalf("%s was never answered with the fault", c.op)
			}
			errors := 0
			for k, f := range got {
				cf, ok := clean[k]
				if ok && f.Status == cf.Status && f.Message == cf.Message {
					continue
				}
				// A finding the clean scan did not have (an account-wide ERROR when the trails
				// cannot be listed) must be ERROR too.
				if f.Status != checks.Error {
					t.Errorf("%s changed from %q to %s (%q): an empty answer read as data", k, cf.Status, f.Status, f.Message)
					continue
				}
				errors++
				if !strings.Contains(f.Reasoning(), c.name) {
					t.Errorf("%s: ERROR without naming %s: %q", k, c.name, f.Message)
				}
				if c.kind == faultproxy.EmptyBody && !strings.Contains(f.Reasoning(), "empty body") {
					t.Errorf("%s: ERROR does not say the body was empty: %q", k, f.Message)
				}
			}
			if errors == 0 {
				t.Error("no finding turned ERROR")
			}
		})
	}
}
