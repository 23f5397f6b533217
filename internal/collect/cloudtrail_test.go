package collect

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

// makeTrail creates a bucket and a trail homed in home, as an engineer would.
func makeTrail(t *testing.T, srv *motoserver.Server, home, name string, multi bool) string {
	t.Helper()
	ctx := motoserver.Ctx(t)
	cfg := srv.Config(home)
	bucket := "trail-bucket-" + name
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if home != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(home)}
	}
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, in); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	out, err := cloudtrail.NewFromConfig(cfg).CreateTrail(ctx, &cloudtrail.CreateTrailInput{
		Name: aws.String(name), S3BucketName: aws.String(bucket), IsMultiRegionTrail: aws.Bool(multi),
	})
	if err != nil {
		t.Fatalf("CreateTrail: %v", err)
	}
	return aws.ToString(out.TrailARN)
}

func TestCollectTrailsAcrossRegions(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Ctx(t)
	multiARN := makeTrail(t, srv, "eu-west-1", "org-wide", true)
	localARN := makeTrail(t, srv, "us-east-1", "local", false)
	ct := cloudtrail.NewFromConfig(srv.Config("eu-west-1"))
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("org-wide")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{
		TrailName:      aws.String(multiARN),
		EventSelectors: []cttypes.EventSelector{{ReadWriteType: cttypes.ReadWriteTypeWriteOnly, IncludeManagementEvents: aws.Bool(true)}},
	}); err != nil {
		t.Fatal(err)
	}

	c := New(Options{Regions: []string{"us-east-1", "us-west-2"}, Now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)})
	snap, err := c.Snapshot(ctx, []Target{{Config: srv.Config("us-east-1")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Accounts) != 1 || snap.Accounts[0].ID != motoserver.DefaultAccount {
		t.Fatalf("accounts = %+v", snap.Accounts)
	}
	a := snap.Accounts[0]
	if a.Error != nil {
		t.Fatalf("account error: %v", a.Error)
	}
	east, west := a.Region("us-east-1"), a.Region("us-west-2")
	if got := east.CloudTrail.TrailARNs; len(got) != 2 {
		t.Errorf("us-east-1 sees %v, want the multi-region trail and the local one", got)
	}
	if got := west.CloudTrail.TrailARNs; len(got) != 1 || got[0] != multiARN {
		t.Errorf("us-west-2 sees %v, want only %s", got, multiARN)
	}
	multi := a.Trail(multiARN)
	if multi == nil || multi.HomeRegion != "eu-west-1" || !multi.IsMultiRegion {
		t.Fatalf("multi-region trail = %+v", multi)
	}
	if multi.Status == nil || !multi.Status.IsLogging {
		t.Errorf("multi-region trail status = %+v (error %v), want logging (read in home region eu-west-1)", multi.Status, multi.StatusError)
	}
	if multi.Selectors == nil || len(multi.Selectors.Classic) != 1 || multi.Selectors.Classic[0].ReadWriteType != "WriteOnly" {
		t.Errorf("selectors = %+v (error %v), want one WriteOnly classic selector", multi.Selectors, multi.SelectorsError)
	}
	local := a.Trail(localARN)
	if local == nil || local.Status == nil || local.Status.IsLogging {
		t.Errorf("local trail = %+v, want a created but not started trail", local)
	}
	if len(a.Trails) != 2 {
		t.Errorf("trails = %d, want 2 (each trail once, however many regions see it)", len(a.Trails))
	}
}

func TestCollectMakesNoCallTwice(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Ctx(t)
	makeTrail(t, srv, "eu-west-1", "everywhere", true)
	cfg := srv.Config("us-east-1")
	var rec awsclient.Recorder
	rec.Attach(&cfg)
	if _, err := New(Options{Regions: []string{"us-east-1", "us-west-2", "eu-west-1"}}).Snapshot(ctx, []Target{{Config: cfg}}); err != nil {
		t.Fatal(err)
	}
	if rep := rec.Repeated(); len(rep) > 0 {
		t.Errorf("calls repeated with the same input:\n%s", strings.Join(rep, "\n"))
	}
	ops := rec.Operations()
	if ops["CloudTrail:GetTrailStatus"] != 1 || ops["CloudTrail:GetEventSelectors"] != 1 {
		t.Errorf("trail details should be read once per trail, got %v", ops)
	}
	if ops["CloudTrail:DescribeTrails"] != 3 {
		t.Errorf("DescribeTrails should run once per region, got %v", ops)
	}
}
