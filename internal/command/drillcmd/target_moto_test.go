package drillcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lookout-audit/lookout/internal/drill"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

// narrowedRule is the StopLogging rule of a team that watches its own trail only.
var narrowedRule = strings.Replace(stopLoggingRule, `"eventName":["StopLogging"]`,
	`"eventName":["StopLogging"],"requestParameters":{"name":["main","arn:aws:cloudtrail:us-east-1:123456789012:trail/main"]}`, 1)

// secondTrail adds a logging trail "audit" beside rootChain's "main", as an account with its
// own trail and an organisation's has: CloudTrail delivers events to EventBridge only while a
// trail logs the region (EventBridge user guide), so main's StopLogging still reaches the rules.
func secondTrail(t *testing.T) {
	t.Helper()
	ctx, cfg := motoserver.Ctx(t), srv.Config(region)
	if _, err := s3Client(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("audit-bucket")}); err != nil {
		t.Fatal(err)
	}
	ct := cloudtrail.NewFromConfig(cfg)
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("audit"), S3BucketName: aws.String("audit-bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("audit")}); err != nil {
		t.Fatal(err)
	}
}

func logging(t *testing.T, trail string) bool {
	t.Helper()
	st, err := cloudtrail.NewFromConfig(srv.Config(region)).GetTrailStatus(motoserver.Ctx(t), &cloudtrail.GetTrailStatusInput{Name: aws.String(trail)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToBool(st.IsLogging)
}

// resultFor is the report's result for a trail.
func resultFor(t *testing.T, r drill.Report, trail string) drill.Result {
	t.Helper()
	for _, res := range r.Results {
		if strings.HasSuffix(res.Resource, "trail/"+trail) {
			return res
		}
	}
	t.Fatalf("no result for trail %s in %+v", trail, r.Results)
	return drill.Result{}
}

// --target-trail on the emulator: a rule narrowed to trail main, which no canary can show,
// drilled by stopping main itself; the remediation restarts it (PASS), or nothing does and the
// drill's safety net restarts it at the deadline (FAIL); a name no finding has is invalid usage.
func TestDrillTargetTrail(t *testing.T) {
	for _, tc := range []struct {
		name      string
		permitted bool
		status    drill.Status
		steps     string
		says      string
	}{
		{"the remediation restarts the trail", true, drill.Pass,
			"PASS read-trail, PASS stop-logging, PASS remediated, PASS safety-net", "the remediation restarted trail main"},
		{"nothing restarts it: the safety net does", false, drill.Fail,
			"PASS read-trail, PASS stop-logging, FAIL remediated, PASS safety-net", "nothing restarted trail main within"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rootChain(t)
			secondTrail(t)
			remediation(t, narrowedRule, tc.permitted)
			target := func(o *Options) {
				fastPoll(o)
				o.TargetTrail = "main"
				o.Deadline = 400 * time.Millisecond
			}
			plan, err := runDrill(t, "cloudtrail-stoplogging-remediation", false, target)
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			if p := resultFor(t, plan, "main"); len(p.Plan) != 4 || !strings.Contains(p.Plan[3], "safety net, never skipped") {
				t.Errorf("plan %+v", p)
			}
			if !logging(t, "main") {
				t.Fatal("the plan stopped the trail")
			}
			r, err := runDrill(t, "cloudtrail-stoplogging-remediation", true, target)
			if tc.status == drill.Fail && exitcode.Code(err) != exitcode.Findings {
				t.Errorf("exit %d (%v)", exitcode.Code(err), err)
			}
			res := resultFor(t, r, "main")
			if res.Status != tc.status || steps(res) != tc.steps || !strings.Contains(res.Message, tc.says) {
				t.Errorf("%s %q [%s]", res.Status, res.Message, steps(res))
			}
			if !logging(t, "main") {
				t.Error("the drill left trail main stopped")
			}
			if left := canaryLeft(t); len(left) != 0 {
				t.Errorf("left %v", left)
			}
		})
	}

	// A name no finding has, and a trail that is not logging (no remediation finding: one
	// per logging trail), are invalid usage.
	t.Run("a trail no finding names", func(t *testing.T) {
		rootChain(t)
		secondTrail(t)
		if _, err := cloudtrail.NewFromConfig(srv.Config(region)).StopLogging(motoserver.Ctx(t), &cloudtrail.StopLoggingInput{Name: aws.String("audit")}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"nosuch", "audit"} {
			_, err := runDrill(t, "cloudtrail-stoplogging-remediation", false, func(o *Options) { o.TargetTrail = name })
			if exitcode.Code(err) != exitcode.Usage || !strings.Contains(err.Error(), "--target-trail "+name+": no logging trail in scope has that name") {
				t.Errorf("exit %d: %v", exitcode.Code(err), err)
			}
		}
	})
}

// Ctrl-C while the drill watches the stopped trail: the safety net restarts it all the same.
func TestDrillTargetTrailInterrupted(t *testing.T) {
	rootChain(t)
	secondTrail(t)
	remediation(t, narrowedRule, false) // nothing restarts it: the drill would wait
	ctx, cancel := context.WithCancel(motoserver.Ctx(t))
	defer cancel()
	var out, errOut bytes.Buffer
	o := &Options{Checks: []string{"cloudtrail-stoplogging-remediation"}, Apply: true, Deadline: time.Hour, Format: "json", Quiet: true,
		SigninRegions: "us-east-1", Stdout: &out, Stderr: &errOut, TargetTrail: "main",
		Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }}
	o.Scope.Regions = region
	err := Run(ctx, o)
	if exitcode.Code(err) != exitcode.Incomplete {
		t.Errorf("exit %d (%v), want %d", exitcode.Code(err), err, exitcode.Incomplete)
	}
	var r drill.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	res := resultFor(t, r, "main")
	if res.Status != drill.Error || !strings.Contains(res.Message, "interrupted") || steps(res) != "PASS read-trail, PASS stop-logging, ERROR remediated, PASS safety-net" {
		t.Errorf("%s %q [%s]", res.Status, res.Message, steps(res))
	}
	if !logging(t, "main") {
		t.Error("Ctrl-C left trail main stopped")
	}
}
