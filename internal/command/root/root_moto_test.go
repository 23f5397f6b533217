package root

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lookout-audit/lookout/internal/motoserver"
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
		if f.Status != "FAIL" || !strings.Contains(f.Reasoning(), "trail main") || !strings.Contains(f.Reasoning(), "is not logging (StopLogging at ") {
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
