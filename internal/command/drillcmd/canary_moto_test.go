package drillcmd

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/collect"
	"github.com/lookout-audit/lookout/internal/drill"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/fixexec"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/snapshot"
	"github.com/lookout-audit/lookout/policies"
)

const stopLoggingRule = `{"source":["aws.cloudtrail"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["cloudtrail.amazonaws.com"],"eventName":["StopLogging"]}}`

// remediation deploys the StopLogging auto-remediation as the AWS design has it — an
// EventBridge rule on StopLogging with a Lambda target that calls StartLogging — with
// lookout's own handler as the function's code; permitted says whether the function's
// resource policy lets the rule invoke it.
func remediation(t *testing.T, pattern string, permitted bool) {
	t.Helper()
	ctx, cfg := motoserver.Ctx(t), srv.Config(region)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("restart-trail"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	must("CreateRole", err)
	_, err = iam.NewFromConfig(cfg).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("restart-trail"), PolicyName: aws.String("start-logging"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:StartLogging","cloudtrail:GetTrailStatus"],"Resource":"*"}]}`)})
	must("PutRolePolicy", err)
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, err := zw.Create("stoplogging_remediation.py")
	must("zip", err)
	_, err = w.Write(fixexec.StopLoggingSource)
	must("zip", err)
	must("zip", zw.Close())
	fn, err := lambda.NewFromConfig(cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("restart-trail"),
		Runtime: lambdatypes.RuntimePython312, Role: role.Role.Arn, Handler: aws.String("stoplogging_remediation.lambda_handler"),
		Code: &lambdatypes.FunctionCode{ZipFile: zipped.Bytes()}})
	must("CreateFunction", err)
	eb := eventbridge.NewFromConfig(cfg)
	rule, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("trail-stopped"), EventPattern: aws.String(pattern), State: ebtypes.RuleStateEnabled})
	must("PutRule", err)
	_, err = eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("trail-stopped"), Targets: []ebtypes.Target{{Id: aws.String("1"), Arn: fn.FunctionArn}}})
	must("PutTargets", err)
	if permitted {
		_, err = lambda.NewFromConfig(cfg).AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: fn.FunctionArn, StatementId: aws.String("events"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("events.amazonaws.com"), SourceArn: rule.RuleArn})
		must("AddPermission", err)
	}
}

// canaryLeft lists the canary trails and buckets in the account.
func canaryLeft(t *testing.T) []string {
	t.Helper()
	ctx, cfg := motoserver.Ctx(t), srv.Config(region)
	var left []string
	trails, err := cloudtrail.NewFromConfig(cfg).ListTrails(ctx, &cloudtrail.ListTrailsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trails.Trails {
		if strings.HasPrefix(aws.ToString(tr.Name), drill.CanaryPrefix) {
			left = append(left, "trail "+aws.ToString(tr.Name))
		}
	}
	buckets, err := s3Client(cfg).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range buckets.Buckets {
		if strings.HasPrefix(aws.ToString(b.Name), drill.CanaryPrefix) {
			left = append(left, "bucket "+aws.ToString(b.Name))
		}
	}
	return left
}

func fastPoll(o *Options) { o.PollInterval = 20 * time.Millisecond }

// The StopLogging remediation drilled with a canary trail on the emulator (its launcher
// delivers StopLogging to the matching rules and runs the Lambda target's handler, lookout's
// own): the remediation restarts the canary; the drill removes the canary and its bucket.
func TestDrillStopLoggingRemediation(t *testing.T) {
	rootChain(t)
	remediation(t, stopLoggingRule, true)

	plan, err := runDrill(t, "cloudtrail-stoplogging-remediation", false, nil)
	if err != nil || len(plan.Results) != 1 {
		t.Fatalf("plan: %v %+v", err, plan)
	}
	if p := plan.Results[0]; p.Status != drill.Skipped || !strings.Contains(p.Message, "plan: stop a canary trail in us-east-1") || len(p.Plan) != 4 {
		t.Errorf("plan %+v", p)
	}
	if left := canaryLeft(t); len(left) != 0 {
		t.Fatalf("the plan created %v", left)
	}

	r, err := runDrill(t, "cloudtrail-stoplogging-remediation", true, fastPoll)
	if err != nil {
		t.Fatalf("drill: %v", err)
	}
	res := r.Results[0]
	if res.Status != drill.Pass || steps(res) != "PASS create-bucket, PASS create-trail, PASS start-logging, PASS stop-logging, PASS remediated, PASS cleanup" ||
		!strings.Contains(res.Message, "the remediation restarted a stopped canary trail") {
		t.Fatalf("drill: %s %s [%s]", res.Status, res.Message, steps(res))
	}
	if len(r.Created) != 2 || !r.Created[0].Removed || !r.Created[1].Removed {
		t.Errorf("created %+v, want the canary trail and bucket, removed", r.Created)
	}
	if left := canaryLeft(t); len(left) != 0 {
		t.Errorf("the drill left %v", left)
	}
}

// A remediation the rule may not invoke never restarts the canary: FAIL at the deadline (on a
// clock the test moves), and the canary is removed all the same.
func TestDrillStopLoggingNotInvoked(t *testing.T) {
	rootChain(t)
	remediation(t, stopLoggingRule, false)
	now := time.Now()
	r, err := runDrill(t, "cloudtrail-stoplogging-remediation", true, func(o *Options) {
		o.Deadline = time.Minute
		o.Now = func() time.Time { return now }
		o.Sleep = func(ctx context.Context, d time.Duration) error { now = now.Add(d); return ctx.Err() }
	})
	if exitcode.Code(err) != exitcode.Findings {
		t.Errorf("exit %d (%v), want %d", exitcode.Code(err), err, exitcode.Findings)
	}
	res := r.Results[0]
	if res.Status != drill.Fail || !strings.HasSuffix(steps(res), "FAIL remediated, PASS cleanup") || !strings.Contains(res.Message, "nothing restarted a stopped canary trail within 1m0s") {
		t.Errorf("drill: %s %s [%s]", res.Status, res.Message, steps(res))
	}
	if left := canaryLeft(t); len(left) != 0 {
		t.Errorf("the drill left %v", left)
	}
}

// A rule narrowed to the real trail's name would not see a canary: not exercised, nothing made.
func TestDrillStopLoggingNarrowedRule(t *testing.T) {
	rootChain(t)
	remediation(t, strings.Replace(stopLoggingRule, `"eventName":["StopLogging"]`, `"eventName":["StopLogging"],"requestParameters":{"name":["main","arn:aws:cloudtrail:us-east-1:123456789012:trail/main"]}`, 1), true)
	r, err := runDrill(t, "cloudtrail-stoplogging-remediation", true, fastPoll)
	if err != nil {
		t.Fatal(err)
	}
	if res := r.Results[0]; res.Status != drill.Skipped || res.Exercised || !strings.Contains(res.Message, "rule trail-stopped matches StopLogging of particular trails only") {
		t.Errorf("drill: %s %s", res.Status, res.Message)
	}
	if left := canaryLeft(t); len(left) != 0 || len(r.Created) != 0 {
		t.Errorf("made %v / %+v", left, r.Created)
	}
}

// What a killed drill leaves (a tagged canary trail and bucket) stops the next drill, and
// --cleanup removes it; an untagged look-alike is never touched.
func TestDrillLeftovers(t *testing.T) {
	rootChain(t)
	remediation(t, stopLoggingRule, true)
	ctx, cfg := motoserver.Ctx(t), srv.Config(region)
	s3c := s3Client(cfg)
	for _, b := range []string{"lookout-drill-d-old-123456789012", "lookout-drill-mine"} {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s3c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("lookout-drill-d-old-123456789012"),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String(drill.TagKey), Value: aws.String("d-old")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudtrail.NewFromConfig(cfg).CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("lookout-drill-d-old"),
		S3BucketName: aws.String("lookout-drill-d-old-123456789012"), TagsList: []cttypes.Tag{{Key: aws.String(drill.TagKey), Value: aws.String("d-old")}}}); err != nil {
		t.Fatal(err)
	}

	_, err := runDrill(t, "cloudtrail-stoplogging-remediation", true, fastPoll)
	if exitcode.Code(err) != exitcode.Incomplete || err == nil || !strings.Contains(err.Error(), "trail lookout-drill-d-old in us-east-1 (drill d-old)") {
		t.Fatalf("a drill beside leftovers: exit %d, %v", exitcode.Code(err), err)
	}
	if _, err := runDrill(t, "cloudtrail-stoplogging-remediation", false, func(o *Options) { o.Cleanup = true }); err != nil {
		t.Fatalf("cleanup: %v", err)
	}
	if left := canaryLeft(t); strings.Join(left, ",") != "bucket lookout-drill-mine" {
		t.Errorf("after cleanup: %v, want only the untagged look-alike", left)
	}
	if r, err := runDrill(t, "cloudtrail-stoplogging-remediation", true, fastPoll); err != nil || r.Results[0].Status != drill.Pass {
		t.Errorf("after cleanup the drill runs: %v %+v", err, r.Results)
	}
}

// Every call a drill and its cleanup make that the scan's policy does not grant is granted by
// policies/lookout-drill.json, and every action that policy grants is called: the alarm drill,
// the StopLogging drill, and --cleanup of a leftover trail and bucket, recorded against moto.
func TestDrillPolicy(t *testing.T) {
	rootChain(t)
	remediation(t, stopLoggingRule, true)
	ctx, cfg := motoserver.Ctx(t), srv.Config(region)
	const old = "lookout-drill-d-old-123456789012"
	if _, err := s3Client(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(old)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3Client(cfg).PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(old),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String(drill.TagKey), Value: aws.String("d-old")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudtrail.NewFromConfig(cfg).CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("lookout-drill-d-old"),
		S3BucketName: aws.String(old), TagsList: []cttypes.Tag{{Key: aws.String(drill.TagKey), Value: aws.String("d-old")}}}); err != nil {
		t.Fatal(err)
	}
	// What CloudTrail writes to a trail's bucket (moto's trails write nothing).
	if _, err := s3Client(cfg).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(old),
		Key: aws.String("AWSLogs/123456789012/CloudTrail/us-east-1/2026/12/07/log.json.gz"), Body: strings.NewReader("{}")}); err != nil {
		t.Fatal(err)
	}

	var rec awsclient.Recorder
	hook := func(o *Options) { o.ConfigHook = rec.Attach; fastPoll(o) }
	if _, err := runDrill(t, "cloudtrail-stoplogging-remediation", false, func(o *Options) { hook(o); o.Cleanup = true }); err != nil {
		t.Fatalf("cleanup: %v", err)
	}
	for _, check := range []string{"cloudtrail-stoplogging-remediation", "cloudwatch-root-usage-alarm"} {
		if r, err := runDrill(t, check, true, hook); err != nil || r.Results[0].Status != drill.Pass {
			t.Fatalf("%s: %v %+v", check, err, r.Results)
		}
	}
	// A console sign-in rule cannot be fired; AWS's evaluator is asked about its pattern.
	eb := eventbridge.NewFromConfig(cfg)
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("console-signin"), State: ebtypes.RuleStateEnabled,
		EventPattern: aws.String(`{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("console-signin"),
		Targets: []ebtypes.Target{{Id: aws.String("1"), Arn: aws.String(rootTopic(t))}}}); err != nil {
		t.Fatal(err)
	}
	r, err := runDrill(t, "eventbridge-console-signin-rule", true, hook)
	if err != nil || len(r.Results) != 1 {
		t.Fatalf("sign-in rule: %v %+v", err, r.Results)
	}
	if res := r.Results[0]; res.Status != drill.Skipped || res.Exercised || steps(res) != "PASS test-event-pattern" ||
		!strings.Contains(res.Message, "AWS's events:TestEventPattern says rule console-signin matches a realistic event") {
		t.Errorf("sign-in rule: %s %s [%s]", res.Status, res.Message, steps(res))
	}

	// A marked SSH login line, shipped and counted into the SSH-login alarm.
	sshSetup{}.build(t)
	if r, err := runDrill(t, "", true, func(o *Options) { hook(o); sshChecks(o) }); err != nil || len(r.Results) != 1 || r.Results[0].Status != drill.Pass {
		t.Fatalf("SSH log drill: %v %+v", err, r.Results)
	}

	// A real trail stopped and restarted by its remediation (--target-trail).
	secondTrail(t)
	if r, err := runDrill(t, "cloudtrail-stoplogging-remediation", true, func(o *Options) { hook(o); o.TargetTrail = "main" }); err != nil ||
		resultFor(t, r, "main").Status != drill.Pass {
		t.Fatalf("--target-trail: %v %+v", err, r.Results)
	}

	scanActions, err := policies.Actions(policies.Scan)
	if err != nil {
		t.Fatal(err)
	}
	drillActions, err := policies.Actions(policies.Drill)
	if err != nil {
		t.Fatal(err)
	}
	targetActions, err := policies.Actions(policies.DrillTargetTrail)
	if err != nil {
		t.Fatal(err)
	}
	prefix := map[string]string{"CloudWatch": "cloudwatch", "CloudTrail": "cloudtrail", "S3": "s3", "EventBridge": "events",
		"SSM": "ssm", "CloudWatch Logs": "logs"}
	// SDK operations whose IAM action has another name, and actions a call implies.
	renamed := map[string]string{"s3:ListBuckets": "s3:ListAllMyBuckets", "s3:ListObjectsV2": "s3:ListBucket"}
	implied := map[string]string{"cloudtrail:CreateTrail": "cloudtrail:AddTags"} // CreateTrail with TagsList
	used := map[string]bool{}
	for op := range rec.Operations() {
		service, name, _ := strings.Cut(op, ":")
		p, ok := prefix[service]
		if !ok {
			continue // the scan's reads (other services) are policies/lookout-scan.json's
		}
		action := p + ":" + name
		if r, ok := renamed[action]; ok {
			action = r
		}
		used[action] = true
		if extra, ok := implied[action]; ok {
			used[extra] = true
		}
	}
	for a := range used {
		if !slices.Contains(drillActions, a) && !slices.Contains(scanActions, a) && !slices.Contains(targetActions, a) {
			t.Errorf("a drill calls %s, which neither policies/lookout-drill.json, lookout-drill-target-trail.json nor lookout-scan.json grants", a)
		}
	}
	for _, a := range targetActions {
		if !used[a] {
			t.Errorf("policies/lookout-drill-target-trail.json grants %s, which no drill called", a)
		}
	}
	for _, a := range drillActions {
		if !used[a] {
			t.Errorf("policies/lookout-drill.json grants %s, which no drill called", a)
		}
	}
}

// Ctrl-C while the drill watches the canary: the drill ends ERROR (interrupted), and the
// canary and its bucket are removed all the same.
func TestDrillInterruptedCleansUp(t *testing.T) {
	rootChain(t)
	remediation(t, stopLoggingRule, false) // nothing restarts the canary: the drill would wait
	ctx, cancel := context.WithCancel(motoserver.Ctx(t))
	defer cancel()
	var out, errOut bytes.Buffer
	o := &Options{Checks: []string{"cloudtrail-stoplogging-remediation"}, Apply: true, Deadline: time.Hour, Format: "json", Quiet: true,
		SigninRegions: "us-east-1", Stdout: &out, Stderr: &errOut,
		// The first wait of the watch is where the user presses Ctrl-C.
		Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }}
	o.Scope.Regions = region
	err := Run(ctx, o)
	if exitcode.Code(err) != exitcode.Incomplete {
		t.Errorf("exit %d (%v), want %d", exitcode.Code(err), err, exitcode.Incomplete)
	}
	var r drill.Report
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil || len(r.Results) != 1 {
		t.Fatalf("report: %v\n%s\n%s", jerr, out.String(), errOut.String())
	}
	res := r.Results[0]
	if res.Status != drill.Error || !strings.HasSuffix(steps(res), "ERROR remediated, PASS cleanup") || !strings.Contains(res.Message, "interrupted") {
		t.Errorf("drill: %s %s [%s]", res.Status, res.Message, steps(res))
	}
	if len(r.Created) != 2 || !r.Created[0].Removed || !r.Created[1].Removed {
		t.Errorf("created %+v", r.Created)
	}
	if left := canaryLeft(t); len(left) != 0 {
		t.Errorf("an interrupted drill left %v", left)
	}
}

// A plan changes nothing: the account's snapshot after `lookout drill` without --apply is the
// one before it (collected the same way, at the same moment, so that only a change the drill
// made could tell them apart).
func TestDrillPlanChangesNothing(t *testing.T) {
	rootChain(t)
	remediation(t, stopLoggingRule, true)
	sshSetup{}.build(t)
	at := time.Date(2026, 12, 7, 4, 12, 0, 0, time.UTC)
	snap := func() []byte {
		t.Helper()
		s, err := collect.New(collect.Options{Regions: []string{region}, Now: at}).Snapshot(motoserver.Ctx(t), []collect.Target{{Config: srv.Config(region)}})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := snapshot.Write(&buf, s); err != nil {
			t.Fatal(err)
		}
		// moto stamps a logging trail's last delivery with the second of each GetTrailStatus.
		return lastDelivery.ReplaceAll(buf.Bytes(), []byte(`"latest_delivery_time":""`))
	}
	before := snap()
	r, err := runDrill(t, "", false, nil)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if len(r.Results) < 3 || r.Applied {
		t.Fatalf("the plan drills %d chains (applied %t)", len(r.Results), r.Applied)
	}
	kinds := map[string]bool{}
	for _, res := range r.Results {
		if strings.HasPrefix(res.Message, "plan: ") {
			kinds[res.CheckID] = true
		}
	}
	for _, check := range []string{"cloudwatch-root-usage-alarm", "cloudtrail-stoplogging-remediation", "ssm-cloudwatch-agent-ssh-logs"} {
		if !kinds[check] {
			t.Errorf("the plan has no drill of %s: %+v", check, r.Results)
		}
	}
	if after := snap(); !bytes.Equal(before, after) {
		t.Errorf("the plan changed the account:\n%s", firstDiff(before, after))
	}
}

var lastDelivery = regexp.MustCompile(`"latest_delivery_time":\s*"[^"]*"`)

func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-200)
	return fmt.Sprintf("before: …%s…\nafter:  …%s…", a[from:min(len(a), i+200)], b[from:min(len(b), i+200)])
}

// rootTopic is the ARN of rootChain's topic.
func rootTopic(t *testing.T) string {
	t.Helper()
	out, err := sns.NewFromConfig(srv.Config(region)).ListTopics(motoserver.Ctx(t), &sns.ListTopicsInput{})
	if err != nil || len(out.Topics) == 0 {
		t.Fatalf("ListTopics: %v", err)
	}
	return aws.ToString(out.Topics[0].TopicArn)
}
