package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Params is the typed input of one API call a plan makes: one Go type per operation lookout
// plans, shared by the planners (package checks builds them, its projectors read them back) and
// the executor (internal/fixexec builds the SDK input from them, and its probes read the names
// to look for). A parameter the operation does not have cannot be written, and a value of the
// wrong type does not compile.
//
// The types are plain data, like the rest of a plan: their JSON field names are the SDK's (the
// API's own spelling, mixed case included: CloudWatch Logs says logGroupName, IAM RoleName), so
// that `lookout fix --format json` reads like the API reference. Some operations are lookout's
// own merges rather than the bare API call, and say so (PutParameter.AddLogFiles,
// SetTopicAttributes.AddStatement, CreateFunction.Code.Embedded).
//
// The one method names the call, so that an action's service and operation are its params'
// and cannot disagree with them.
type Params interface {
	// Operation returns the IAM service prefix and the API operation, e.g. "logs",
	// "PutMetricFilter". It reads no field: the zero value answers too.
	Operation() (service, operation string)
}

// iamAction is "service:Operation" of a Params type.
func iamAction(p Params) string {
	service, op := p.Operation()
	return service + ":" + op
}

// decoders decode the params of each operation lookout plans, by IAM action: how a plan read
// back from JSON gets its typed params. Every Params type is listed here.
var decoders = decoderMap(
	decoder[StartLogging], decoder[CreateTrail],
	decoder[CreateBucket], decoder[PutBucketPolicy],
	decoder[CreateLogGroup], decoder[PutMetricFilter],
	decoder[CreateRole], decoder[PutRolePolicy], decoder[AttachRolePolicy],
	decoder[CreateInstanceProfile], decoder[AddRoleToInstanceProfile],
	decoder[AssociateIamInstanceProfile], decoder[RevokeSecurityGroupIngress],
	decoder[CreateFunction], decoder[AddPermission],
	decoder[PutRule], decoder[PutTargets],
	decoder[CreateTopic], decoder[Subscribe], decoder[SetTopicAttributes],
	decoder[PutMetricAlarm],
	decoder[PutParameter], decoder[CreateAssociation],
)

type decodeFunc func(json.RawMessage) (Params, error)

// decoder decodes params of type P strictly: a field P does not have is an error, and so is
// a field spelt in another case (encoding/json would match it case-insensitively).
func decoder[P Params](raw json.RawMessage) (Params, error) {
	var p P
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	if err == nil {
		err = sameCase(raw, p)
	}
	if err != nil {
		return nil, fmt.Errorf("params of %s: %w", iamAction(p), err)
	}
	return p, nil
}

// sameCase compares the keys of raw with those of p written back: a key p writes in another
// case is an error.
func sameCase(raw json.RawMessage, p Params) error {
	var in, out any
	b, err := json.Marshal(p)
	if err == nil {
		err = json.Unmarshal(raw, &in)
	}
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		return err
	}
	return sameKeys(in, out)
}

func sameKeys(in, out any) error {
	switch x := in.(type) {
	case map[string]any:
		y, _ := out.(map[string]any)
		for k, v := range x {
			if w, ok := y[k]; ok {
				if err := sameKeys(v, w); err != nil {
					return err
				}
				continue
			}
			for name := range y {
				if strings.EqualFold(name, k) {
					return fmt.Errorf("field %q is spelt %q", name, k)
				}
			}
		}
	case []any:
		y, _ := out.([]any)
		for i := range min(len(x), len(y)) {
			if err := sameKeys(x[i], y[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func decoderMap(fns ...decodeFunc) map[string]decodeFunc {
	m := make(map[string]decodeFunc, len(fns))
	for _, fn := range fns {
		p, _ := fn(json.RawMessage("{}")) // every type decodes {}: its zero value names its call
		m[iamAction(p)] = fn
	}
	return m
}

// Operations lists the IAM actions ("service:Operation") that have a Params type.
func Operations() []string { return sortedKeys(decoders) }

// decodeParams decodes the params of a plan read back from JSON.
func decodeParams(service, operation string, raw json.RawMessage) (Params, error) {
	fn, ok := decoders[service+":"+operation]
	if !ok {
		return nil, fmt.Errorf("lookout plans no %s:%s", service, operation)
	}
	return fn(raw)
}

// ---- shared shapes ----

// Tag is a {Key, Value} tag, the form most services take tags in (CloudWatch Logs and Lambda
// take a map).
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// ---- CloudTrail ----

// StartLogging starts a trail, named by name or ARN.
type StartLogging struct {
	Name string `json:"Name"`
}

// CreateTrail creates a trail.
type CreateTrail struct {
	Name                       string `json:"Name"`
	S3BucketName               string `json:"S3BucketName"`
	IsMultiRegionTrail         bool   `json:"IsMultiRegionTrail"`
	IncludeGlobalServiceEvents bool   `json:"IncludeGlobalServiceEvents"`
	EnableLogFileValidation    bool   `json:"EnableLogFileValidation"`
	CloudWatchLogsLogGroupARN  string `json:"CloudWatchLogsLogGroupArn,omitempty"`
	CloudWatchLogsRoleARN      string `json:"CloudWatchLogsRoleArn,omitempty"`
	TagsList                   []Tag  `json:"TagsList"`
}

// ---- S3 ----

// CreateBucket creates a bucket; the executor tags it with Tags right after (CreateBucket
// takes no tags for general purpose buckets).
type CreateBucket struct {
	Bucket string `json:"Bucket"`
	// CreateBucketConfiguration is nil in us-east-1, which takes no location constraint.
	CreateBucketConfiguration *BucketConfiguration `json:"CreateBucketConfiguration,omitempty"`
	Tags                      []Tag                `json:"Tags"`
}

// BucketConfiguration is CreateBucket's CreateBucketConfiguration.
type BucketConfiguration struct {
	LocationConstraint string `json:"LocationConstraint"`
}

// PutBucketPolicy sets the policy of a bucket lookout creates.
type PutBucketPolicy struct {
	Bucket string `json:"Bucket"`
	Policy string `json:"Policy"`
}

// ---- CloudWatch Logs ----

// CreateLogGroup creates a log group.
type CreateLogGroup struct {
	LogGroupName string            `json:"logGroupName"`
	Tags         map[string]string `json:"tags"`
}

// PutMetricFilter adds a metric filter to a log group.
type PutMetricFilter struct {
	LogGroupName          string                 `json:"logGroupName"`
	FilterName            string                 `json:"filterName"`
	FilterPattern         string                 `json:"filterPattern"`
	MetricTransformations []MetricTransformation `json:"metricTransformations"`
}

// MetricTransformation is where a metric filter publishes.
type MetricTransformation struct {
	MetricName      string `json:"metricName"`
	MetricNamespace string `json:"metricNamespace"`
	MetricValue     string `json:"metricValue"`
}

// ---- IAM ----

// CreateRole creates a role.
type CreateRole struct {
	RoleName                 string `json:"RoleName"`
	AssumeRolePolicyDocument string `json:"AssumeRolePolicyDocument"`
	Description              string `json:"Description,omitempty"`
	Tags                     []Tag  `json:"Tags"`
}

// PutRolePolicy puts an inline policy in a role lookout creates.
type PutRolePolicy struct {
	RoleName       string `json:"RoleName"`
	PolicyName     string `json:"PolicyName"`
	PolicyDocument string `json:"PolicyDocument"`
}

// AttachRolePolicy attaches a managed policy to a role lookout creates.
type AttachRolePolicy struct {
	RoleName  string `json:"RoleName"`
	PolicyARN string `json:"PolicyArn"`
}

// CreateInstanceProfile creates an instance profile.
type CreateInstanceProfile struct {
	InstanceProfileName string `json:"InstanceProfileName"`
	Tags                []Tag  `json:"Tags"`
}

// AddRoleToInstanceProfile puts a role in an instance profile (the executor only fills an
// empty one).
type AddRoleToInstanceProfile struct {
	InstanceProfileName string `json:"InstanceProfileName"`
	RoleName            string `json:"RoleName"`
}

// ---- EC2 ----

// AssociateIamInstanceProfile gives an instance that has none an instance profile, by name.
type AssociateIamInstanceProfile struct {
	InstanceID         string             `json:"InstanceId"`
	IamInstanceProfile InstanceProfileRef `json:"IamInstanceProfile"`
}

// InstanceProfileRef names an instance profile (the SDK's IamInstanceProfileSpecification).
type InstanceProfileRef struct {
	Name string `json:"Name"`
}

// RevokeSecurityGroupIngress revokes exactly the listed rules of a group (only with
// --allow-revoke).
type RevokeSecurityGroupIngress struct {
	GroupID       string         `json:"GroupId"`
	IPPermissions []IPPermission `json:"IpPermissions"`
}

// IPPermission is one ingress rule: protocol, ports (absent for all) and CIDRs.
type IPPermission struct {
	IPProtocol string      `json:"IpProtocol"`
	FromPort   *int32      `json:"FromPort,omitempty"`
	ToPort     *int32      `json:"ToPort,omitempty"`
	IPRanges   []IPRange   `json:"IpRanges,omitempty"`
	IPv6Ranges []IPv6Range `json:"Ipv6Ranges,omitempty"`
	// PrefixListIDs are managed prefix lists the rule names.
	PrefixListIDs []PrefixListID `json:"PrefixListIds,omitempty"`
}

// PrefixListID is a managed prefix list a rule names.
type PrefixListID struct {
	PrefixListID string `json:"PrefixListId"`
}

// IPRange is an IPv4 CIDR of a rule.
type IPRange struct {
	CidrIP string `json:"CidrIp"`
}

// IPv6Range is an IPv6 CIDR of a rule.
type IPv6Range struct {
	CidrIPv6 string `json:"CidrIpv6"`
}

// ---- Lambda ----

// CreateFunction creates a function from one of lookout's embedded sources: the plan names
// the source (Code.Embedded) rather than carrying its bytes.
type CreateFunction struct {
	FunctionName string            `json:"FunctionName"`
	Runtime      string            `json:"Runtime"`
	Role         string            `json:"Role"`
	Handler      string            `json:"Handler"`
	Timeout      int32             `json:"Timeout"`
	MemorySize   int32             `json:"MemorySize"`
	Code         EmbeddedCode      `json:"Code"`
	Description  string            `json:"Description,omitempty"`
	Tags         map[string]string `json:"Tags"`
}

// EmbeddedCode names a Lambda source file embedded in lookout; the executor zips it.
type EmbeddedCode struct {
	Embedded string `json:"Embedded"`
}

// AddPermission adds a statement to a function's resource policy.
type AddPermission struct {
	FunctionName string `json:"FunctionName"`
	StatementID  string `json:"StatementId"`
	Action       string `json:"Action"`
	Principal    string `json:"Principal"`
	SourceARN    string `json:"SourceArn"`
}

// ---- EventBridge ----

// PutRule creates a rule on the default event bus.
type PutRule struct {
	Name         string `json:"Name"`
	EventPattern string `json:"EventPattern"`
	State        string `json:"State"`
	Description  string `json:"Description,omitempty"`
	Tags         []Tag  `json:"Tags"`
}

// PutTargets adds targets to a rule on the default event bus.
type PutTargets struct {
	Rule    string        `json:"Rule"`
	Targets []EventTarget `json:"Targets"`
}

// EventTarget is one target of a rule.
type EventTarget struct {
	ID  string `json:"Id"`
	ARN string `json:"Arn"`
}

// ---- SNS ----

// CreateTopic creates a topic.
type CreateTopic struct {
	Name string `json:"Name"`
	Tags []Tag  `json:"Tags"`
}

// Subscribe subscribes an endpoint to a topic.
type Subscribe struct {
	TopicARN string `json:"TopicArn"`
	Protocol string `json:"Protocol"`
	Endpoint string `json:"Endpoint"`
}

// SetTopicAttributes is lookout's merge into a topic's access policy: AttributeName is
// "Policy" and AddStatement is added to the policy read at apply time, by Sid, keeping every
// statement already there (the API itself would replace the policy).
type SetTopicAttributes struct {
	TopicARN      string    `json:"TopicArn"`
	AttributeName string    `json:"AttributeName"`
	AddStatement  Statement `json:"AddStatement"`
}

// Statement is one policy statement.
type Statement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal *ServicePrincipal            `json:"Principal,omitempty"`
	Action    string                       `json:"Action,omitempty"`
	Resource  string                       `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// ServicePrincipal is a statement's principal when it is an AWS service.
type ServicePrincipal struct {
	Service string `json:"Service"`
}

// ---- CloudWatch ----

// PutMetricAlarm creates a metric alarm.
type PutMetricAlarm struct {
	AlarmName          string   `json:"AlarmName"`
	AlarmDescription   string   `json:"AlarmDescription,omitempty"`
	MetricName         string   `json:"MetricName"`
	Namespace          string   `json:"Namespace"`
	Statistic          string   `json:"Statistic"`
	Period             int32    `json:"Period"`
	EvaluationPeriods  int32    `json:"EvaluationPeriods"`
	DatapointsToAlarm  int32    `json:"DatapointsToAlarm"`
	Threshold          float64  `json:"Threshold"`
	ComparisonOperator string   `json:"ComparisonOperator"`
	TreatMissingData   string   `json:"TreatMissingData"`
	ActionsEnabled     bool     `json:"ActionsEnabled"`
	AlarmActions       []string `json:"AlarmActions"`
	Tags               []Tag    `json:"Tags"`
}

// ---- Systems Manager ----

// PutParameter is lookout's merge into a CloudWatch Agent configuration in Parameter Store:
// AddLogFiles and AddJournal are appended to the configuration read at apply time (the files
// it does not collect yet, the journald entries it does not hold yet), every other entry
// kept; an absent parameter is created with just those.
type PutParameter struct {
	Name        string              `json:"Name"`
	AddLogFiles []AgentLogFile      `json:"AddLogFiles,omitempty"`
	AddJournal  []AgentJournalEntry `json:"AddJournal,omitempty"`
}

// AgentJournalEntry is one CloudWatch Agent logs.logs_collected.journald.collect_list entry
// (agent 1.300070.0 and later).
type AgentJournalEntry struct {
	LogGroupName  string   `json:"log_group_name"`
	LogStreamName string   `json:"log_stream_name,omitempty"`
	Units         []string `json:"units"`
}

// AgentLogFile is one CloudWatch Agent logs.logs_collected.files.collect_list entry.
type AgentLogFile struct {
	FilePath      string `json:"file_path"`
	LogGroupName  string `json:"log_group_name"`
	LogStreamName string `json:"log_stream_name,omitempty"`
}

// CreateAssociation creates a State Manager association.
type CreateAssociation struct {
	Name            string              `json:"Name"`
	AssociationName string              `json:"AssociationName"`
	Targets         []AssociationTarget `json:"Targets"`
	Parameters      map[string][]string `json:"Parameters"`
	Tags            []Tag               `json:"Tags"`
}

// AssociationTarget selects the instances of an association.
type AssociationTarget struct {
	Key    string   `json:"Key"`
	Values []string `json:"Values"`
}

// ---- the calls ----

func (StartLogging) Operation() (string, string)          { return "cloudtrail", "StartLogging" }
func (CreateTrail) Operation() (string, string)           { return "cloudtrail", "CreateTrail" }
func (CreateBucket) Operation() (string, string)          { return "s3", "CreateBucket" }
func (PutBucketPolicy) Operation() (string, string)       { return "s3", "PutBucketPolicy" }
func (CreateLogGroup) Operation() (string, string)        { return "logs", "CreateLogGroup" }
func (PutMetricFilter) Operation() (string, string)       { return "logs", "PutMetricFilter" }
func (CreateRole) Operation() (string, string)            { return "iam", "CreateRole" }
func (PutRolePolicy) Operation() (string, string)         { return "iam", "PutRolePolicy" }
func (AttachRolePolicy) Operation() (string, string)      { return "iam", "AttachRolePolicy" }
func (CreateInstanceProfile) Operation() (string, string) { return "iam", "CreateInstanceProfile" }
func (AddRoleToInstanceProfile) Operation() (string, string) {
	return "iam", "AddRoleToInstanceProfile"
}
func (AssociateIamInstanceProfile) Operation() (string, string) {
	return "ec2", "AssociateIamInstanceProfile"
}
func (RevokeSecurityGroupIngress) Operation() (string, string) {
	return "ec2", "RevokeSecurityGroupIngress"
}
func (CreateFunction) Operation() (string, string)     { return "lambda", "CreateFunction" }
func (AddPermission) Operation() (string, string)      { return "lambda", "AddPermission" }
func (PutRule) Operation() (string, string)            { return "events", "PutRule" }
func (PutTargets) Operation() (string, string)         { return "events", "PutTargets" }
func (CreateTopic) Operation() (string, string)        { return "sns", "CreateTopic" }
func (Subscribe) Operation() (string, string)          { return "sns", "Subscribe" }
func (SetTopicAttributes) Operation() (string, string) { return "sns", "SetTopicAttributes" }
func (PutMetricAlarm) Operation() (string, string)     { return "cloudwatch", "PutMetricAlarm" }
func (PutParameter) Operation() (string, string)       { return "ssm", "PutParameter" }
func (CreateAssociation) Operation() (string, string)  { return "ssm", "CreateAssociation" }
