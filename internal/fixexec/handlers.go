package fixexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lookout-audit/lookout/internal/plan"
)

// errAlreadyThere is returned by a run whose change is already in place (a policy statement
// with the same Sid, a permission with the same statement id): the outcome is "exists".
var errAlreadyThere = errors.New("already in place")

// handlers maps service:Operation to its handler, keyed by the operation of each op's params
// type. Every operation a planner may emit is here (TestEveryOperationHasAHandler); the
// least-privilege test proves the fix policy grants exactly what these call.
var handlers = handlerMap(
	sdkCall(ctClient, (*cloudtrail.Client).StartLogging, startLoggingInput),
	sdkCall(ctClient, (*cloudtrail.Client).CreateTrail, createTrailInput).withProbe(probeTrail).withPropagation(trailRoleNotReady),

	createBucket().withProbe(probeBucket),
	sdkCall(s3Client, (*s3.Client).PutBucketPolicy, putBucketPolicyInput),

	sdkCall(logsClient, (*cloudwatchlogs.Client).CreateLogGroup, createLogGroupInput).withProbe(probeLogGroup),
	sdkCall(logsClient, (*cloudwatchlogs.Client).PutMetricFilter, putMetricFilterInput).withProbe(probeMetricFilter),

	sdkCall(iamClient, (*iam.Client).CreateRole, createRoleInput).withProbe(probeRole),
	sdkCall(iamClient, (*iam.Client).PutRolePolicy, putRolePolicyInput),

	sdkCall(iamClient, (*iam.Client).AttachRolePolicy, attachRolePolicyInput),
	sdkCall(iamClient, (*iam.Client).CreateInstanceProfile, createInstanceProfileInput).withProbe(probeInstanceProfile),
	addRoleToInstanceProfile(),
	associateInstanceProfile().withPropagation(profileNotReady),
	revokeIngress(),

	sdkCallWith(lambdaClient, (*lambda.Client).CreateFunction, createFunctionInput, codeSHA256).withProbe(probeFunction).withPropagation(lambdaRoleNotReady),
	// A conflict on AddPermission: the statement id is lookout's and already present.
	sdkCall(lambdaClient, (*lambda.Client).AddPermission, addPermissionInput).alreadyThereOn("ResourceConflictException"),

	sdkCall(eventsClient, (*eventbridge.Client).PutRule, putRuleInput).withProbe(probeRule),
	sdkCallWith(eventsClient, (*eventbridge.Client).PutTargets, putTargetsInput, failedTargets),

	sdkCall(snsClient, (*sns.Client).CreateTopic, createTopicInput).withProbe(probeTopic),
	sdkCall(snsClient, (*sns.Client).Subscribe, subscribeInput),
	addTopicPolicyStatement(),

	sdkCall(cwClient, (*cloudwatch.Client).PutMetricAlarm, putMetricAlarmInput).withProbe(probeAlarm),

	mergeAgentConfig(),
	sdkCall(ssmClient, (*ssm.Client).CreateAssociation, createAssociationInput).withProbe(probeAssociation),
)

// op is the handler of the operation whose params are of type P, written against P.
type op[P plan.Params] struct {
	check       func(P) error
	probe       func(ctx context.Context, c *clients, p P, target string) (found, managed bool, err error)
	run         func(ctx context.Context, c *clients, p P) (detail string, err error)
	propagation func(error) bool
}

func (o op[P]) withProbe(probe func(context.Context, *clients, P, string) (bool, bool, error)) op[P] {
	o.probe = probe
	return o
}

func (o op[P]) withPropagation(notReady func(error) bool) op[P] {
	o.propagation = notReady
	return o
}

// alreadyThereOn makes the API error code that means "already done" the outcome "exists".
func (o op[P]) alreadyThereOn(code string) op[P] {
	run := o.run
	o.run = func(ctx context.Context, c *clients, p P) (string, error) {
		d, err := run(ctx, c, p)
		if errCode(err) == code {
			return "", errAlreadyThere
		}
		return d, err
	}
	return o
}

// entry is an op[P] of any P.
type entry interface {
	register(map[string]handler)
}

// register files the op under its params' operation, as a handler whose check asserts P (so
// that probe and run, which the executor calls only after check, can take it for granted).
func (o op[P]) register(m map[string]handler) {
	var zero P
	service, operation := zero.Operation()
	key := service + ":" + operation
	if _, dup := m[key]; dup {
		panic("fixexec: two handlers for " + key)
	}
	h := handler{
		check: func(p plan.Params) error {
			typed, ok := p.(P)
			if !ok {
				return fmt.Errorf("params are %T, want %T", p, zero)
			}
			if o.check == nil {
				return nil
			}
			return o.check(typed)
		},
		run:         func(ctx context.Context, c *clients, p plan.Params) (string, error) { return o.run(ctx, c, p.(P)) },
		propagation: o.propagation,
	}
	if o.probe != nil {
		h.probe = func(ctx context.Context, c *clients, p plan.Params, target string) (bool, bool, error) {
			return o.probe(ctx, c, p.(P), target)
		}
	}
	m[key] = h
}

func handlerMap(ops ...entry) map[string]handler {
	m := make(map[string]handler, len(ops))
	for _, o := range ops {
		o.register(m)
	}
	return m
}

// sdkCall is an op that is one SDK call, its input built from the params by input (which is
// also the op's check).
func sdkCall[P plan.Params, C, In, Out, O any](client func(*clients) C, call func(C, context.Context, *In, ...func(*O)) (*Out, error),
	input func(P) (*In, error)) op[P] {
	return sdkCallWith(client, call, input, func(P, *Out) (string, error) { return "", nil })
}

// sdkCallWith is sdkCall whose answer is read by result: the detail reported, or an error
// for a call that succeeded yet did not do what was asked.
func sdkCallWith[P plan.Params, C, In, Out, O any](client func(*clients) C, call func(C, context.Context, *In, ...func(*O)) (*Out, error),
	input func(P) (*In, error), result func(P, *Out) (string, error)) op[P] {
	return op[P]{
		check: func(p P) error { _, err := input(p); return err },
		run: func(ctx context.Context, c *clients, p P) (string, error) {
			in, err := input(p)
			if err != nil {
				return "", err
			}
			out, err := call(client(c), ctx, in)
			if err != nil {
				return "", err
			}
			return result(p, out)
		},
	}
}

func ctClient(c *clients) *cloudtrail.Client       { return c.cloudtrail }
func s3Client(c *clients) *s3.Client               { return c.s3 }
func logsClient(c *clients) *cloudwatchlogs.Client { return c.logs }
func iamClient(c *clients) *iam.Client             { return c.iam }
func eventsClient(c *clients) *eventbridge.Client  { return c.events }
func snsClient(c *clients) *sns.Client             { return c.sns }
func cwClient(c *clients) *cloudwatch.Client       { return c.cloudwatch }
func ssmClient(c *clients) *ssm.Client             { return c.ssm }
func lambdaClient(c *clients) *lambda.Client       { return c.lambda }
func tagsOf[T any](list []T, kv func(T) (string, string)) map[string]string {
	out := map[string]string{}
	for _, t := range list {
		k, v := kv(t)
		out[k] = v
	}
	return out
}

// ---- probes: is the target there, and is it lookout's? ----

func probeTrail(ctx context.Context, c *clients, p plan.CreateTrail, _ string) (bool, bool, error) {
	out, err := c.cloudtrail.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(p.Name)})
	if errCode(err) == "TrailNotFoundException" {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	tags, err := c.cloudtrail.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{aws.ToString(out.Trail.TrailARN)}})
	if err != nil {
		return true, false, err
	}
	for _, rt := range tags.ResourceTagList {
		for _, t := range rt.TagsList {
			if aws.ToString(t.Key) == plan.ManagedByKey && aws.ToString(t.Value) == plan.ManagedByValue {
				return true, true, nil
			}
		}
	}
	return true, false, nil
}

func probeBucket(ctx context.Context, c *clients, p plan.CreateBucket, _ string) (bool, bool, error) {
	out, err := c.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(p.Bucket)})
	switch errCode(err) {
	case "NoSuchBucket":
		return false, false, nil
	case "NoSuchTagSet":
		return true, false, nil
	case "":
	default:
		// AccessDenied on a bucket name taken by another account lands here too.
		return false, false, err
	}
	return true, hasManagedTag(tagsOf(out.TagSet, func(t s3types.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })), nil
}

func probeLogGroup(ctx context.Context, c *clients, p plan.CreateLogGroup, _ string) (bool, bool, error) {
	name := p.LogGroupName
	out, err := c.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	if err != nil {
		return false, false, err
	}
	for _, g := range out.LogGroups {
		if aws.ToString(g.LogGroupName) != name {
			continue
		}
		arn := aws.ToString(g.LogGroupArn)
		if arn == "" {
			arn = strings.TrimSuffix(aws.ToString(g.Arn), ":*")
		}
		tags, err := c.logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			return true, false, err
		}
		return true, hasManagedTag(tags.Tags), nil
	}
	return false, false, nil
}

// probeMetricFilter: metric filters cannot be tagged; lookout's carry its predictable names,
// so a filter of that name on that group is taken to be lookout's own from an earlier run.
func probeMetricFilter(ctx context.Context, c *clients, p plan.PutMetricFilter, _ string) (bool, bool, error) {
	name := p.FilterName
	out, err := c.logs.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{
		LogGroupName: aws.String(p.LogGroupName), FilterNamePrefix: aws.String(name)})
	if err != nil {
		return false, false, err
	}
	for _, f := range out.MetricFilters {
		if aws.ToString(f.FilterName) == name {
			return true, strings.HasPrefix(name, "lookout-"), nil
		}
	}
	return false, false, nil
}

func probeRole(ctx context.Context, c *clients, p plan.CreateRole, _ string) (bool, bool, error) {
	out, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.RoleName)})
	if errCode(err) == "NoSuchEntity" {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, hasManagedTag(tagsOf(out.Role.Tags, func(t iamtypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })), nil
}

func probeFunction(ctx context.Context, c *clients, p plan.CreateFunction, _ string) (bool, bool, error) {
	out, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(p.FunctionName)})
	if errCode(err) == "ResourceNotFoundException" {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, hasManagedTag(out.Tags), nil
}

// probeRule looks on the default event bus, where PutRule creates lookout's rules.
func probeRule(ctx context.Context, c *clients, p plan.PutRule, _ string) (bool, bool, error) {
	out, err := c.events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(p.Name)})
	if errCode(err) == "ResourceNotFoundException" {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	tags, err := c.events.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: out.Arn})
	if err != nil {
		return true, false, err
	}
	return true, hasManagedTag(tagsOf(tags.Tags, func(t ebtypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })), nil
}

// probeTopic: CreateTopic returns an existing topic of the same name without complaint, so the
// topic is looked up by its ARN (the action's Target) first.
func probeTopic(ctx context.Context, c *clients, _ plan.CreateTopic, target string) (bool, bool, error) {
	out, err := c.sns.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(target)})
	switch errCode(err) {
	case "ResourceNotFound", "ResourceNotFoundException", "NotFound":
		return false, false, nil
	case "":
	default:
		return false, false, err
	}
	return true, hasManagedTag(tagsOf(out.Tags, func(t snstypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })), nil
}

func probeAlarm(ctx context.Context, c *clients, p plan.PutMetricAlarm, _ string) (bool, bool, error) {
	out, err := c.cloudwatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{p.AlarmName}})
	if err != nil {
		return false, false, err
	}
	if len(out.MetricAlarms) == 0 {
		return false, false, nil
	}
	tags, err := c.cloudwatch.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: out.MetricAlarms[0].AlarmArn})
	if err != nil {
		return true, false, err
	}
	return true, hasManagedTag(tagsOf(tags.Tags, func(t cwtypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })), nil
}

// probeAssociation: lookout's associations carry its predictable AssociationName.
func probeAssociation(ctx context.Context, c *clients, p plan.CreateAssociation, _ string) (bool, bool, error) {
	name := p.AssociationName
	out, err := c.ssm.ListAssociations(ctx, &ssm.ListAssociationsInput{AssociationFilterList: []ssmtypes.AssociationFilter{
		{Key: ssmtypes.AssociationFilterKeyAssociationName, Value: aws.String(name)}}})
	if err != nil {
		return false, false, err
	}
	for _, as := range out.Associations {
		if aws.ToString(as.AssociationName) == name {
			return true, strings.HasPrefix(name, "lookout-"), nil
		}
	}
	return false, false, nil
}

// ---- composite actions ----

// createBucket creates the bucket and tags it (CreateBucket takes no tags for general purpose
// buckets). If tagging fails the bucket exists untagged; the detail says how to finish.
func createBucket() op[plan.CreateBucket] {
	o := sdkCall(s3Client, (*s3.Client).CreateBucket, createBucketInput)
	create := o.run
	o.run = func(ctx context.Context, c *clients, p plan.CreateBucket) (string, error) {
		if _, err := create(ctx, c, p); err != nil {
			return "", err
		}
		if _, err := c.s3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(p.Bucket), Tagging: &s3types.Tagging{TagSet: s3Tags(p.Tags)}}); err != nil {
			return "", fmt.Errorf("bucket %s was created but could not be tagged %s=%s (tag it, then rerun): %s",
				p.Bucket, plan.ManagedByKey, plan.ManagedByValue, errText(err))
		}
		return "", nil
	}
	return o
}

// codeSHA256 reports the uploaded package's hash (createFunctionInput zips lookout's embedded
// source in memory: the plan names it in Code.Embedded rather than carrying the bytes).
func codeSHA256(_ plan.CreateFunction, out *lambda.CreateFunctionOutput) (string, error) {
	return "code sha256 " + aws.ToString(out.CodeSha256), nil
}

// failedTargets: PutTargets answers success with the targets it rejected listed.
func failedTargets(_ plan.PutTargets, out *eventbridge.PutTargetsOutput) (string, error) {
	if out.FailedEntryCount == 0 {
		return "", nil
	}
	var msgs []string
	for _, f := range out.FailedEntries {
		msgs = append(msgs, aws.ToString(f.TargetId)+": "+aws.ToString(f.ErrorCode)+" "+aws.ToString(f.ErrorMessage))
	}
	return "", fmt.Errorf("PutTargets rejected %d target(s): %s", out.FailedEntryCount, strings.Join(msgs, "; "))
}

// addTopicPolicyStatement adds one statement (by Sid) to a topic's access policy, keeping every
// statement already there.
func addTopicPolicyStatement() op[plan.SetTopicAttributes] {
	return op[plan.SetTopicAttributes]{
		check: func(p plan.SetTopicAttributes) error {
			if p.TopicARN == "" || p.AttributeName != "Policy" || p.AddStatement.Sid == "" {
				return fmt.Errorf(`want TopicArn, AttributeName "Policy" and an AddStatement with a Sid`)
			}
			return nil
		},
		run: func(ctx context.Context, c *clients, p plan.SetTopicAttributes) (string, error) {
			attrs, err := c.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(p.TopicARN)})
			if err != nil {
				return "", err
			}
			merged, added, err := addStatement(attrs.Attributes["Policy"], p.AddStatement)
			if err != nil {
				return "", fmt.Errorf("topic %s: %w", p.TopicARN, err)
			}
			if !added {
				return "", errAlreadyThere
			}
			_, err = c.sns.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{
				TopicArn: aws.String(p.TopicARN), AttributeName: aws.String("Policy"), AttributeValue: aws.String(merged)})
			return "statement " + p.AddStatement.Sid + " added; existing statements kept", err
		},
	}
}

// addStatement returns the policy with stmt appended, unless a statement with its Sid exists.
func addStatement(policy string, stmt plan.Statement) (string, bool, error) {
	doc := map[string]any{}
	if strings.TrimSpace(policy) != "" {
		if err := json.Unmarshal([]byte(policy), &doc); err != nil {
			return "", false, fmt.Errorf("its access policy is not JSON: %w", err)
		}
	}
	if _, ok := doc["Version"]; !ok {
		doc["Version"] = "2012-10-17"
	}
	var list []any
	switch s := doc["Statement"].(type) {
	case nil:
	case []any:
		list = s
	case map[string]any:
		list = []any{s}
	default:
		return "", false, fmt.Errorf("its access policy has a Statement of unexpected type %T", s)
	}
	for _, s := range list {
		if m, ok := s.(map[string]any); ok && m["Sid"] == stmt.Sid {
			return policy, false, nil
		}
	}
	doc["Statement"] = append(list, stmt)
	b, err := json.Marshal(doc)
	return string(b), true, err
}

func trailRoleNotReady(err error) bool {
	switch errCode(err) {
	case "InvalidCloudWatchLogsRoleArnException", "InvalidCloudWatchLogsLogGroupArnException":
		return true
	}
	return false
}

func lambdaRoleNotReady(err error) bool {
	return errCode(err) == "InvalidParameterValueException" && strings.Contains(errText(err), "role")
}
