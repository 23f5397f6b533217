package collect

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/snapshot"
	"github.com/lookout-audit/lookout/policies"
)

// sameJSON reports whether two JSON documents are equal once parsed (emulators and AWS
// re-serialise policies with their own spacing).
func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("not JSON: %q: %v", got, err)
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("test document is not JSON: %v", err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return bytes.Equal(gb, wb)
}

// TestCollectDelivery builds, in one region, every piece of a notification's path that the
// delivery checks judge, and checks that the collector reads each of them once, into the
// fields made for it: the default bus's policy, target roles (trusted, missing, of another
// account) and dead-letter queues, the resource policy of an invoked function (and the absence
// of one), topic and queue encryption with a customer key and with the AWS managed key, a
// subscriber queue's policy, a subscription's filter policy, alarm units and metric math, and
// a trail without global service events. No email endpoint is stored.
func TestCollectDelivery(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Ctx(t)
	const region = "eu-west-1"
	const account = motoserver.DefaultAccount
	cfg := srv.Config(region)
	arn := func(service, resource string) string {
		return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource
	}

	// KMS: a customer key with its own policy for the topic, a second one (by alias) for the
	// queue.
	kmsc := kms.NewFromConfig(cfg)
	topicKey, err := kmsc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("alerts topic")})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	keyPolicy := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"CloudWatch","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}]}`
	if _, err := kmsc.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: topicKey.KeyMetadata.KeyId, PolicyName: aws.String("default"), Policy: aws.String(keyPolicy)}); err != nil {
		t.Fatalf("PutKeyPolicy: %v", err)
	}
	queueKey, err := kmsc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("alerts queue")})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	if _, err := kmsc.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/alerts-queue"), TargetKeyId: queueKey.KeyMetadata.KeyId}); err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}

	// SNS: a topic with a custom policy and the customer key, one with the AWS managed key.
	snsc := sns.NewFromConfig(cfg)
	cmkTopic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts-cmk"),
		Attributes: map[string]string{"KmsMasterKeyId": aws.ToString(topicKey.KeyMetadata.Arn)}})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	topicPolicy := `{"Version":"2012-10-17","Statement":[{"Sid":"CloudWatch","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},` +
		`"Action":"sns:Publish","Resource":"` + aws.ToString(cmkTopic.TopicArn) + `"}]}`
	if _, err := snsc.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: cmkTopic.TopicArn,
		AttributeName: aws.String("Policy"), AttributeValue: aws.String(topicPolicy)}); err != nil {
		t.Fatalf("SetTopicAttributes: %v", err)
	}
	managedTopic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts-managed"),
		Attributes: map[string]string{"KmsMasterKeyId": "alias/aws/sns"}})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	// A topic naming the queue's key by ARN, which the queue names by alias: two references,
	// one key, one policy read.
	if _, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts-shared-key"),
		Attributes: map[string]string{"KmsMasterKeyId": aws.ToString(queueKey.KeyMetadata.Arn)}}); err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}

	// SQS: the subscriber queue, with a policy and the second key.
	queuePolicy := `{"Version":"2012-10-17","Statement":[{"Sid":"Topic","Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},` +
		`"Action":"sqs:SendMessage","Resource":"` + arn("sqs", "alerts-queue") + `",` +
		`"Condition":{"ArnEquals":{"aws:SourceArn":"` + aws.ToString(cmkTopic.TopicArn) + `"}}}]}`
	if _, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("alerts-queue"),
		Attributes: map[string]string{"Policy": queuePolicy, "KmsMasterKeyId": "alias/alerts-queue"}}); err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}

	// Lambda: a responder that EventBridge may invoke, a notifier with no resource policy, and
	// a function nothing invokes.
	iamc := iam.NewFromConfig(cfg)
	lambdaRole, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	lam := lambda.NewFromConfig(cfg)
	fn := map[string]string{}
	for _, name := range []string{"responder", "notifier", "idle"} {
		out, err := lam.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: lambdatypes.RuntimePython312, Role: lambdaRole.Role.Arn,
			Handler: aws.String("lambda_function.lambda_handler"), Code: &lambdatypes.FunctionCode{ZipFile: lambdaZip(t)},
		})
		if err != nil {
			t.Fatalf("CreateFunction %s: %v", name, err)
		}
		fn[name] = aws.ToString(out.FunctionArn)
	}
	if _, err := lam.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("responder"), StatementId: aws.String("events"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("events.amazonaws.com"), SourceArn: aws.String(arn("events", "rule/stoplogging"))}); err != nil {
		t.Fatalf("AddPermission: %v", err)
	}

	// Subscriptions: the queue (with a filter on the message body), the notifier, an email
	// address, a queue that does not exist, and a queue of another region.
	subscribe := func(topic *string, protocol, endpoint string) string {
		t.Helper()
		out, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic, Protocol: aws.String(protocol), Endpoint: aws.String(endpoint), ReturnSubscriptionArn: true})
		if err != nil {
			t.Fatalf("Subscribe %s: %v", endpoint, err)
		}
		return aws.ToString(out.SubscriptionArn)
	}
	queueSub := subscribe(cmkTopic.TopicArn, "sqs", arn("sqs", "alerts-queue"))
	filter := `{"detail":{"eventName":["StopLogging"]}}`
	// The scope first: a nested filter policy is refused under the default scope.
	for _, kv := range [][2]string{{"FilterPolicyScope", "MessageBody"}, {"FilterPolicy", filter}} {
		if _, err := snsc.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(queueSub),
			AttributeName: aws.String(kv[0]), AttributeValue: aws.String(kv[1])}); err != nil {
			t.Fatalf("SetSubscriptionAttributes %s: %v", kv[0], err)
		}
	}
	subscribe(cmkTopic.TopicArn, "lambda", fn["notifier"])
	subscribe(managedTopic.TopicArn, "email", "secops@example.com")
	subscribe(managedTopic.TopicArn, "sqs", arn("sqs", "gone"))
	subscribe(managedTopic.TopicArn, "sqs", "arn:aws:sqs:us-west-2:"+account+":elsewhere")

	// EventBridge: a bus policy; a rule invoking the responder (twice, through two targets),
	// and one whose targets use a trusted role (with a path and a dead-letter queue), a
	// missing role and another account's role.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	eventsRole, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("events-ssm"), Path: aws.String("/service-role/"),
		AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	// Its permissions: one inline policy and one managed policy, both read.
	startAutomation := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:StartAutomationExecution","Resource":"*"}]}`
	if _, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("events-ssm"), PolicyName: aws.String("start-automation"),
		PolicyDocument: aws.String(startAutomation)}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	managedPolicy, err := iamc.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("pass-automation-role"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}`)})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	if _, err := iamc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("events-ssm"), PolicyArn: managedPolicy.Policy.Arn}); err != nil {
		t.Fatalf("AttachRolePolicy: %v", err)
	}
	eb := eventbridge.NewFromConfig(cfg)
	if _, err := eb.PutPermission(ctx, &eventbridge.PutPermissionInput{EventBusName: aws.String("default"), Action: aws.String("events:PutEvents"),
		Principal: aws.String("111122223333"), StatementId: aws.String("partner")}); err != nil {
		t.Fatalf("PutPermission: %v", err)
	}
	pattern := `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"]}}`
	for _, rule := range []string{"stoplogging", "remediate"} {
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(rule), EventPattern: aws.String(pattern), State: ebtypes.RuleStateEnabled}); err != nil {
			t.Fatalf("PutRule: %v", err)
		}
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("stoplogging"), Targets: []ebtypes.Target{
		{Id: aws.String("fn"), Arn: aws.String(fn["responder"])},
		{Id: aws.String("fn-again"), Arn: aws.String(fn["responder"])},
	}}); err != nil {
		t.Fatalf("PutTargets: %v", err)
	}
	automation := arn("ssm", "automation-definition/AWS-RestartEC2Instance:$DEFAULT")
	dlq := arn("sqs", "rule-dlq")
	missingRole := "arn:aws:iam::" + account + ":role/missing-role"
	foreignRole := "arn:aws:iam::111122223333:role/partner-role"
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("remediate"), Targets: []ebtypes.Target{
		{Id: aws.String("a-trusted"), Arn: aws.String(automation), RoleArn: eventsRole.Role.Arn, DeadLetterConfig: &ebtypes.DeadLetterConfig{Arn: aws.String(dlq)}},
		{Id: aws.String("b-missing"), Arn: aws.String(automation), RoleArn: aws.String(missingRole)},
		{Id: aws.String("c-foreign"), Arn: aws.String(automation), RoleArn: aws.String(foreignRole)},
	}}); err != nil {
		t.Fatalf("PutTargets: %v", err)
	}

	// CloudWatch: an alarm with a unit, and one on metric math.
	cw := awsclient.CloudWatch(cfg)
	if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("unit-alarm"), MetricName: aws.String("StopLoggingCount"), Namespace: aws.String("CloudTrailMetrics"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, Unit: cwtypes.StandardUnitCount,
		AlarmActions: []string{aws.ToString(cmkTopic.TopicArn)},
	}); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("math-alarm"), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		Metrics: []cwtypes.MetricDataQuery{
			{Id: aws.String("m1"), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{MetricName: aws.String("StopLoggingCount"), Namespace: aws.String("CloudTrailMetrics"),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("Trail"), Value: aws.String("main")}}},
				Period: aws.Int32(60), Stat: aws.String("Sum"), Unit: cwtypes.StandardUnitCount,
			}},
			{Id: aws.String("e1"), Expression: aws.String("FILL(m1, 0)"), ReturnData: aws.Bool(true), Period: aws.Int32(60)},
		},
	}); err != nil {
		t.Fatalf("PutMetricAlarm (metric math): %v", err)
	}

	// CloudTrail: a trail that records no global service events.
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String("delivery-trail"), CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)},
	}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := cloudtrail.NewFromConfig(cfg).CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("regional"),
		S3BucketName: aws.String("delivery-trail"), IncludeGlobalServiceEvents: aws.Bool(false)}); err != nil {
		t.Fatalf("CreateTrail: %v", err)
	}

	rec := &awsclient.Recorder{}
	scanCfg := srv.Config(region)
	rec.Attach(&scanCfg)
	snap, err := New(Options{Regions: []string{region}}).Snapshot(ctx, []Target{{Config: scanCfg}})
	if err != nil {
		t.Fatal(err)
	}
	acct := snap.Accounts[0]
	r := acct.Region(region)
	if r == nil {
		t.Fatalf("region %s missing", region)
	}
	if n := countErrors(r); n != 0 {
		t.Errorf("%d region read errors: %+v %+v", n, r.EventBridge, r.CloudWatch)
	}

	// Trail.
	if len(acct.Trails) != 1 || acct.Trails[0].IncludeGlobalServiceEvents == nil || *acct.Trails[0].IncludeGlobalServiceEvents {
		t.Errorf("trails = %+v, want one with IncludeGlobalServiceEvents false", acct.Trails)
	}

	// EventBridge.
	eb0 := r.EventBridge
	if !eb0.BusPolicyRead || eb0.BusPolicyError != nil || !strings.Contains(eb0.BusPolicy, "111122223333") {
		t.Errorf("bus policy = %q read=%v err=%v, want the partner's PutEvents grant", eb0.BusPolicy, eb0.BusPolicyRead, eb0.BusPolicyError)
	}
	var remediate *snapshot.Rule
	for i := range eb0.Rules {
		if eb0.Rules[i].Name == "remediate" {
			remediate = &eb0.Rules[i]
		}
	}
	if remediate == nil || len(remediate.Targets) != 3 {
		t.Fatalf("rules = %+v", eb0.Rules)
	}
	if tg := remediate.Targets[0]; tg.RoleARN != aws.ToString(eventsRole.Role.Arn) || tg.DeadLetterARN != dlq {
		t.Errorf("target = %+v, want the trusted role and the dead-letter queue", tg)
	}
	if remediate.Targets[1].DeadLetterARN != "" {
		t.Errorf("target without a dead-letter queue = %+v", remediate.Targets[1])
	}

	// Roles: the execution role of the functions the rules invoke (what their code acts
	// with), the trusted one with its decoded trust policy, the missing one; not the other
	// account's.
	if len(acct.Roles) != 3 {
		t.Fatalf("roles = %+v, want the functions' execution role, the trusted and the missing role", acct.Roles)
	}
	// Sorted by ARN: role/fn-role, role/missing-role, role/service-role/events-ssm.
	execution, missing, trusted := acct.Roles[0], acct.Roles[1], acct.Roles[2]
	if execution.Name != "fn-role" || !execution.PoliciesRead || execution.NotFound || !strings.Contains(execution.TrustPolicy, "lambda.amazonaws.com") {
		t.Errorf("execution role = %+v, want fn-role read with its policies", execution)
	}
	// The runbook the automation targets start, read once however many targets name it.
	if r.Runbooks == nil || len(r.Runbooks.Documents) != 1 || r.Runbooks.Documents[0].Name != "AWS-RestartEC2Instance" || r.Runbooks.Documents[0].Version != "$DEFAULT" {
		t.Errorf("runbooks = %+v, want AWS-RestartEC2Instance once", r.Runbooks)
	} else if d := r.Runbooks.Documents[0]; d.Error != nil || (!d.NotFound && !strings.Contains(d.Content, "mainSteps")) {
		t.Errorf("runbook AWS-RestartEC2Instance = %+v, want its content or NotFound", d)
	}
	if trusted.ARN != aws.ToString(eventsRole.Role.Arn) || trusted.Name != "events-ssm" || trusted.NotFound || trusted.Error != nil || !sameJSON(t, trusted.TrustPolicy, trust) {
		t.Errorf("trusted role = %+v", trusted)
	}
	if !trusted.PoliciesRead || len(trusted.Policies) != 2 || trusted.Policies[1].Name != "start-automation" || !sameJSON(t, trusted.Policies[1].Document, startAutomation) ||
		trusted.Policies[0].ARN != aws.ToString(managedPolicy.Policy.Arn) {
		t.Errorf("trusted role's policies = %+v (read %v, error %v), want its managed and inline policy", trusted.Policies, trusted.PoliciesRead, trusted.PoliciesError)
	}
	if missing.ARN != missingRole || missing.Name != "missing-role" || !missing.NotFound || missing.Error != nil || missing.TrustPolicy != "" {
		t.Errorf("missing role = %+v", missing)
	}

	// Lambda policies: the responder's (read once although two targets name it), the
	// notifier's absence; the idle function is not read.
	fns := map[string]snapshot.Function{}
	for _, f := range r.Lambda.Functions {
		fns[f.Name] = f
	}
	if f := fns["responder"]; !f.PolicyRead || f.PolicyError != nil || !strings.Contains(f.Policy, "events.amazonaws.com") {
		t.Errorf("responder = %+v, want its events.amazonaws.com permission", f)
	}
	if f := fns["notifier"]; !f.PolicyRead || f.PolicyError != nil || f.Policy != "" {
		t.Errorf("notifier = %+v, want read with no policy", f)
	}
	if f := fns["idle"]; f.PolicyRead || f.PolicyError != nil {
		t.Errorf("idle = %+v, want not read", f)
	}

	// SNS: topics, endpoints (ARNs only), filter policy.
	topics := map[string]snapshot.Topic{}
	for _, tp := range r.SNS.Topics {
		topics[tp.ARN] = tp
	}
	cmk := topics[aws.ToString(cmkTopic.TopicArn)]
	if !sameJSON(t, cmk.Policy, topicPolicy) || cmk.KMSKeyID != aws.ToString(topicKey.KeyMetadata.Arn) {
		t.Errorf("cmk topic = %+v", cmk)
	}
	if len(cmk.Subscriptions) != 2 {
		t.Fatalf("cmk topic subscriptions = %+v", cmk.Subscriptions)
	}
	for _, s := range cmk.Subscriptions {
		if !s.Confirmed || !s.AttrsRead || s.AttrsError != nil {
			t.Errorf("subscription = %+v, want confirmed and read", s)
		}
		switch s.Protocol {
		case "sqs":
			if s.EndpointARN != arn("sqs", "alerts-queue") || s.FilterPolicy != filter || s.FilterPolicyScope != "MessageBody" {
				t.Errorf("queue subscription = %+v", s)
			}
		case "lambda":
			if s.EndpointARN != fn["notifier"] || s.FilterPolicy != "" {
				t.Errorf("lambda subscription = %+v", s)
			}
		default:
			t.Errorf("unexpected subscription %+v", s)
		}
	}
	managed := topics[aws.ToString(managedTopic.TopicArn)]
	if managed.KMSKeyID != "alias/aws/sns" || len(managed.Subscriptions) != 3 {
		t.Fatalf("managed topic = %+v", managed)
	}
	for _, s := range managed.Subscriptions {
		if s.Protocol == "email" && s.EndpointARN != "" {
			t.Errorf("email subscription stores its endpoint: %+v", s)
		}
	}

	// SQS: the subscriber queue and the missing one; not the other region's.
	if r.SQS == nil || len(r.SQS.Queues) != 2 {
		t.Fatalf("sqs = %+v, want alerts-queue and gone", r.SQS)
	}
	q, gone := r.SQS.Queues[0], r.SQS.Queues[1]
	if q.ARN != arn("sqs", "alerts-queue") || !sameJSON(t, q.Policy, queuePolicy) || q.KMSKeyID != "alias/alerts-queue" || q.NotFound || q.Error != nil {
		t.Errorf("queue = %+v", q)
	}
	if gone.ARN != arn("sqs", "gone") || !gone.NotFound || gone.Error != nil {
		t.Errorf("missing queue = %+v, want NotFound", gone)
	}

	// KMS: the topic's key by ARN, the AWS managed alias without a call, the queue's key by
	// alias and by ARN.
	if r.KMS == nil || len(r.KMS.Keys) != 4 {
		t.Fatalf("kms = %+v", r.KMS)
	}
	keys := map[string]snapshot.KMSKey{}
	for _, k := range r.KMS.Keys {
		keys[k.Ref] = k
	}
	if k := keys[aws.ToString(topicKey.KeyMetadata.Arn)]; k.KeyID != aws.ToString(topicKey.KeyMetadata.KeyId) || k.ARN != aws.ToString(topicKey.KeyMetadata.Arn) ||
		k.KeyManager != "CUSTOMER" || k.KeyState != "Enabled" || !sameJSON(t, k.Policy, keyPolicy) || k.NotFound || k.Error != nil {
		t.Errorf("topic key = %+v", k)
	}
	if k := keys["alias/aws/sns"]; k.KeyManager != "AWS" || k.KeyID != "" || k.Error != nil {
		t.Errorf("aws/sns = %+v, want KeyManager AWS and nothing read", k)
	}
	if k := keys["alias/alerts-queue"]; k.KeyID != aws.ToString(queueKey.KeyMetadata.KeyId) || k.KeyManager != "CUSTOMER" || k.Policy == "" || k.Error != nil {
		t.Errorf("queue key = %+v", k)
	}
	if byAlias, byARN := keys["alias/alerts-queue"], keys[aws.ToString(queueKey.KeyMetadata.Arn)]; byARN.KeyID != byAlias.KeyID || byARN.Policy != byAlias.Policy {
		t.Errorf("one key under two references reads differently: %+v vs %+v", byAlias, byARN)
	}

	// CloudWatch: unit and metric math.
	alarms := map[string]snapshot.Alarm{}
	for _, a := range r.CloudWatch.Alarms {
		alarms[a.Name] = a
	}
	if a := alarms["unit-alarm"]; a.Unit != "Count" || a.UsesMetricMath || len(a.Metrics) != 0 {
		t.Errorf("unit alarm = %+v", a)
	}
	math := alarms["math-alarm"]
	wantMetrics := []snapshot.AlarmQuery{
		{ID: "m1", MetricStat: &snapshot.MetricStat{MetricName: "StopLoggingCount", Namespace: "CloudTrailMetrics",
			Dimensions: map[string]string{"Trail": "main"}, Period: 60, Stat: "Sum", Unit: "Count"}},
		{ID: "e1", Expression: "FILL(m1, 0)", ReturnData: true, Period: 60},
	}
	gotJSON, _ := json.Marshal(math.Metrics)
	wantJSON, _ := json.Marshal(wantMetrics)
	if !math.UsesMetricMath || math.MetricName != "" || !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("math alarm metrics = %s, want %s", gotJSON, wantJSON)
	}
	if len(r.CloudWatch.LastActions) != 0 || r.CloudWatch.HistoryError != nil {
		t.Errorf("history = %+v %v, want no action and no error", r.CloudWatch.LastActions, r.CloudWatch.HistoryError)
	}

	// Calls: each new read made exactly as often as there are distinct items, none twice.
	if rep := rec.Repeated(); len(rep) > 0 {
		t.Errorf("calls repeated:\n%s", strings.Join(rep, "\n"))
	}
	ops := rec.Operations()
	for op, want := range map[string]int{
		"EventBridge:DescribeEventBus":    1,
		"CloudWatch:DescribeAlarmHistory": 1,
		// alerts-queue, notifier, email, gone, elsewhere: all confirmed in moto.
		"SNS:GetSubscriptionAttributes": 5,
		"Lambda:GetPolicy":              2, // responder, notifier
		"Lambda:GetFunction":            2, // responder, notifier: state and reserved concurrency
		"SSM:GetDocument":               1, // AWS-RestartEC2Instance, named by three targets
		"SQS:GetQueueUrl":               2, // alerts-queue, gone
		"SQS:GetQueueAttributes":        1, // alerts-queue
		"KMS:DescribeKey":               3, // topic key ARN, alias/alerts-queue, queue key ARN
		"KMS:GetKeyPolicy":              2, // one per key
		"IAM:GetRole":                   3, // fn-role, events-ssm, missing-role
		// The permissions of fn-role and events-ssm (the missing role has none to read).
		"IAM:ListRolePolicies":         2,
		"IAM:GetRolePolicy":            1,
		"IAM:ListAttachedRolePolicies": 2,
		"IAM:GetPolicy":                1,
		"IAM:GetPolicyVersion":         1,
	} {
		if ops[op] != want {
			t.Errorf("%s called %d times, want %d", op, ops[op], want)
		}
	}

	// Every call is granted by the shipped scan policy. (TestFixEverything compares the policy
	// with a whole scan in both directions; its flow has no queue, key or target role, so
	// those reads are proven granted here.)
	granted, err := policies.Actions(policies.Scan)
	if err != nil {
		t.Fatal(err)
	}
	grantedSet := map[string]bool{}
	for _, a := range granted {
		grantedSet[a] = true
	}
	prefix := map[string]string{"CloudTrail": "cloudtrail", "CloudWatch": "cloudwatch", "CloudWatch Logs": "logs", "EC2": "ec2",
		"EventBridge": "events", "IAM": "iam", "KMS": "kms", "Lambda": "lambda", "SNS": "sns", "SQS": "sqs", "SSM": "ssm", "STS": "sts"}
	for op := range ops {
		i := strings.LastIndex(op, ":")
		if action := prefix[op[:i]] + ":" + op[i+1:]; !grantedSet[action] {
			t.Errorf("policies/lookout-scan.json does not grant %s (called as %s)", action, op)
		}
	}

	var buf bytes.Buffer
	if err := snapshot.Write(&buf, snap); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("secops@example.com")) {
		t.Error("the snapshot stores an email endpoint")
	}
}

// TestCollectAlarmLastActions: an alarm whose SNS action names a topic that does not exist
// fails its action when it fires (the launcher records the Action history item as AWS would);
// an alarm that failed, then fired again once its topic existed, is recorded with its latest,
// successful action; an alarm that never fired has no record.
func TestCollectAlarmLastActions(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Ctx(t)
	const region = "us-east-2"
	cfg := srv.Config(region)
	cw := awsclient.CloudWatch(cfg)
	missingTopic := "arn:aws:sns:" + region + ":" + motoserver.DefaultAccount + ":deleted-topic"
	lateTopic := "arn:aws:sns:" + region + ":" + motoserver.DefaultAccount + ":late-topic"
	alarm := func(name, topic string) {
		t.Helper()
		if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String(name), MetricName: aws.String("RootAccountUsageCount"), Namespace: aws.String("CloudTrailMetrics"),
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, AlarmActions: []string{topic},
		}); err != nil {
			t.Fatalf("PutMetricAlarm: %v", err)
		}
	}
	setState := func(name string, state cwtypes.StateValue) {
		t.Helper()
		if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name), StateValue: state, StateReason: aws.String("test")}); err != nil {
			t.Fatalf("SetAlarmState: %v", err)
		}
		time.Sleep(5 * time.Millisecond) // distinct timestamps
	}
	alarm("orphaned", missingTopic)
	alarm("recovered", lateTopic)
	alarm("quiet", missingTopic)
	setState("orphaned", cwtypes.StateValueAlarm)
	setState("recovered", cwtypes.StateValueAlarm)
	if _, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("late-topic")}); err != nil {
		t.Fatal(err)
	}
	setState("recovered", cwtypes.StateValueOk)
	setState("recovered", cwtypes.StateValueAlarm)

	d := &snapshot.Region{}
	collectCloudWatch(ctx, newRegionClients(cfg, motoserver.DefaultAccount, region), d)
	if d.CloudWatch.Error != nil || d.CloudWatch.HistoryError != nil {
		t.Fatalf("read errors: %v %v", d.CloudWatch.Error, d.CloudWatch.HistoryError)
	}
	got := d.CloudWatch.LastActions
	if len(got) != 2 || got[0].AlarmName != "orphaned" || got[1].AlarmName != "recovered" {
		t.Fatalf("last actions = %+v, want orphaned and recovered", got)
	}
	wantFailed := `Failed to execute action ` + missingTopic + `. Received error: "Topic does not exist"`
	if got[0].Action != missingTopic {
		t.Errorf("orphaned action = %q, want %q (the action is read from AWS's summary)", got[0].Action, missingTopic)
	}
	if !got[0].Failed || got[0].Summary != wantFailed || got[0].Timestamp.IsZero() {
		t.Errorf("orphaned = %+v, want failed with %q", got[0], wantFailed)
	}
	if got[1].Failed || got[1].Summary != "Successfully executed action "+lateTopic || !got[1].Timestamp.After(got[0].Timestamp) {
		t.Errorf("recovered = %+v, want its latest, successful action", got[1])
	}
}

// TestAlarmHistoryPageCap: however long the history, a region costs at most
// alarmHistoryMaxPages DescribeAlarmHistory calls, and what is kept is the newest items.
func TestAlarmHistoryPageCap(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Ctx(t)
	const region = "us-east-1"
	cfg := srv.Config(region)
	cw := awsclient.CloudWatch(cfg)
	const alarms = alarmHistoryMaxPages + 2
	var names []string
	for i := range alarms {
		name := "alarm-" + string(rune('a'+i))
		names = append(names, name)
		if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String(name), MetricName: aws.String("M"), Namespace: aws.String("N"),
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
			AlarmActions:       []string{"arn:aws:sns:us-east-1:" + motoserver.DefaultAccount + ":nowhere"},
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range names { // fired in name order: the last two names are the newest
		if _, err := cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("test")}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	old := alarmHistoryPageSize
	alarmHistoryPageSize = 1
	t.Cleanup(func() { alarmHistoryPageSize = old })

	rec := &awsclient.Recorder{}
	rec.Attach(&cfg)
	d := &snapshot.Region{}
	collectCloudWatch(ctx, newRegionClients(cfg, motoserver.DefaultAccount, region), d)
	if d.CloudWatch.HistoryError != nil {
		t.Fatal(d.CloudWatch.HistoryError)
	}
	if n := rec.Operations()["CloudWatch:DescribeAlarmHistory"]; n != alarmHistoryMaxPages {
		t.Errorf("%d DescribeAlarmHistory calls, want the cap, %d", n, alarmHistoryMaxPages)
	}
	if len(d.CloudWatch.LastActions) != alarmHistoryMaxPages {
		t.Fatalf("last actions = %+v, want %d", d.CloudWatch.LastActions, alarmHistoryMaxPages)
	}
	for _, a := range d.CloudWatch.LastActions {
		if a.AlarmName == names[0] || a.AlarmName == names[1] {
			t.Errorf("kept %s, one of the two oldest items, past the cap", a.AlarmName)
		}
	}
}

// TestFunctionPolicyQualifiers: a function invoked through an alias has its policy read with
// the alias ARN (each qualifier has its own policy); a function invoked under two ARNs is not
// read, and says why; a target in another region, or a function that does not exist, costs no
// call.
func TestFunctionPolicyQualifiers(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Ctx(t)
	const region = "us-east-1"
	cfg := srv.Config(region)
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	lam := lambda.NewFromConfig(cfg)
	fn := map[string]string{}
	for _, name := range []string{"aliased", "twice"} {
		out, err := lam.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: lambdatypes.RuntimePython312, Role: role.Role.Arn, Publish: true,
			Handler: aws.String("lambda_function.lambda_handler"), Code: &lambdatypes.FunctionCode{ZipFile: lambdaZip(t)},
		})
		if err != nil {
			t.Fatal(err)
		}
		fn[name] = aws.ToString(out.FunctionArn)
		if _, err := lam.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(name), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lam.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("aliased"), Qualifier: aws.String("live"), StatementId: aws.String("events"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("events.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}

	r := &snapshot.Region{
		Name: region,
		Lambda: &snapshot.LambdaData{Functions: []snapshot.Function{
			{Name: "aliased", ARN: fn["aliased"]},
			{Name: "twice", ARN: fn["twice"]},
		}},
		EventBridge: &snapshot.EventBridgeData{Rules: []snapshot.Rule{{Name: "r", Targets: []snapshot.Target{
			{ID: "1", ARN: fn["aliased"] + ":live"},
			{ID: "2", ARN: fn["twice"]},
			{ID: "3", ARN: fn["twice"] + ":live"},
			{ID: "4", ARN: "arn:aws:lambda:us-west-2:" + motoserver.DefaultAccount + ":function:aliased"},
			{ID: "5", ARN: "arn:aws:lambda:us-east-1:" + motoserver.DefaultAccount + ":function:absent"},
		}}}},
	}
	rec := &awsclient.Recorder{}
	rec.Attach(&cfg)
	functionPolicies(ctx, newRegionClients(cfg, motoserver.DefaultAccount, region), r)

	// One GetPolicy, with the alias ARN, and one GetFunction per invoked function (state and
	// reserved concurrency are the function's, whatever the qualifier).
	var policyCalls, functionCalls []awsclient.Call
	for _, c := range rec.Calls() {
		switch c.Operation {
		case "GetPolicy":
			policyCalls = append(policyCalls, c)
		case "GetFunction":
			functionCalls = append(functionCalls, c)
		default:
			t.Errorf("unexpected call %+v", c)
		}
	}
	if len(policyCalls) != 1 || !strings.Contains(policyCalls[0].Input, fn["aliased"]+":live") {
		t.Errorf("GetPolicy calls = %+v, want one with the alias ARN", policyCalls)
	}
	if len(functionCalls) != 2 {
		t.Errorf("GetFunction calls = %+v, want one per invoked function", functionCalls)
	}
	for _, f := range r.Lambda.Functions {
		if !f.ConfigRead || f.State != "Active" || f.ReservedConcurrency != nil {
			t.Errorf("function %s: config read %v, state %q, reserved concurrency %v; want read, Active, none", f.Name, f.ConfigRead, f.State, f.ReservedConcurrency)
		}
	}
	aliased, twice := r.Lambda.Functions[0], r.Lambda.Functions[1]
	if !aliased.PolicyRead || aliased.PolicyError != nil || !strings.Contains(aliased.Policy, "events.amazonaws.com") {
		t.Errorf("aliased = %+v", aliased)
	}
	if twice.PolicyRead || twice.PolicyError == nil || twice.PolicyError.Code != "MultipleQualifiers" || twice.PolicyError.Operation != "lambda:GetPolicy" {
		t.Errorf("twice = %+v, want a MultipleQualifiers error", twice)
	}
}

func TestDeliveryHelpers(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:lambda:eu-west-1:123456789012:function:fn":         "arn:aws:lambda:eu-west-1:123456789012:function:fn",
		"arn:aws:lambda:eu-west-1:123456789012:function:fn:live":    "arn:aws:lambda:eu-west-1:123456789012:function:fn",
		"arn:aws:lambda:eu-west-1:123456789012:function:fn:$LATEST": "arn:aws:lambda:eu-west-1:123456789012:function:fn",
		"arn:aws:sns:eu-west-1:123456789012:topic":                  "",
		"arn:aws:lambda:eu-west-1:123456789012:layer:l:1":           "",
		"fn": "",
	} {
		if got := unqualifiedFunctionARN(arn); got != want {
			t.Errorf("unqualifiedFunctionARN(%q) = %q, want %q", arn, got, want)
		}
	}
	for ref, want := range map[string]bool{
		"alias/aws/sns": true, "alias/aws/sqs": true, "arn:aws:kms:eu-west-1:123456789012:alias/aws/sns": true,
		"alias/mine": false, "alias/awsome": false, "arn:aws:kms:eu-west-1:123456789012:key/1234": false, "1234abcd-12ab": false,
	} {
		if got := awsManagedAlias(ref); got != want {
			t.Errorf("awsManagedAlias(%q) = %v", ref, got)
		}
	}
	for _, c := range []struct{ protocol, endpoint, want string }{
		{"sqs", "arn:aws:sqs:eu-west-1:123456789012:q", "arn:aws:sqs:eu-west-1:123456789012:q"},
		{"lambda", "arn:aws:lambda:eu-west-1:123456789012:function:f", "arn:aws:lambda:eu-west-1:123456789012:function:f"},
		{"firehose", "arn:aws:firehose:eu-west-1:123456789012:deliverystream/s", "arn:aws:firehose:eu-west-1:123456789012:deliverystream/s"},
		{"email", "secops@example.com", ""},
		{"https", "https://hooks.example.com/T0KEN", ""},
		{"sms", "+15555550100", ""},
		{"sqs", "https://sqs.eu-west-1.amazonaws.com/123456789012/q", ""},
	} {
		if got := endpointARN(c.protocol, c.endpoint); got != c.want {
			t.Errorf("endpointARN(%q, %q) = %q, want %q", c.protocol, c.endpoint, got, c.want)
		}
	}
	for _, c := range []struct {
		data, summary string
		want          bool
	}{
		{`{"actionState":"Failed","notificationResource":"arn:aws:sns:eu-west-1:123456789012:t"}`, "Failed to execute action arn:aws:sns:eu-west-1:123456789012:t", true},
		{`{"actionState":"Failed"}`, "", true},
		{"", "Failed to execute action arn:aws:sns:eu-west-1:123456789012:t. Received error: \"x\"", true},
		{`{"actionState":"Succeeded"}`, "Successfully executed action arn:aws:sns:eu-west-1:123456789012:t", false},
		{"not json", "Successfully executed action x", false},
	} {
		if got := actionFailed(c.data, c.summary); got != c.want {
			t.Errorf("actionFailed(%q, %q) = %v", c.data, c.summary, got)
		}
	}
	for doc, want := range map[string]string{
		"%7B%22Version%22%3A%20%222012-10-17%22%7D": `{"Version": "2012-10-17"}`,
		`{"Version":"2012-10-17"}`:                  `{"Version":"2012-10-17"}`,
		"%ZZ":                                       "%ZZ",
	} {
		if got := decodePolicyDocument(doc); got != want {
			t.Errorf("decodePolicyDocument(%q) = %q, want %q", doc, got, want)
		}
	}
	for arn, want := range map[string][2]string{
		"arn:aws:iam::123456789012:role/service-role/events-ssm": {"123456789012", "events-ssm"},
		"arn:aws:iam::123456789012:role/plain":                   {"123456789012", "plain"},
		"arn:aws:iam::123456789012:user/someone":                 {"", ""},
		"":                                                       {"", ""},
	} {
		if acct, name := iamResource(arn, "role"); acct != want[0] || name != want[1] {
			t.Errorf("iamResource(%q, role) = %q, %q, want %q", arn, acct, name, want)
		}
	}
}

// The region-wide delivery reads count as region read errors; per-item ones do not.
func TestCountErrorsDeliveryReads(t *testing.T) {
	e := &snapshot.ReadError{Operation: "x:Y", Message: "denied"}
	r := &snapshot.Region{
		EventBridge: &snapshot.EventBridgeData{BusPolicyError: e},
		CloudWatch:  &snapshot.CloudWatchData{HistoryError: e},
		Lambda:      &snapshot.LambdaData{Functions: []snapshot.Function{{Name: "f", PolicyError: e}}},
		SQS:         &snapshot.SQSData{Queues: []snapshot.Queue{{ARN: "q", Error: e}}},
		KMS:         &snapshot.KMSData{Keys: []snapshot.KMSKey{{Ref: "k", Error: e}}},
	}
	if n := countErrors(r); n != 2 {
		t.Errorf("countErrors = %d, want 2 (bus policy, alarm history)", n)
	}
}
