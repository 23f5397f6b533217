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
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
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

// handlers maps service:Operation to its handler. Every operation a planner may emit is here;
// the least-privilege test proves the fix policy grants exactly what these call.
var handlers = map[string]handler{
	"cloudtrail:StartLogging": simple(ctClient, (*cloudtrail.Client).StartLogging),
	"cloudtrail:CreateTrail":  withPropagation(withProbe(simple(ctClient, (*cloudtrail.Client).CreateTrail), probeTrail), trailRoleNotReady),

	"s3:CreateBucket":    withProbe(createBucket(), probeBucket),
	"s3:PutBucketPolicy": simple(s3Client, (*s3.Client).PutBucketPolicy),

	"logs:CreateLogGroup":  withProbe(simple(logsClient, (*cloudwatchlogs.Client).CreateLogGroup), probeLogGroup),
	"logs:PutMetricFilter": withProbe(simple(logsClient, (*cloudwatchlogs.Client).PutMetricFilter), probeMetricFilter),

	"iam:CreateRole":    withProbe(simple(iamClient, (*iam.Client).CreateRole), probeRole),
	"iam:PutRolePolicy": simple(iamClient, (*iam.Client).PutRolePolicy),

	"iam:AttachRolePolicy":            simple(iamClient, (*iam.Client).AttachRolePolicy),
	"iam:CreateInstanceProfile":       withProbe(simple(iamClient, (*iam.Client).CreateInstanceProfile), probeInstanceProfile),
	"iam:AddRoleToInstanceProfile":    addRoleToInstanceProfile(),
	"ec2:AssociateIamInstanceProfile": withPropagation(associateInstanceProfile(), profileNotReady),
	"ec2:RevokeSecurityGroupIngress":  revokeIngress(),

	"lambda:CreateFunction": withPropagation(withProbe(createFunction(), probeFunction), lambdaRoleNotReady),
	"lambda:AddPermission":  addPermission(),

	"events:PutRule":    withProbe(simple(eventsClient, (*eventbridge.Client).PutRule), probeRule),
	"events:PutTargets": putTargets(),

	"sns:CreateTopic":        withProbe(simple(snsClient, (*sns.Client).CreateTopic), probeTopic),
	"sns:Subscribe":          simple(snsClient, (*sns.Client).Subscribe),
	"sns:SetTopicAttributes": addTopicPolicyStatement(),

	"cloudwatch:PutMetricAlarm": withProbe(simple(cwClient, (*cloudwatch.Client).PutMetricAlarm), probeAlarm),

	"ssm:PutParameter":      mergeAgentConfig(),
	"ssm:CreateAssociation": withProbe(simple(ssmClient, (*ssm.Client).CreateAssociation), probeAssociation),
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

// simple is an action that is one SDK call whose input is exactly the params.
func simple[C, In, Out, O any](client func(*clients) C, call func(C, context.Context, *In, ...func(*O)) (*Out, error)) handler {
	return handler{
		decode: func(p map[string]any) error { return decodeInto(p, new(In)) },
		run: func(ctx context.Context, c *clients, a *plan.Action) (string, error) {
			in := new(In)
			if err := decodeInto(a.Params, in); err != nil {
				return "", err
			}
			_, err := call(client(c), ctx, in)
			return "", err
		},
	}
}

func withProbe(h handler, probe func(context.Context, *clients, *plan.Action) (bool, bool, error)) handler {
	h.probe = probe
	return h
}

func withPropagation(h handler, notReady func(error) bool) handler {
	h.propagation = notReady
	return h
}

func param(a *plan.Action, key string) string {
	s, _ := a.Params[key].(string)
	return s
}

// ---- probes: is the target there, and is it lookout's? ----

func probeTrail(ctx context.Context, c *clients, a *plan.Action) (bool, bool, error) {
	out, err := c.cloudtrail.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(param(a, "Name"))})
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

func probeBucket(ctx context.Context, c *clients, a *plan.Action) (bool, bool, error) {
	out, err := c.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(param(a, "Bucket"))})
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

func probeLogGroup(ctx context.Context, c *clients, a *plan.Action) (bool, bool, error) {
	name := param(a, "logGroupName")
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
func probeMetricFilter(ctx context.Context, c *clients, a *plan.Action) (bool, bool, error) {
	name := param(a, "filterName")
	out, err := c.logs.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{
		LogGroupName: aws.String(param(a, "logGroupName")), FilterNamePrefix: aws.String(name)})
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

func probeRole(ctx context.Context, c *clients, a *plan.Action) (bool, bool, error) {
	out, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(param(a, "RoleName"))})
	if errCode(err) == "NoSuchEntity" {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, hasManagedTag(tagsOf(out.Role.Tags, func(t iamtypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })), nil
}

func probeFunction(ctx context.Context, c *clients, a *plan.Action) (bool, bool, error) {
	out, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(param(a, "FunctionName"))})
	if errCode(err) == "ResourceNotFoundException" {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, hasManagedTag(out.Tags), nil
}

func probeRule(ctx context.Context, c *clients, a *plan.Action) (bool, bool, error) {
	in := &eventbridge.DescribeRuleInput{Name: aws.String(param(a, "Name"))}
	if bus := param(a, "EventBusName"); bus != "" {
		in.EventBusName = aws.String(bus)
	}
	out, err := c.events.DescribeRule(ctx, in)
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
func probeTopic(ctx context.Context, c *clients, a *plan.Action) (bool, bool, error) {
	out, err := c.sns.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(a.Target)})
	switch errCode(err) {
	case "ResourceNotFound", "ResourceNotFoundException", "NotFound":
		return false, false, nil
	case "":
	default:
		return false, false, err
	}
	return true, hasManagedTag(tagsOf(out.Tags, func(t snstypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })), nil
}

func probeAlarm(ctx context.Context, c *clients, a *plan.Action) (bool, bool, error) {
	out, err := c.cloudwatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{param(a, "AlarmName")}})
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
func probeAssociation(ctx context.Context, c *clients, a *plan.Action) (bool, bool, error) {
	name := param(a, "AssociationName")
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
func createBucket() handler {
	type tagsParam struct {
		Tags []s3types.Tag
	}
	decode := func(p map[string]any) (*s3.CreateBucketInput, []s3types.Tag, error) {
		in := new(s3.CreateBucketInput)
		if err := decodeInto(p, in, "Tags"); err != nil {
			return nil, nil, err
		}
		var tp tagsParam
		if err := decodeInto(map[string]any{"Tags": p["Tags"]}, &tp); err != nil {
			return nil, nil, err
		}
		return in, tp.Tags, nil
	}
	return handler{
		decode: func(p map[string]any) error { _, _, err := decode(p); return err },
		run: func(ctx context.Context, c *clients, a *plan.Action) (string, error) {
			in, tags, err := decode(a.Params)
			if err != nil {
				return "", err
			}
			if _, err := c.s3.CreateBucket(ctx, in); err != nil {
				return "", err
			}
			if _, err := c.s3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: in.Bucket, Tagging: &s3types.Tagging{TagSet: tags}}); err != nil {
				return "", fmt.Errorf("bucket %s was created but could not be tagged %s=%s (tag it, then rerun): %s",
					aws.ToString(in.Bucket), plan.ManagedByKey, plan.ManagedByValue, errText(err))
			}
			return "", nil
		},
	}
}

// createFunction uploads an embedded Lambda source, zipped in memory: the plan names it in
// Code.Embedded rather than carrying the bytes.
func createFunction() handler {
	decode := func(p map[string]any) (*lambda.CreateFunctionInput, error) {
		in := new(lambda.CreateFunctionInput)
		if err := decodeInto(p, in, "Code"); err != nil {
			return nil, err
		}
		code, _ := p["Code"].(map[string]any)
		name, _ := code["Embedded"].(string)
		if len(code) != 1 || name == "" {
			return nil, fmt.Errorf(`Code must be {"Embedded": NAME} naming an embedded source`)
		}
		zip, err := lambdaZip(name)
		if err != nil {
			return nil, err
		}
		in.Code = &lambdatypes.FunctionCode{ZipFile: zip}
		return in, nil
	}
	return handler{
		decode: func(p map[string]any) error { _, err := decode(p); return err },
		run: func(ctx context.Context, c *clients, a *plan.Action) (string, error) {
			in, err := decode(a.Params)
			if err != nil {
				return "", err
			}
			out, err := c.lambda.CreateFunction(ctx, in)
			if err != nil {
				return "", err
			}
			return "code sha256 " + aws.ToString(out.CodeSha256), nil
		},
	}
}

func addPermission() handler {
	h := simple(lambdaClient, (*lambda.Client).AddPermission)
	run := h.run
	h.run = func(ctx context.Context, c *clients, a *plan.Action) (string, error) {
		d, err := run(ctx, c, a)
		if errCode(err) == "ResourceConflictException" {
			// The statement id is lookout's and already present.
			return "", errAlreadyThere
		}
		return d, err
	}
	return h
}

func putTargets() handler {
	return handler{
		decode: func(p map[string]any) error { return decodeInto(p, new(eventbridge.PutTargetsInput)) },
		run: func(ctx context.Context, c *clients, a *plan.Action) (string, error) {
			in := new(eventbridge.PutTargetsInput)
			if err := decodeInto(a.Params, in); err != nil {
				return "", err
			}
			out, err := c.events.PutTargets(ctx, in)
			if err != nil {
				return "", err
			}
			if out.FailedEntryCount > 0 {
				var msgs []string
				for _, f := range out.FailedEntries {
					msgs = append(msgs, aws.ToString(f.TargetId)+": "+aws.ToString(f.ErrorCode)+" "+aws.ToString(f.ErrorMessage))
				}
				return "", fmt.Errorf("PutTargets rejected %d target(s): %s", out.FailedEntryCount, strings.Join(msgs, "; "))
			}
			return "", nil
		},
	}
}

// addTopicPolicyStatement adds one statement (by Sid) to a topic's access policy, keeping every
// statement already there. Params: TopicArn, AttributeName "Policy", AddStatement.
func addTopicPolicyStatement() handler {
	type params struct {
		TopicArn      string
		AttributeName string
		AddStatement  map[string]any
	}
	decode := func(p map[string]any) (*params, error) {
		var in params
		if err := decodeInto(p, &in); err != nil {
			return nil, err
		}
		sid, _ := in.AddStatement["Sid"].(string)
		if in.TopicArn == "" || in.AttributeName != "Policy" || sid == "" {
			return nil, fmt.Errorf(`want TopicArn, AttributeName "Policy" and an AddStatement with a Sid`)
		}
		return &in, nil
	}
	return handler{
		decode: func(p map[string]any) error { _, err := decode(p); return err },
		run: func(ctx context.Context, c *clients, a *plan.Action) (string, error) {
			in, err := decode(a.Params)
			if err != nil {
				return "", err
			}
			attrs, err := c.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(in.TopicArn)})
			if err != nil {
				return "", err
			}
			merged, added, err := addStatement(attrs.Attributes["Policy"], in.AddStatement)
			if err != nil {
				return "", fmt.Errorf("topic %s: %w", in.TopicArn, err)
			}
			if !added {
				return "", errAlreadyThere
			}
			_, err = c.sns.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{
				TopicArn: aws.String(in.TopicArn), AttributeName: aws.String("Policy"), AttributeValue: aws.String(merged)})
			return "statement " + in.AddStatement["Sid"].(string) + " added; existing statements kept", err
		},
	}
}

// addStatement returns the policy with stmt appended, unless a statement with its Sid exists.
func addStatement(policy string, stmt map[string]any) (string, bool, error) {
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
		if m, ok := s.(map[string]any); ok && m["Sid"] == stmt["Sid"] {
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
