package root

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lookout-audit/lookout/internal/command/scancmd"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

// secretMark is in every secret value the test plants; no byte lookout writes may contain it.
const secretMark = "lookout-secret"

// TestNoSecretsInAnyOutput plants recognisable secrets where an AWS account keeps them —
// Lambda environment values, SecureString parameters (one of them an agent configuration),
// SNS subscription endpoints, EventBridge target input, and the caller's own secret key and
// session token — then runs collect, scan in every format, the fix plan, and failing and
// debug runs, and greps every byte produced.
func TestNoSecretsInAnyOutput(t *testing.T) {
	srv := motoserver.Start(t)
	srv.UseAsDefault(t)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secretMark+"-secret-access-key")
	t.Setenv("AWS_SESSION_TOKEN", secretMark+"-session-token")
	ctx := motoserver.Ctx(t)
	cfg := srv.Config("us-east-1")

	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, _ := zw.Create("index.py")
	_, _ = w.Write([]byte("def handler(event, context):\n    return None\n"))
	_ = zw.Close()
	fn, err := lambda.NewFromConfig(cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("slack-notify"), Runtime: lambdatypes.RuntimePython312, Handler: aws.String("index.handler"),
		Role: role.Role.Arn, Code: &lambdatypes.FunctionCode{ZipFile: zipped.Bytes()},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"HOOK_URL": "https://hooks.slack.com/services/" + secretMark + "-lambda-env"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sm := ssm.NewFromConfig(cfg)
	for name, value := range map[string]string{
		"/app/db-password": secretMark + "-ssm-securestring",
		"AmazonCloudWatch-secure": `{"agent":{"credentials":{"secret":"` + secretMark + `-agent-config"}},"logs":{"logs_collected":{"files":{"collect_list":[` +
			`{"file_path":"/var/log/auth.log","log_group_name":"ssh-logs"}]}}}}`,
	} {
		if _, err := sm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sm.CreateAssociation(ctx, &ssm.CreateAssociationInput{Name: aws.String("AmazonCloudWatch-ManageAgent"),
		Targets:    []ssmtypes.Target{{Key: aws.String("tag:env"), Values: []string{"prod"}}},
		Parameters: map[string][]string{"action": {"configure"}, "optionalConfigurationSource": {"ssm"}, "optionalConfigurationLocation": {"AmazonCloudWatch-secure"}},
	}); err != nil {
		t.Fatal(err)
	}
	snsc := sns.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts")})
	if err != nil {
		t.Fatal(err)
	}
	for proto, endpoint := range map[string]string{"https": "https://hooks.example.com/" + secretMark + "-sns-token", "email": secretMark + "-mail@example.com"} {
		if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String(proto), Endpoint: aws.String(endpoint)}); err != nil {
			t.Fatal(err)
		}
	}
	eb := eventbridge.NewFromConfig(cfg)
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("signin"), EventPattern: aws.String(`{"source":["aws.signin"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("signin"), Targets: []ebtypes.Target{
		{Id: aws.String("fn"), Arn: fn.FunctionArn, Input: aws.String(`{"token":"` + secretMark + `-target-input"}`)}}}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	snap := filepath.Join(dir, "snap.json")
	scope := []string{"--regions", "us-east-1", "-q"}
	var produced strings.Builder
	runAll := func(args ...string) {
		code, out, stderr := run(t, args...)
		if code == 3 {
			t.Fatalf("%v: usage error: %s", args, stderr)
		}
		produced.WriteString(out)
		produced.WriteString(stderr)
	}
	runAll(append([]string{"collect", "--output", snap}, scope...)...)
	for _, format := range scancmd.Formats {
		runAll(append([]string{"scan", "--format", format, "--show-pass"}, scope...)...)
		runAll("scan", "--snapshot", snap, "--format", format, "--output", filepath.Join(dir, "report."+format))
	}
	runAll(append([]string{"fix", "--format", "json"}, scope...)...)
	runAll(append([]string{"fix"}, scope...)...)
	runAll(append([]string{"scan", "--debug", "--format", "json"}, scope...)...)
	runAll("scan", "--debug", "--endpoint-url", "http://127.0.0.1:1", "--regions", "us-east-1", "--timeout", "2s", "-q")

	files, _ := os.ReadDir(dir)
	if len(files) < 5 {
		t.Fatalf("expected the snapshot and four reports in %s, found %d files", dir, len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		produced.Write(b)
	}
	all := produced.String()
	if !strings.Contains(all, "slack-notify") || !strings.Contains(all, "debug: ") {
		t.Fatal("outputs do not mention the seeded resources or the debug log: the test would prove nothing")
	}
	if i := strings.Index(all, secretMark); i >= 0 {
		lo, hi := max(0, i-200), min(len(all), i+100)
		t.Errorf("a planted secret leaked into lookout's output:\n...%s...", all[lo:hi])
	}
}
