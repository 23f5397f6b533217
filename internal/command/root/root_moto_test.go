package root

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/report"
)

// loggingTrail creates, in moto, a bucket and a multi-region trail "main" homed in us-east-1,
// and starts it; it returns the CloudTrail client for further changes.
func loggingTrail(t *testing.T, srv *motoserver.Server) *cloudtrail.Client {
	t.Helper()
	ctx := motoserver.Ctx(t)
	cfg := srv.Config("us-east-1")
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-logs")}); err != nil {
		t.Fatal(err)
	}
	ct := cloudtrail.NewFromConfig(cfg)
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("trail-logs"), IsMultiRegionTrail: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}); err != nil {
		t.Fatal(err)
	}
	return ct
}

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

// TestStoppedTrailEndToEnd is the foundation's acceptance test: a multi-region trail stopped
// in us-east-1 fails both regions with the stopped reason and exit 1; after StartLogging the
// same scan passes with exit 0; and collect + scan --snapshot gives identical findings.
func TestStoppedTrailEndToEnd(t *testing.T) {
	srv := motoserver.Start(t)
	srv.UseAsDefault(t)
	ctx := motoserver.Ctx(t)
	ct := loggingTrail(t, srv)
	if _, err := ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("main")}); err != nil {
		t.Fatal(err)
	}

	scanArgs := []string{"scan", "--regions", "us-east-1,us-west-2", "--format", "json", "--checks", "cloudtrail-logging", "-q"}
	code, out, stderr := run(t, scanArgs...)
	if code != 1 {
		t.Fatalf("stopped trail: exit %d, want 1\nstderr: %s", code, stderr)
	}
	r := findingsOf(t, out)
	if len(r.Findings) != 2 {
		t.Fatalf("got %d findings, want one per region: %+v", len(r.Findings), r.Findings)
	}
	for _, f := range r.Findings {
		if f.Status != "FAIL" || !strings.Contains(f.Message, "trail main") || !strings.Contains(f.Message, "is not logging (StopLogging at ") {
			t.Errorf("%s: got %s %q, want FAIL naming the stopped trail", f.Region, f.Status, f.Message)
		}
		if f.Fix == nil || !f.Fix.Available || !strings.Contains(f.Fix.Summary, "StartLogging on trail main in us-east-1") {
			t.Errorf("%s: fix = %+v", f.Region, f.Fix)
		}
	}

	// The same flow offline: collect, then scan the snapshot.
	snapFile := filepath.Join(t.TempDir(), "snap.json")
	if code, _, stderr := run(t, "collect", "--regions", "us-east-1,us-west-2", "--output", snapFile, "-q"); code != 0 {
		t.Fatalf("collect: exit %d: %s", code, stderr)
	}
	code, offline, stderr := run(t, "scan", "--snapshot", snapFile, "--format", "json", "--checks", "cloudtrail-logging")
	if code != 1 {
		t.Fatalf("scan --snapshot: exit %d, want 1: %s", code, stderr)
	}
	if got := findingsOf(t, offline).Findings; !reflect.DeepEqual(got, r.Findings) {
		t.Errorf("offline findings differ from live ones:\nlive:    %+v\noffline: %+v", r.Findings, got)
	}

	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = run(t, scanArgs...)
	if code != 0 {
		t.Fatalf("logging trail: exit %d, want 0\nstderr: %s\n%s", code, stderr, out)
	}
	for _, f := range findingsOf(t, out).Findings {
		if f.Status != "PASS" {
			t.Errorf("%s: got %s %q after StartLogging", f.Region, f.Status, f.Message)
		}
	}
}

func TestUsageErrorsExit3(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"scan", "--nope"}, "unknown flag"},
		{"bad format", []string{"scan", "--snapshot", "../../../fixtures/demo-org.json", "--format", "xml"}, `unknown format "xml"`},
		{"bad fail-on", []string{"scan", "--snapshot", "../../../fixtures/demo-org.json", "--fail-on", "urgent"}, "--fail-on"},
		{"unknown check", []string{"scan", "--snapshot", "../../../fixtures/demo-org.json", "--checks", "nope"}, "unknown check id nope"},
		{"bad region", []string{"scan", "--regions", "us-east-1,mars"}, `"mars" is not a region name`},
		{"missing snapshot", []string{"scan", "--snapshot", "nope.json"}, "nope.json"},
		{"newer snapshot", []string{"scan", "--snapshot", writeFile(t, `{"schema_version": 7}`)}, "schema_version 7 is newer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			if code != 3 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 3 and %q", code, stderr, tc.want)
			}
		})
	}
}

func writeFile(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "f.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

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
