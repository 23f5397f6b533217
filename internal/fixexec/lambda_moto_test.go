package fixexec

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

// TestStopLoggingLambdaRestartsTrail runs the remediation function exactly as lookout deploys
// it — the in-memory zip, unpacked — with python3 and boto3 against moto, on the StopLogging
// events of the detection corpus (trail named by name and by ARN) for a stopped trail, and
// checks that the trail is logging again. A StartLogging event is ignored.
func TestStopLoggingLambdaRestartsTrail(t *testing.T) {
	srv := motoserver.Start(t)
	if err := exec.Command(motoserver.Python(), "-c", "import boto3").Run(); err != nil {
		t.Skipf("boto3 is not importable by %s: %v", motoserver.Python(), err)
	}
	ctx := motoserver.Ctx(t)
	cfg := srv.Config("eu-west-1")
	ct := cloudtrail.NewFromConfig(cfg)
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String("trail-logs-eu"), CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	out, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("audit"), S3BucketName: aws.String("trail-logs-eu")})
	if err != nil {
		t.Fatal(err)
	}
	trail := detection.Trail{Name: "audit", ARN: aws.ToString(out.TrailARN), Region: "eu-west-1", Account: motoserver.DefaultAccount}

	dir := unpack(t)
	logging := func() bool {
		st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("audit")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToBool(st.IsLogging)
	}
	d := detection.StopLogging(trail)
	if len(d.Positives) < 2 {
		t.Fatalf("the corpus has %d StopLogging events, want by name and by ARN", len(d.Positives))
	}
	for _, ev := range d.Positives {
		t.Run(ev.Name, func(t *testing.T) {
			if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("audit")}); err != nil {
				t.Fatal(err)
			}
			if _, err := ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("audit")}); err != nil {
				t.Fatal(err)
			}
			if logging() {
				t.Fatal("setup: the trail is still logging after StopLogging")
			}
			res := invoke(t, srv, dir, ev.Body)
			if res["restarted"] != "audit" || res["is_logging"] != true {
				t.Fatalf("handler returned %v", res)
			}
			if !logging() {
				t.Fatal("the trail is not logging after the remediation ran")
			}
		})
	}
	t.Run("StartLogging is ignored", func(t *testing.T) {
		if _, err := ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String("audit")}); err != nil {
			t.Fatal(err)
		}
		res := invoke(t, srv, dir, d.Negatives[0].Body)
		if res["restarted"] != nil || logging() {
			t.Fatalf("a %s event restarted the trail: %v", d.Negatives[0].Name, res)
		}
	})
}

// unpack writes the deployment package's files to a directory, as Lambda would.
func unpack(t *testing.T) string {
	t.Helper()
	z, err := lambdaZip("stoplogging_remediation.py")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// invoke calls lambda_handler(event, None) in a python3 process whose boto3 talks to moto.
func invoke(t *testing.T, srv *motoserver.Server, dir string, event []byte) map[string]any {
	t.Helper()
	evFile := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(evFile, event, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(motoserver.Python(), "-c",
		"import json, sys; sys.path.insert(0, sys.argv[1]); import stoplogging_remediation as m; "+
			"print(json.dumps(m.lambda_handler(json.load(open(sys.argv[2])), None)))", dir, evFile)
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+srv.URL, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_SESSION_TOKEN=", "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"PYTHONDONTWRITEBYTECODE=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("handler failed: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var res map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("handler output %q: %v", stdout.String(), err)
	}
	return res
}
