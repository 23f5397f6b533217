package mergecmd_test

import (
	"encoding/json"

	"bytes"
	"context"
	"github.com/lookout-audit/lookout/checks"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lookout-audit/lookout/internal/command/root"
	"github.com/lookout-audit/lookout/internal/motoorg"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/shard"
	"github.com/lookout-audit/lookout/report"
)

func awsEnv(t *testing.T, srv *motoserver.Server) {
	srv.UseAsDefault(t)
	t.Setenv(shard.IndexEnv, "")
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := root.Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := report.ReadJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

// trail creates a multi-region trail in the account of cfg, logging or stopped.
func trail(t *testing.T, ctx context.Context, cfg aws.Config, bucket string, logging bool) {
	t.Helper()
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	ct := cloudtrail.NewFromConfig(cfg)
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(bucket), IsMultiRegionTrail: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if logging {
		if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestShardedScanMergedEqualsUnshardedScan is the acceptance test of --org, --role-name,
// --shard and merge: an organisation of six accounts in moto (one whose audit role refuses
// us, one with a logging trail, one with a stopped trail) scanned whole and scanned as three
// shards then merged gives the same findings, finding for finding, and the same exit code.
func TestShardedScanMergedEqualsUnshardedScan(t *testing.T) {
	srv := motoserver.Start(t)
	awsEnv(t, srv)
	ctx := motoserver.Ctx(t)
	// Deterministic account ids, so the shards' contents are the same on every run.
	if resp, err := http.Post(srv.URL+"/moto-api/seed?a=42", "text/plain", nil); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	cfg := srv.Config("us-east-1")
	ids, err := motoorg.Create(ctx, cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	members := motoorg.Members(ids, motoserver.DefaultAccount)
	denied := members[0]
	if err := motoorg.DenyRole(ctx, cfg, denied, "LookoutAudit"); err != nil {
		t.Fatal(err)
	}
	trail(t, ctx, cfg, "mgmt-trail", true)
	trail(t, ctx, motoorg.In(cfg, members[1]), "member1-trail", true)
	trail(t, ctx, motoorg.In(cfg, members[2]), "member2-trail", false)

	dir := t.TempDir()
	scope := []string{"scan", "--org", "--role-name", "LookoutAudit", "--regions", "us-east-1,us-west-2", "--format", "json", "-q"}
	wholeCode, _, stderr := run(t, append(scope, "--output", filepath.Join(dir, "whole.json"))...)
	if wholeCode != 2 {
		t.Fatalf("unsharded scan: exit %d, want 2 (the denied account is ERROR)\n%s", wholeCode, stderr)
	}
	whole := readReport(t, filepath.Join(dir, "whole.json"))
	if strings.Join(whole.Scope.Accounts, ",") != strings.Join(ids, ",") {
		t.Fatalf("unsharded scope %v, want every account %v", whole.Scope.Accounts, ids)
	}
	t.Logf("unsharded: %d accounts, %+v", len(whole.Scope.Accounts), whole.Summary)
	var deniedErrors int
	for _, f := range whole.Findings {
		if f.Account == denied {
			if f.Status != "ERROR" || !strings.Contains(f.Reasoning(), "sts:AssumeRole") {
				t.Errorf("denied account finding %s: %s %q, want ERROR naming sts:AssumeRole", f.CheckID, f.Status, f.Message)
			}
			deniedErrors++
		} else if f.Status == "ERROR" {
			t.Errorf("account %s: unexpected ERROR %s: %s", f.Account, f.CheckID, f.Message)
		}
	}
	if deniedErrors == 0 {
		t.Errorf("no finding for the account whose role could not be assumed")
	}

	var files []string
	nonEmpty := 0
	for k := 1; k <= 3; k++ {
		spec := strconv.Itoa(k) + "/3"
		path := filepath.Join(dir, "shard-"+strconv.Itoa(k)+".json")
		code, _, stderr := run(t, append(scope, "--shard", spec, "--output", path)...)
		if code == 3 {
			t.Fatalf("shard %d/3: exit 3\n%s", k, stderr)
		}
		r := readReport(t, path)
		t.Logf("shard %s: accounts %v, %+v", spec, r.Scope.Accounts, r.Summary)
		if r.Scope.Shard != spec {
			t.Errorf("shard %d report: scope.shard = %q", k, r.Scope.Shard)
		}
		if len(r.Scope.Accounts) > 0 {
			nonEmpty++
		}
		files = append(files, path)
	}
	if nonEmpty < 2 {
		t.Fatalf("only %d of 3 shards hold accounts; the test would not exercise merging", nonEmpty)
	}

	// A Kubernetes Indexed Job pod with JOB_COMPLETION_INDEX=1 scans shard 2/3.
	t.Setenv(shard.IndexEnv, "1")
	run(t, append(scope, "--shard", "index/3", "--output", filepath.Join(dir, "k8s.json"))...)
	if got, want := readReport(t, filepath.Join(dir, "k8s.json")), readReport(t, files[1]); !reflect.DeepEqual(got.Scope, want.Scope) {
		t.Errorf("index/3 with %s=1: scope %+v, want shard 2/3's %+v", shard.IndexEnv, got.Scope, want.Scope)
	}

	mergedCode, _, stderr := run(t, append([]string{"merge", "--format", "json", "--output", filepath.Join(dir, "merged.json")}, files...)...)
	if mergedCode != wholeCode {
		t.Fatalf("merge: exit %d, want the unsharded scan's %d\n%s", mergedCode, wholeCode, stderr)
	}
	merged := readReport(t, filepath.Join(dir, "merged.json"))
	if !reflect.DeepEqual(merged.Scope, whole.Scope) {
		t.Errorf("merged scope %+v, want %+v", merged.Scope, whole.Scope)
	}
	if merged.Summary != whole.Summary {
		t.Errorf("merged summary %+v, want %+v", merged.Summary, whole.Summary)
	}
	if len(merged.Findings) != len(whole.Findings) {
		t.Fatalf("merged %d findings, unsharded %d", len(merged.Findings), len(whole.Findings))
	}
	for i := range merged.Findings {
		m, w := merged.Findings[i], whole.Findings[i]
		me, we := withoutClock(generic(t, m.Evidence)), withoutClock(generic(t, w.Evidence))
		m.Evidence, w.Evidence = nil, nil
		if !reflect.DeepEqual(m, w) || !reflect.DeepEqual(me, we) {
			t.Errorf("finding %d differs:\nmerged    %+v\nunsharded %+v", i, merged.Findings[i], whole.Findings[i])
		}
	}

	// Every format scan writes, merge writes; and a shard given twice is refused.
	for _, format := range []string{"sarif", "markdown", "table"} {
		code, out, stderr := run(t, append([]string{"merge", "--format", format}, files...)...)
		if code != wholeCode || out == "" {
			t.Errorf("merge --format %s: exit %d, %d bytes\n%s", format, code, len(out), stderr)
		}
	}
	if code, _, stderr := run(t, "merge", files[0], files[1], files[2], files[0]); code != 3 || !strings.Contains(stderr, "overlap") {
		t.Errorf("merging a shard twice: exit %d, stderr %q; want 3 and an overlap error", code, stderr)
	}
}

// withoutClock drops the "*_time" fields of evidence: CloudTrail's LatestDeliveryTime moves
// while logs flow (moto stamps it with the time of each GetTrailStatus), so two scans a second
// apart legitimately differ there and nowhere else.
// generic is evidence as plain JSON values, for comparing it without its clock fields.
func generic(t *testing.T, e checks.Evidence) any {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func withoutClock(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if !strings.HasSuffix(k, "_time") {
				out[k] = withoutClock(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutClock(e)
		}
		return out
	}
	return v
}
