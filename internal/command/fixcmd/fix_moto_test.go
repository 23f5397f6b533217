package fixcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/collect"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// One moto server serves the package; each test resets it.
var srv *motoserver.Server

func TestMain(m *testing.M) { os.Exit(motoserver.RunShared(m, &srv)) }

// moto returns the shared server, reset, with the SDK default chain pointed at it.
func moto(t *testing.T) *motoserver.Server {
	t.Helper()
	motoserver.Require(t)
	if srv == nil {
		t.Fatal("moto is available but the shared server did not start")
	}
	srv.Reset(t)
	srv.UseAsDefault(t)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	return srv
}

var testRegions = []string{"us-east-1", "us-west-2"}

// fix runs `lookout fix --format json` and returns the document and Run's error.
func fix(t *testing.T, apply bool, extra func(*Options)) (plan.Document, error, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	o := &Options{Format: "json", Apply: apply, Quiet: true, SigninRegions: strings.Join(checks.DefaultSigninRegions, ","),
		Stdout: &out, Stderr: &errOut, PropagationTimeout: time.Millisecond}
	o.Scope.Regions = strings.Join(testRegions, ",")
	o.Scope.Concurrency = 8
	if extra != nil {
		extra(o)
	}
	err := Run(motoserver.Ctx(t), o)
	var doc plan.Document
	if out.Len() > 0 {
		if jerr := json.Unmarshal(out.Bytes(), &doc); jerr != nil {
			t.Fatalf("fix output is not a plan document: %v\n%s", jerr, out.String())
		}
	}
	return doc, err, errOut.String()
}

// scanNow collects the moto account and runs the checks.
func scanNow(t *testing.T, s *motoserver.Server, ids ...string) []checks.Finding {
	t.Helper()
	snap := collectNow(t, s)
	list, err := checks.Select(ids)
	if err != nil {
		t.Fatal(err)
	}
	return readable(t, checks.Run(snap, list, checks.Options{}))
}

// readable holds every finding of a scenario to one sentence (checks.SentenceProblem).
func readable(t *testing.T, fs []checks.Finding) []checks.Finding {
	t.Helper()
	for _, f := range fs {
		if err := checks.SentenceProblem(f); err != nil {
			t.Error(err)
		}
	}
	return fs
}

func collectNow(t *testing.T, s *motoserver.Server) *snapshot.Snapshot {
	t.Helper()
	snap, err := collect.New(collect.Options{Regions: testRegions}).Snapshot(motoserver.Ctx(t), []collect.Target{{Config: s.Config("us-east-1")}})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func statuses(fs []checks.Finding) map[string]checks.Status {
	out := map[string]checks.Status{}
	for _, f := range fs {
		out[f.CheckID+" "+f.Region+" "+f.Resource] = f.Status
	}
	return out
}

func actions(d plan.Document) []string {
	var out []string
	for _, p := range d.Plans {
		for _, a := range p.Actions {
			s := a.IAMAction() + " " + a.Region
			if a.Outcome != "" {
				s += " " + string(a.Outcome)
			}
			out = append(out, s)
		}
	}
	return out
}

func s3Client(s *motoserver.Server, region string) *s3.Client {
	return s3.NewFromConfig(s.Config(region), func(o *s3.Options) { o.UsePathStyle = true })
}

func mustTrail(t *testing.T, ctx context.Context, s *motoserver.Server, name string, multi, logging bool) {
	t.Helper()
	cfg := s.Config("us-east-1")
	bucket := "user-trail-" + name
	if _, err := s3Client(s, "us-east-1").CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	ct := cloudtrail.NewFromConfig(cfg)
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(name), S3BucketName: aws.String(bucket), IsMultiRegionTrail: aws.Bool(multi)}); err != nil {
		t.Fatal(err)
	}
	if logging {
		if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFixStartsStoppedTrail: a stopped multi-region trail fails both regions; the dry run
// plans one StartLogging in the home region (deduplicated across the two findings) and changes
// nothing; --apply starts it; the rescan passes; a second --apply plans nothing.
func TestFixStartsStoppedTrail(t *testing.T) {
	s := moto(t)
	ctx := motoserver.Ctx(t)
	mustTrail(t, ctx, s, "main", true, false)
	only := func(o *Options) { o.Checks = []string{"cloudtrail-logging"} }

	doc, err, stderr := fix(t, false, only)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, stderr)
	}
	if got := actions(doc); len(got) != 1 || got[0] != "cloudtrail:StartLogging us-east-1" {
		t.Fatalf("dry run planned %v, want one StartLogging in us-east-1", got)
	}
	if doc.Applied || doc.Plans[0].Actions[0].Params != (plan.StartLogging{Name: "main"}) {
		t.Fatalf("dry run: applied=%v params=%v", doc.Applied, doc.Plans[0].Actions[0].Params)
	}
	for k, st := range statuses(scanNow(t, s, "cloudtrail-logging")) {
		if st != checks.Fail {
			t.Fatalf("the dry run changed something: %s is %s", k, st)
		}
	}

	doc, err, stderr = fix(t, true, only)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, stderr)
	}
	if got := actions(doc); len(got) != 1 || got[0] != "cloudtrail:StartLogging us-east-1 done" {
		t.Fatalf("apply: %v", got)
	}
	for k, st := range statuses(scanNow(t, s, "cloudtrail-logging")) {
		if st != checks.Pass {
			t.Errorf("after fix: %s is %s", k, st)
		}
	}
	doc, err, _ = fix(t, true, only)
	if err != nil || plan.Count(doc.Plans) != 0 {
		t.Fatalf("second apply: err=%v actions=%v", err, actions(doc))
	}
}

// TestFixCreatesTrail: with no trail at all, fix creates lookout's multi-region trail with its
// bucket, bucket policy, log group, delivery role and log file validation, once for both regions.
func TestFixCreatesTrail(t *testing.T) {
	s := moto(t)
	ctx := motoserver.Ctx(t)
	only := func(o *Options) { o.Checks = []string{"cloudtrail-logging"} }
	doc, err, stderr := fix(t, true, only)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, stderr)
	}
	want := []string{
		"s3:CreateBucket us-east-1 done", "s3:PutBucketPolicy us-east-1 done", "logs:CreateLogGroup us-east-1 done",
		"iam:CreateRole us-east-1 done", "iam:PutRolePolicy us-east-1 done", "cloudtrail:CreateTrail us-east-1 done",
		"cloudtrail:StartLogging us-east-1 done",
	}
	if got := actions(doc); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("apply:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(doc.Plans) != 2 || len(doc.Plans[1].Actions) != 0 || !strings.Contains(doc.Plans[1].Note, "earlier plan") {
		t.Fatalf("the us-west-2 plan should be covered by the us-east-1 one: %+v", doc.Plans)
	}
	out, err := cloudtrail.NewFromConfig(s.Config("us-east-1")).GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("lookout-trail")})
	if err != nil {
		t.Fatal(err)
	}
	tr := out.Trail
	if !aws.ToBool(tr.IsMultiRegionTrail) || !aws.ToBool(tr.LogFileValidationEnabled) || aws.ToString(tr.CloudWatchLogsLogGroupArn) == "" ||
		aws.ToString(tr.S3BucketName) != "lookout-cloudtrail-123456789012-us-east-1" {
		t.Fatalf("trail created as %+v", tr)
	}
	pol, err := s3Client(s, "us-east-1").GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: tr.S3BucketName})
	if err != nil || !strings.Contains(aws.ToString(pol.Policy), "AWSCloudTrailWrite") {
		t.Fatalf("bucket policy: %v %v", err, pol)
	}
	for k, st := range statuses(scanNow(t, s, "cloudtrail-logging")) {
		if st != checks.Pass {
			t.Errorf("after fix: %s is %s", k, st)
		}
	}
	doc, err, _ = fix(t, true, only)
	if err != nil || plan.Count(doc.Plans) != 0 {
		t.Fatalf("second apply: err=%v actions=%v", err, actions(doc))
	}
}

// TestFixRefusesUsersResource: a bucket of lookout's predictable name that lookout did not
// create (no managed-by tag) stops the plan at its first action; nothing else is attempted,
// the bucket is untouched, and the exit code is 2.
func TestFixRefusesUsersResource(t *testing.T) {
	s := moto(t)
	ctx := motoserver.Ctx(t)
	bucket := "lookout-cloudtrail-123456789012-us-east-1"
	if _, err := s3Client(s, "us-east-1").CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	doc, err, _ := fix(t, true, func(o *Options) { o.Checks = []string{"cloudtrail-logging"} })
	if exitcode.Code(err) != exitcode.Incomplete {
		t.Fatalf("exit %d (%v), want 2", exitcode.Code(err), err)
	}
	got := actions(doc)
	if len(got) != 7 || got[0] != "s3:CreateBucket us-east-1 failed" || !strings.HasSuffix(got[6], " skipped") {
		t.Fatalf("outcomes: %v", got)
	}
	if d := doc.Plans[0].Actions[0].Detail; !strings.Contains(d, "not created by lookout") {
		t.Fatalf("detail %q does not say why", d)
	}
	if _, err := s3Client(s, "us-east-1").GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}); err == nil {
		t.Fatal("the user's bucket got a policy")
	}
}
