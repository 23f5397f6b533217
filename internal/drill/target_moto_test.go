package drill

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/route"
)

// startRefused is a CloudTrail whose StartLogging fails, as for a caller whose policy lacks
// cloudtrail:StartLogging.
type startRefused struct{ *cloudtrail.Client }

func (startRefused) StartLogging(context.Context, *cloudtrail.StartLoggingInput, ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error) {
	return nil, errors.New("AccessDeniedException: not authorized to perform cloudtrail:StartLogging")
}

// The drill of a real trail on the emulator, where no rule restarts it: the safety net
// restarts it at the deadline (FAIL); a trail stopped since the scan is not touched; a safety
// net that cannot restart the trail is an ERROR that says how to.
func TestExerciseTargetTrail(t *testing.T) {
	motoserver.Require(t)
	const account, region = "123456789012", "us-east-1"
	const stopLogging = `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"],"requestParameters":{"name":["main"]}}}`
	for _, tc := range []struct {
		name    string
		stopped bool
		refuse  bool
		status  Status
		steps   string
		says    string
		logging bool
	}{
		{"the safety net restarts it", false, false, Fail, "PASS read-trail, PASS stop-logging, FAIL remediated, PASS safety-net", "nothing restarted trail main within 2m0s", true},
		{"stopped since the scan", true, false, Skipped, "SKIPPED read-trail", "trail main is not logging, and a drill does not touch", false},
		{"the safety net is refused", false, true, Error, "PASS read-trail, PASS stop-logging, FAIL remediated, ERROR safety-net", "TRAIL main MAY BE STOPPED", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Reset(t)
			ctx, cfg := motoserver.Ctx(t), srv.Config(region)
			if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-bucket")}); err != nil {
				t.Fatal(err)
			}
			ct := cloudtrail.NewFromConfig(cfg)
			if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("trail-bucket")}); err != nil {
				t.Fatal(err)
			}
			if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}); err != nil {
				t.Fatal(err)
			}
			f := checks.Finding{CheckID: "cloudtrail-stoplogging-remediation", Account: account, Region: region, Status: checks.Pass,
				Resource: "arn:aws:cloudtrail:us-east-1:123456789012:trail/main",
				Evidence: route.RuleEvidence{Trail: "main", HomeRegion: region, Rules: []route.RuleVerdict{{Rule: "restart", State: "ENABLED", Pattern: stopLogging}}}}
			results := Plan([]checks.Finding{f}, PlanOptions{ID: "d-1", TargetTrail: "main"})
			if len(results) != 1 || results[0].target == nil || results[0].CreatesResources() {
				t.Fatalf("plan %+v", results)
			}
			if tc.stopped {
				if _, err := ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("main")}); err != nil {
					t.Fatal(err)
				}
			}
			clock := &fakeClock{now: time.Now()}
			var api CloudTrailAPI = ct
			if tc.refuse {
				api = startRefused{ct}
			}
			created := Exercise(ctx, results, Options{ID: "d-1", Deadline: 2 * time.Minute, Now: clock.Now, Sleep: clock.Sleep,
				CloudTrail: func(string, string) (CloudTrailAPI, error) { return api, nil }})
			r := results[0]
			if r.Status != tc.status || stepList(r) != tc.steps || !strings.Contains(r.Message, tc.says) || len(created) != 0 {
				t.Errorf("%s %q [%s] created %v", r.Status, r.Message, stepList(r), created)
			}
			st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("main")})
			if err != nil || aws.ToBool(st.IsLogging) != tc.logging {
				t.Errorf("after the drill main logging=%t (%v), want %t", aws.ToBool(st.IsLogging), err, tc.logging)
			}
		})
	}
}

func stepList(r Result) string {
	var s []string
	for _, st := range r.Steps {
		s = append(s, string(st.Status)+" "+st.Step)
	}
	return strings.Join(s, ", ")
}
