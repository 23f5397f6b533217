package fixexec

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
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

// The SDK input of each call, built from its typed params. A builder is pure: Validate runs it
// to refuse, before anything changes, params the call cannot take (a name left empty, an
// embedded source that does not exist); the error comes with the input, which is then unused.
//
// A field the params type marks omitempty (optional in the API) is sent only when set, as the
// JSON plan shows it; every other field is sent as it is.

func startLoggingInput(p plan.StartLogging) (*cloudtrail.StartLoggingInput, error) {
	return &cloudtrail.StartLoggingInput{Name: aws.String(p.Name)}, need("Name", p.Name)
}

func createTrailInput(p plan.CreateTrail) (*cloudtrail.CreateTrailInput, error) {
	return &cloudtrail.CreateTrailInput{
		Name: aws.String(p.Name), S3BucketName: aws.String(p.S3BucketName),
		IsMultiRegionTrail:         aws.Bool(p.IsMultiRegionTrail),
		IncludeGlobalServiceEvents: aws.Bool(p.IncludeGlobalServiceEvents),
		EnableLogFileValidation:    aws.Bool(p.EnableLogFileValidation),
		CloudWatchLogsLogGroupArn:  optional(p.CloudWatchLogsLogGroupARN),
		CloudWatchLogsRoleArn:      optional(p.CloudWatchLogsRoleARN),
		TagsList:                   tagList(p.TagsList, func(k, v *string) cttypes.Tag { return cttypes.Tag{Key: k, Value: v} }),
	}, errors.Join(need("Name", p.Name), need("S3BucketName", p.S3BucketName))
}

func createBucketInput(p plan.CreateBucket) (*s3.CreateBucketInput, error) {
	in := &s3.CreateBucketInput{Bucket: aws.String(p.Bucket)}
	if c := p.CreateBucketConfiguration; c != nil {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(c.LocationConstraint)}
	}
	return in, need("Bucket", p.Bucket)
}

func putBucketPolicyInput(p plan.PutBucketPolicy) (*s3.PutBucketPolicyInput, error) {
	return &s3.PutBucketPolicyInput{Bucket: aws.String(p.Bucket), Policy: aws.String(p.Policy)},
		errors.Join(need("Bucket", p.Bucket), need("Policy", p.Policy))
}

func createLogGroupInput(p plan.CreateLogGroup) (*cloudwatchlogs.CreateLogGroupInput, error) {
	return &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(p.LogGroupName), Tags: p.Tags}, need("logGroupName", p.LogGroupName)
}

func putMetricFilterInput(p plan.PutMetricFilter) (*cloudwatchlogs.PutMetricFilterInput, error) {
	in := &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: aws.String(p.LogGroupName), FilterName: aws.String(p.FilterName), FilterPattern: aws.String(p.FilterPattern)}
	for _, m := range p.MetricTransformations {
		in.MetricTransformations = append(in.MetricTransformations, logstypes.MetricTransformation{
			MetricName: aws.String(m.MetricName), MetricNamespace: aws.String(m.MetricNamespace), MetricValue: aws.String(m.MetricValue)})
	}
	return in, errors.Join(need("logGroupName", p.LogGroupName), need("filterName", p.FilterName))
}

func createRoleInput(p plan.CreateRole) (*iam.CreateRoleInput, error) {
	return &iam.CreateRoleInput{
		RoleName: aws.String(p.RoleName), AssumeRolePolicyDocument: aws.String(p.AssumeRolePolicyDocument),
		Description: optional(p.Description), Tags: tagList(p.Tags, iamTag),
	}, errors.Join(need("RoleName", p.RoleName), need("AssumeRolePolicyDocument", p.AssumeRolePolicyDocument))
}

func putRolePolicyInput(p plan.PutRolePolicy) (*iam.PutRolePolicyInput, error) {
	return &iam.PutRolePolicyInput{RoleName: aws.String(p.RoleName), PolicyName: aws.String(p.PolicyName), PolicyDocument: aws.String(p.PolicyDocument)},
		errors.Join(need("RoleName", p.RoleName), need("PolicyName", p.PolicyName), need("PolicyDocument", p.PolicyDocument))
}

func attachRolePolicyInput(p plan.AttachRolePolicy) (*iam.AttachRolePolicyInput, error) {
	return &iam.AttachRolePolicyInput{RoleName: aws.String(p.RoleName), PolicyArn: aws.String(p.PolicyARN)},
		errors.Join(need("RoleName", p.RoleName), need("PolicyArn", p.PolicyARN))
}

func createInstanceProfileInput(p plan.CreateInstanceProfile) (*iam.CreateInstanceProfileInput, error) {
	return &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(p.InstanceProfileName), Tags: tagList(p.Tags, iamTag)},
		need("InstanceProfileName", p.InstanceProfileName)
}

func addRoleToInstanceProfileInput(p plan.AddRoleToInstanceProfile) (*iam.AddRoleToInstanceProfileInput, error) {
	return &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(p.InstanceProfileName), RoleName: aws.String(p.RoleName)},
		errors.Join(need("InstanceProfileName", p.InstanceProfileName), need("RoleName", p.RoleName))
}

func associateIamInstanceProfileInput(p plan.AssociateIamInstanceProfile) (*ec2.AssociateIamInstanceProfileInput, error) {
	return &ec2.AssociateIamInstanceProfileInput{
			InstanceId: aws.String(p.InstanceID), IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String(p.IamInstanceProfile.Name)}},
		errors.Join(need("InstanceId", p.InstanceID), need("IamInstanceProfile.Name", p.IamInstanceProfile.Name))
}

// revokeSecurityGroupIngressInput revokes exactly the rules listed, each with a CIDR or a
// prefix list: a rule without either is not something lookout revokes.
func revokeSecurityGroupIngressInput(p plan.RevokeSecurityGroupIngress) (*ec2.RevokeSecurityGroupIngressInput, error) {
	in := &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(p.GroupID)}
	errs := []error{need("GroupId", p.GroupID)}
	if len(p.IPPermissions) == 0 {
		errs = append(errs, errors.New("IpPermissions is empty"))
	}
	for _, r := range p.IPPermissions {
		perm := ec2types.IpPermission{IpProtocol: aws.String(r.IPProtocol), FromPort: r.FromPort, ToPort: r.ToPort}
		for _, c := range r.IPRanges {
			perm.IpRanges = append(perm.IpRanges, ec2types.IpRange{CidrIp: aws.String(c.CidrIP)})
		}
		for _, c := range r.IPv6Ranges {
			perm.Ipv6Ranges = append(perm.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: aws.String(c.CidrIPv6)})
		}
		for _, l := range r.PrefixListIDs {
			perm.PrefixListIds = append(perm.PrefixListIds, ec2types.PrefixListId{PrefixListId: aws.String(l.PrefixListID)})
		}
		if len(perm.IpRanges)+len(perm.Ipv6Ranges)+len(perm.PrefixListIds) == 0 {
			errs = append(errs, errors.New("a rule of IpPermissions names no CIDR and no prefix list"))
		}
		in.IpPermissions = append(in.IpPermissions, perm)
	}
	return in, errors.Join(errs...)
}

// createFunctionInput zips the embedded source the params name (Code.Embedded).
func createFunctionInput(p plan.CreateFunction) (*lambda.CreateFunctionInput, error) {
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(p.FunctionName), Runtime: lambdatypes.Runtime(p.Runtime), Role: aws.String(p.Role),
		Handler: aws.String(p.Handler), Timeout: aws.Int32(p.Timeout), MemorySize: aws.Int32(p.MemorySize),
		Description: optional(p.Description), Tags: p.Tags,
	}
	zip, err := lambdaZip(p.Code.Embedded)
	in.Code = &lambdatypes.FunctionCode{ZipFile: zip}
	return in, errors.Join(need("FunctionName", p.FunctionName), need("Role", p.Role), err)
}

func addPermissionInput(p plan.AddPermission) (*lambda.AddPermissionInput, error) {
	return &lambda.AddPermissionInput{
		FunctionName: aws.String(p.FunctionName), StatementId: aws.String(p.StatementID), Action: aws.String(p.Action),
		Principal: aws.String(p.Principal), SourceArn: optional(p.SourceARN),
	}, errors.Join(need("FunctionName", p.FunctionName), need("StatementId", p.StatementID))
}

func putRuleInput(p plan.PutRule) (*eventbridge.PutRuleInput, error) {
	return &eventbridge.PutRuleInput{
		Name: aws.String(p.Name), EventPattern: aws.String(p.EventPattern), State: ebtypes.RuleState(p.State),
		Description: optional(p.Description),
		Tags:        tagList(p.Tags, func(k, v *string) ebtypes.Tag { return ebtypes.Tag{Key: k, Value: v} }),
	}, need("Name", p.Name)
}

func putTargetsInput(p plan.PutTargets) (*eventbridge.PutTargetsInput, error) {
	in := &eventbridge.PutTargetsInput{Rule: aws.String(p.Rule)}
	for _, t := range p.Targets {
		in.Targets = append(in.Targets, ebtypes.Target{Id: aws.String(t.ID), Arn: aws.String(t.ARN)})
	}
	var empty error
	if len(in.Targets) == 0 {
		empty = errors.New("Targets is empty")
	}
	return in, errors.Join(need("Rule", p.Rule), empty)
}

func createTopicInput(p plan.CreateTopic) (*sns.CreateTopicInput, error) {
	return &sns.CreateTopicInput{Name: aws.String(p.Name),
		Tags: tagList(p.Tags, func(k, v *string) snstypes.Tag { return snstypes.Tag{Key: k, Value: v} })}, need("Name", p.Name)
}

func subscribeInput(p plan.Subscribe) (*sns.SubscribeInput, error) {
	return &sns.SubscribeInput{TopicArn: aws.String(p.TopicARN), Protocol: aws.String(p.Protocol), Endpoint: aws.String(p.Endpoint)},
		errors.Join(need("TopicArn", p.TopicARN), need("Protocol", p.Protocol), need("Endpoint", p.Endpoint))
}

func putMetricAlarmInput(p plan.PutMetricAlarm) (*cloudwatch.PutMetricAlarmInput, error) {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(p.AlarmName), AlarmDescription: optional(p.AlarmDescription),
		MetricName: aws.String(p.MetricName), Namespace: aws.String(p.Namespace), Statistic: cwtypes.Statistic(p.Statistic),
		Period: aws.Int32(p.Period), EvaluationPeriods: aws.Int32(p.EvaluationPeriods), DatapointsToAlarm: aws.Int32(p.DatapointsToAlarm),
		Threshold: aws.Float64(p.Threshold), ComparisonOperator: cwtypes.ComparisonOperator(p.ComparisonOperator),
		TreatMissingData: aws.String(p.TreatMissingData), ActionsEnabled: aws.Bool(p.ActionsEnabled), AlarmActions: p.AlarmActions,
		Tags: tagList(p.Tags, func(k, v *string) cwtypes.Tag { return cwtypes.Tag{Key: k, Value: v} }),
	}, need("AlarmName", p.AlarmName)
}

// createAssociationInput: lookout's associations are found again by their AssociationName
// (probeAssociation), so it must have one.
func createAssociationInput(p plan.CreateAssociation) (*ssm.CreateAssociationInput, error) {
	in := &ssm.CreateAssociationInput{
		Name: aws.String(p.Name), AssociationName: aws.String(p.AssociationName), Parameters: p.Parameters,
		Tags: tagList(p.Tags, func(k, v *string) ssmtypes.Tag { return ssmtypes.Tag{Key: k, Value: v} }),
	}
	for _, t := range p.Targets {
		in.Targets = append(in.Targets, ssmtypes.Target{Key: aws.String(t.Key), Values: t.Values})
	}
	return in, errors.Join(need("Name", p.Name), need("AssociationName", p.AssociationName))
}

// need is an error when a field the call needs is empty.
func need(field, value string) error {
	if value == "" {
		return errors.New(field + " is empty")
	}
	return nil
}

// optional is an optional string parameter: nil (not sent) when empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// tagList converts {Key, Value} tags into a service's own tag type (nil, not sent, for none).
func tagList[T any](tags []plan.Tag, tag func(key, value *string) T) []T {
	var out []T
	for _, t := range tags {
		out = append(out, tag(aws.String(t.Key), aws.String(t.Value)))
	}
	return out
}

func iamTag(k, v *string) iamtypes.Tag { return iamtypes.Tag{Key: k, Value: v} }

// s3Tags are the bucket's tags, set by PutBucketTagging after CreateBucket.
func s3Tags(tags []plan.Tag) []s3types.Tag {
	return tagList(tags, func(k, v *string) s3types.Tag { return s3types.Tag{Key: k, Value: v} })
}
