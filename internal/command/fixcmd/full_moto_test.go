package fixcmd

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/collect"
	"github.com/lookout-audit/lookout/internal/fixexec"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/policies"
)

// unprovable lists the checks moto cannot show passing after a fix, and why.
var unprovable = map[string]string{
	"ssm-cloudwatch-agent-ssh-logs": "PASS needs the instance's log stream to have received data recently; moto runs no " +
		"CloudWatch Agent, so after the association is created nothing ever writes the stream",
}

// failEverything builds an account that fails every check lookout has in two regions: a
// single-region trail in us-east-1, logging, without CloudWatch Logs delivery or StopLogging
// remediation (us-west-2 is covered by no trail); no alarms, no rules, no topics; two
// SSM-managed instances in us-east-1 whose SSH logins reach no one; and a Windows instance
// without an instance profile (not managed by SSM) whose security group admits SSH from
// 0.0.0.0/0 and ::/0. It is a Windows instance so that, once the fix gives it a profile and
// SSM manages it, ssm-cloudwatch-agent-ssh-logs (Linux only) does not plan its agent
// configuration in the second run: a Linux instance would rightly get one then (see
// TestFixSSMManagedAndSSHRevoke).
func failEverything(t *testing.T, s *motoserver.Server) {
	t.Helper()
	ctx := motoserver.Ctx(t)
	cfg := s.Config("us-east-1")
	mustTrail(t, ctx, s, "main", false, true)
	// The AWS Well-Architected security lab's setup for a Debian 12 instance (tag
	// ssh-logs=auth): a ManageAgent association applies a configuration shipping
	// /var/log/auth.log to EC2-SSH-Logs, which exists but has no metric filter and has never
	// received this instance's stream (Debian 12 installs no rsyslog, so the fix adds a journald
	// entry for ssh.service). An Amazon Linux instance nothing configures.
	run := func(ami string, tags map[string]string) {
		var tl []ec2types.Tag
		for k, v := range tags {
			tl = append(tl, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		if _, err := ec2.NewFromConfig(cfg).RunInstances(ctx, &ec2.RunInstancesInput{
			ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: tl}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	run("ami-1e749f67", map[string]string{"ssm:managed": "true", "ssh-logs": "auth",
		"ssm:platform-name": "Debian GNU/Linux", "ssm:platform-version": "12"})
	run("ami-04681a1dbd79675a5", map[string]string{"ssm:managed": "true"})
	openSSH := sshOpenGroup(t, cfg, "ssh-from-anywhere")
	if _, err := ec2.NewFromConfig(cfg).RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(windowsAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SecurityGroupIds: []string{openSSH}}); err != nil {
		t.Fatal(err)
	}
	userConfig := `{"agent":{"run_as_user":"root"},"logs":{"logs_collected":{"files":{"collect_list":[` +
		`{"file_path":"/var/log/auth.log","log_group_name":"EC2-SSH-Logs","log_stream_name":"{instance_id}"}]}}}}`
	if _, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("AmazonCloudWatch-linux"),
		Type: ssmtypes.ParameterTypeString, Value: aws.String(userConfig)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ssm.NewFromConfig(cfg).CreateAssociation(ctx, &ssm.CreateAssociationInput{
		Name: aws.String("AmazonCloudWatch-ManageAgent"), AssociationName: aws.String("cw-agent-ssh"),
		Targets: []ssmtypes.Target{{Key: aws.String("tag:ssh-logs"), Values: []string{"auth"}}},
		Parameters: map[string][]string{"action": {"configure"}, "mode": {"ec2"}, "optionalConfigurationSource": {"ssm"},
			"optionalConfigurationLocation": {"AmazonCloudWatch-linux"}, "optionalRestart": {"yes"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudwatchlogs.NewFromConfig(cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("EC2-SSH-Logs")}); err != nil {
		t.Fatal(err)
	}
}

// TestFixEverything is issue 7's acceptance test: from an account that fails every check,
// `fix --apply` then a rescan passes every check moto can represent; a second `fix --apply`
// plans no action. Every SDK call is recorded for the least-privilege test.
func TestFixEverything(t *testing.T) {
	s := moto(t)
	failEverything(t, s)

	scanRec := &awsclient.Recorder{}
	before := recordedScan(t, s, scanRec)
	failing := map[string]bool{}
	for _, f := range before {
		if f.Status == checks.Fail {
			failing[f.CheckID] = true
		}
		if f.Status == checks.Error {
			t.Fatalf("setup: ERROR finding %s %s: %s", f.CheckID, f.Region, f.Message)
		}
	}
	for _, c := range checks.All() {
		if !failing[c.ID] {
			t.Fatalf("setup: check %s does not fail (findings: %v)", c.ID, statuses(before))
		}
	}

	fixRec := &awsclient.Recorder{}
	record := func(o *Options) {
		o.NotifyEmail = "security@example.com"
		o.ConfigHook = fixRec.Attach
		o.AllowRevoke = true
	}
	dry, err, stderr := fix(t, false, record)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, stderr)
	}
	doc, err, stderr := fix(t, true, record)
	if err != nil {
		t.Fatalf("apply: %v\n%s\n%s", err, stderr, strings.Join(actions(doc), "\n"))
	}
	if plan.Count(doc.Plans) != plan.Count(dry.Plans) {
		t.Fatalf("the dry run planned %d actions, --apply carried out %d", plan.Count(dry.Plans), plan.Count(doc.Plans))
	}
	for _, p := range doc.Plans {
		for _, a := range p.Actions {
			if a.Outcome != plan.Done {
				t.Errorf("%s %s: %s %s: %s %s", p.CheckID, p.Region, a.IAMAction(), a.Target, a.Outcome, a.Detail)
			}
		}
	}
	t.Logf("fix --apply: %d plans, %d actions", len(doc.Plans), plan.Count(doc.Plans))
	// The Debian 12 instance's configuration gets the journal of ssh.service, not a file.
	journal := false
	for _, p := range doc.Plans {
		for _, a := range p.Actions {
			if put, ok := a.Params.(plan.PutParameter); ok && put.Name == "AmazonCloudWatch-linux" {
				journal = len(put.AddLogFiles) == 0 && len(put.AddJournal) == 1 && slices.Equal(put.AddJournal[0].Units, []string{"ssh.service"})
			}
		}
	}
	if !journal {
		t.Errorf("no plan adds a journald entry for ssh.service to AmazonCloudWatch-linux: %v", actions(doc))
	}
	got, err := ssm.NewFromConfig(s.Config("us-east-1")).GetParameter(motoserver.Ctx(t), &ssm.GetParameterInput{Name: aws.String("AmazonCloudWatch-linux")})
	if err != nil || !strings.Contains(aws.ToString(got.Parameter.Value), `"journald"`) || !strings.Contains(aws.ToString(got.Parameter.Value), "/var/log/auth.log") {
		t.Errorf("AmazonCloudWatch-linux after the fix (err %v): want the user's file kept and a journald entry added:\n%s", err, aws.ToString(got.Parameter.Value))
	}

	after := recordedScan(t, s, scanRec)
	for _, f := range after {
		if f.Status == checks.Pass {
			continue
		}
		if why, ok := unprovable[f.CheckID]; ok {
			t.Logf("%s %s stays %s on moto: %s", f.CheckID, f.Resource, f.Status, why)
			continue
		}
		t.Errorf("after fix: %s %s %s is %s: %s", f.CheckID, f.Region, f.Resource, f.Status, f.Message)
	}

	again, err, stderr := fix(t, true, record)
	if err != nil {
		t.Fatalf("second apply: %v\n%s", err, stderr)
	}
	if n := plan.Count(again.Plans); n != 0 {
		t.Errorf("second fix --apply planned %d actions: %v", n, actions(again))
	}

	// Rerun the applied plans through the executor: every create now finds lookout's own
	// resource and leaves it ("exists"); this also exercises the probes' found-and-owned path
	// for the least-privilege test.
	cfg := s.Config("us-east-1")
	fixRec.Attach(&cfg)
	rerun := append([]plan.Plan(nil), doc.Plans...)
	for i := range rerun {
		rerun[i].Actions = append([]plan.Action(nil), rerun[i].Actions...)
	}
	rerunner := fixexec.New(cfg)
	rerunner.AllowRevoke = true
	if failed := rerunner.Apply(motoserver.Ctx(t), rerun); failed != 0 {
		t.Errorf("re-applying the plans: %d failed: %v", failed, actions(plan.Document{Plans: rerun}))
	}
	for _, p := range rerun {
		for _, a := range p.Actions {
			if a.Effect == plan.Create && a.Outcome != plan.Exists {
				t.Errorf("re-applied create %s %s: %s %s, want exists", a.IAMAction(), a.Target, a.Outcome, a.Detail)
			}
		}
	}

	checkPolicy(t, "policies/lookout-scan.json", policies.Scan, scanRec, nil, scanNotExercised)
	checkPolicy(t, "policies/lookout-fix.json", policies.Fix, fixRec, impliedActions, fixNotExercised)
}

// iamPrefix maps the SDK's service ids to IAM action prefixes.
var iamPrefix = map[string]string{
	"CloudTrail": "cloudtrail", "CloudWatch": "cloudwatch", "CloudWatch Logs": "logs", "EC2": "ec2",
	"EventBridge": "events", "IAM": "iam", "KMS": "kms", "Lambda": "lambda", "S3": "s3", "SNS": "sns", "SQS": "sqs",
	"SSM": "ssm", "STS": "sts", "Organizations": "organizations", "Resource Groups": "resource-groups",
}

// impliedActions are the permissions a call needs beyond its own action (AWS Service
// Authorization Reference, "dependent actions"): tagging on create, and passing a role.
var impliedActions = map[string][]string{
	"cloudtrail:CreateTrail":          {"cloudtrail:AddTags", "iam:PassRole"},
	"lambda:CreateFunction":           {"lambda:TagResource", "iam:PassRole"},
	"iam:CreateRole":                  {"iam:TagRole"},
	"iam:CreateInstanceProfile":       {"iam:TagInstanceProfile"},
	"ec2:AssociateIamInstanceProfile": {"iam:PassRole"},
	"iam:AddRoleToInstanceProfile":    {"iam:PassRole"},
	"sns:CreateTopic":                 {"sns:TagResource"},
	"cloudwatch:PutMetricAlarm":       {"cloudwatch:TagResource"},
	"events:PutRule":                  {"events:TagResource"},
	"logs:CreateLogGroup":             {"logs:TagResource"},
	"ssm:PutParameter":                {"ssm:AddTagsToResource"},
	"ssm:CreateAssociation":           {"ssm:AddTagsToResource"},
}

// Granted actions the moto tests cannot exercise, each with the reason.
var (
	scanNotExercised = map[string]string{
		"ec2:DescribeRegions":        "only with --regions all (moto lists all 38 regions regardless of opt-in, so tests name regions)",
		"organizations:ListAccounts": "only with --org (exercised by the organisation tests, not this account-level flow)",
		"sts:AssumeRole":             "only with --org/--accounts, to enter member accounts",
		"ssm:ListTagsForResource":    "only for hybrid (mi-) managed instances, which moto cannot register",
		// Delivery reads of what lookout's fixes never create, so this flow has none of it;
		// internal/collect's TestCollectDelivery makes each of these calls and checks that
		// lookout-scan.json grants them.
		"sqs:GetQueueUrl":        "only for queues subscribed to a topic, which this flow has none of (see TestCollectDelivery)",
		"sqs:GetQueueAttributes": "only for queues subscribed to a topic, which this flow has none of (see TestCollectDelivery)",
		"kms:DescribeKey":        "only for customer keys encrypting a topic or subscriber queue, which this flow has none of (see TestCollectDelivery)",
		"kms:GetKeyPolicy":       "only for customer keys encrypting a topic or subscriber queue, which this flow has none of (see TestCollectDelivery)",
		// The instance this flow builds has no profile, and once fixed it is managed: nothing
		// to explain. internal/collect's TestCollectInstancesForSSMAndSSH makes these calls.
		"iam:GetInstanceProfile": "only for profiles of instances SSM does not list Online; this flow's unmanaged instance has none (see TestCollectInstancesForSSMAndSSH)",
		// The permissions of rule-target roles; lookout's own rules take no role.
		// The execution role of lookout's StopLogging function is read with its inline
		// policies; it has no managed policy attached, so no managed policy is fetched.
		"iam:GetPolicy":                      "only for managed policies attached to a rule target's or a function's role (see TestCollectDelivery)",
		"iam:GetPolicyVersion":               "only for managed policies attached to a rule target's or a function's role (see TestCollectDelivery)",
		"ssm:GetDocument":                    "only for SSM Automation rule targets; lookout's rules target SNS and Lambda (see TestCollectDelivery)",
		"ec2:GetManagedPrefixListEntries":    "only for prefix lists a running instance's group names on a rule, which this flow has none of (see TestSSHOpenThroughPrefixLists)",
		"resource-groups:GetGroupQuery":      "only for resource groups a ManageAgent association targets, which this flow has none of (see TestSSHLogsAgainstMoto)",
		"resource-groups:ListGroupResources": "only for CloudFormation-stack groups a ManageAgent association targets (see TestSSHLogsAgainstMoto)",
		// AWS's pattern evaluators, asked only on request.
		"logs:TestMetricFilter":   "only with scan --verify-patterns or pattern test --aws (see internal/secondopinion's TestAWSEvaluatorOnMoto)",
		"events:TestEventPattern": "only with scan --verify-patterns or pattern test --aws (see internal/secondopinion's TestAWSEvaluatorOnMoto)",
	}
	fixNotExercised = map[string]string{
		"ec2:DescribeRegions":                scanNotExercised["ec2:DescribeRegions"],
		"ssm:ListTagsForResource":            scanNotExercised["ssm:ListTagsForResource"],
		"sqs:GetQueueUrl":                    scanNotExercised["sqs:GetQueueUrl"],
		"sqs:GetQueueAttributes":             scanNotExercised["sqs:GetQueueAttributes"],
		"kms:DescribeKey":                    scanNotExercised["kms:DescribeKey"],
		"kms:GetKeyPolicy":                   scanNotExercised["kms:GetKeyPolicy"],
		"iam:GetPolicy":                      scanNotExercised["iam:GetPolicy"],
		"iam:GetPolicyVersion":               scanNotExercised["iam:GetPolicyVersion"],
		"ec2:GetManagedPrefixListEntries":    scanNotExercised["ec2:GetManagedPrefixListEntries"],
		"resource-groups:GetGroupQuery":      scanNotExercised["resource-groups:GetGroupQuery"],
		"resource-groups:ListGroupResources": scanNotExercised["resource-groups:ListGroupResources"],
	}
)

// checkPolicy fails if a recorded call (or an action it implies) is not granted by the policy,
// or if the policy grants an action nothing uses (unless listed, with a reason, as one the
// tests cannot exercise).
func checkPolicy(t *testing.T, name string, doc []byte, rec *awsclient.Recorder, implied map[string][]string, notExercised map[string]string) {
	t.Helper()
	granted, err := policies.Actions(doc)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	grantedSet := map[string]bool{}
	for _, a := range granted {
		grantedSet[a] = true
	}
	used := map[string]bool{}
	for op := range rec.Operations() {
		i := strings.LastIndex(op, ":")
		prefix, ok := iamPrefix[op[:i]]
		if !ok {
			t.Errorf("%s: no IAM prefix known for SDK service %q (operation %s)", name, op[:i], op)
			continue
		}
		action := prefix + ":" + op[i+1:]
		used[action] = true
		for _, extra := range implied[action] {
			used[extra] = true
		}
	}
	var missing, unused []string
	for a := range used {
		if !grantedSet[a] {
			missing = append(missing, a)
		}
	}
	for _, a := range granted {
		if !used[a] && notExercised[a] == "" {
			unused = append(unused, a)
		}
	}
	for a := range notExercised {
		if used[a] {
			t.Errorf("%s: %s is listed as not exercised, but the tests called it: drop it from the list", name, a)
		}
	}
	sort.Strings(missing)
	sort.Strings(unused)
	if len(missing) > 0 {
		t.Errorf("%s does not grant actions lookout performed: %s", name, strings.Join(missing, ", "))
	}
	if len(unused) > 0 {
		t.Errorf("%s grants actions nothing uses: %s", name, strings.Join(unused, ", "))
	}
	t.Logf("%s: %d actions granted, %d used in the tests", name, len(granted), len(used))
}

// recordedScan collects with the recorder attached and runs every check.
func recordedScan(t *testing.T, s *motoserver.Server, rec *awsclient.Recorder) []checks.Finding {
	t.Helper()
	cfg := s.Config("us-east-1")
	rec.Attach(&cfg)
	snap, err := collect.New(collect.Options{Regions: testRegions}).Snapshot(motoserver.Ctx(t), []collect.Target{{Config: cfg}})
	if err != nil {
		t.Fatal(err)
	}
	return readable(t, checks.Run(snap, checks.All(), checks.Options{}))
}
