// Package snapshot is lookout's model of what was read from AWS: a plain, versioned,
// JSON-serialisable document, one entry per account and region.
//
// The collector (internal/collect) is the only code that fills it from AWS; the checks only read
// it. That split is what makes `scan --snapshot`, dry-run fixes and fast tests possible. Anything
// a collector could not read is recorded as a *ReadError next to where the data would have been,
// so a check can say ERROR instead of mistaking "could not look" for "not there".
//
// A snapshot never holds secret values: no Lambda environment values, no SecureString
// parameter values, no subscription endpoints, no credentials.
package snapshot

import "time"

// SchemaVersion is the version of the document written by this build. Readers refuse any other
// version rather than guess at fields they do not know.
const SchemaVersion = 1

// Snapshot is everything the checks read, for every account and region scanned.
type Snapshot struct {
	SchemaVersion int       `json:"schema_version"`
	Tool          Tool      `json:"tool"`
	CollectedAt   time.Time `json:"collected_at"`
	// Regions are the regions that were asked for (after resolving "all").
	Regions  []string  `json:"regions"`
	Accounts []Account `json:"accounts"`
	// Shard is "K/N" when only shard K of N of the accounts in scope was read (--shard).
	Shard string `json:"shard,omitempty"`
}

// Tool names the program that wrote the snapshot.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ReadError records that something could not be read. Operation is "service:Action" so that
// a reader knows which IAM permission or API failed.
type ReadError struct {
	Operation string `json:"operation"`
	Code      string `json:"code,omitempty"`
	Message   string `json:"message"`
}

func (e *ReadError) Error() string {
	if e.Code != "" {
		return e.Operation + ": " + e.Code + ": " + e.Message
	}
	return e.Operation + ": " + e.Message
}

// Account is one AWS account. Error is set when the account could not be entered at all
// (for example a role that cannot be assumed); then Regions may be empty.
type Account struct {
	ID        string     `json:"id"`
	Partition string     `json:"partition,omitempty"`
	Error     *ReadError `json:"error,omitempty"`
	// Trails are the CloudTrail trails seen from any region of the account, one entry per trail
	// ARN, with status and selectors read in the trail's home region.
	Trails  []Trail  `json:"trails,omitempty"`
	Regions []Region `json:"regions"`
	// Roles are the IAM roles that EventBridge targets of this account act with, read
	// (iam:GetRole and the role's policies): the targets' RoleArn, for its trust policy (a
	// target whose role does not trust events.amazonaws.com is never invoked) and what it
	// may call; the AutomationAssumeRole an SSM Automation target passes; and the execution
	// role of each Lambda function a rule invokes, which is what the function's code acts with.
	Roles []Role `json:"roles,omitempty"`
	// InstanceProfiles are the IAM instance profiles of the running EC2 instances that SSM does
	// not list as Online, read once each (iam:GetInstanceProfile), with the managed policies
	// attached to their roles (iam:ListAttachedRolePolicies, once per role): what tells why an
	// instance is not managed. Nil when none was read (no such instance, or an older snapshot).
	InstanceProfiles []InstanceProfile `json:"instance_profiles,omitempty"`
}

// InstanceProfile is one IAM instance profile an instance uses. NotFound is set when
// GetInstanceProfile answered NoSuchEntity; Error when it could not be read.
type InstanceProfile struct {
	ARN      string         `json:"arn"`
	Name     string         `json:"name"`
	Roles    []InstanceRole `json:"roles,omitempty"`
	NotFound bool           `json:"not_found,omitempty"`
	Error    *ReadError     `json:"error,omitempty"`
}

// InstanceRole is the role of an instance profile with the managed policies attached to it
// (names and ARNs; inline policies are not read). PoliciesError is set when the attached
// policies could not be listed; otherwise AttachedPolicies is complete, empty meaning none.
type InstanceRole struct {
	Name             string           `json:"name"`
	ARN              string           `json:"arn,omitempty"`
	AttachedPolicies []AttachedPolicy `json:"attached_policies"`
	PoliciesError    *ReadError       `json:"policies_error,omitempty"`
}

// AttachedPolicy is one managed policy attached to a role.
type AttachedPolicy struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

// Role is one IAM role named by a rule target. NotFound is set when GetRole answered
// NoSuchEntity; Error when it could not be read.
type Role struct {
	ARN         string     `json:"arn"`
	Name        string     `json:"name"`
	TrustPolicy string     `json:"trust_policy,omitempty"`
	NotFound    bool       `json:"not_found,omitempty"`
	Error       *ReadError `json:"error,omitempty"`
	// Policies are the role's permission policies (inline, and the default version of each
	// attached managed policy), read so that what EventBridge may do through the role is
	// judged, not assumed. PoliciesRead is set once every one was read; PoliciesError when one
	// could not be. PermissionsBoundary is the boundary policy's ARN, if any.
	Policies            []RolePolicy `json:"policies,omitempty"`
	PoliciesRead        bool         `json:"policies_read,omitempty"`
	PoliciesError       *ReadError   `json:"policies_error,omitempty"`
	PermissionsBoundary string       `json:"permissions_boundary,omitempty"`
}

// RolePolicy is one permission policy of a role.
type RolePolicy struct {
	Name     string `json:"name"`
	ARN      string `json:"arn,omitempty"` // managed policies only
	Document string `json:"document"`
}

// Region holds what was read in one region of one account. A nil service section means the
// collector did not read that service (the check that needs it reports ERROR); a section with
// Error set means reading was attempted and failed.
type Region struct {
	Name        string           `json:"name"`
	CloudTrail  *CloudTrailView  `json:"cloudtrail,omitempty"`
	EventBridge *EventBridgeData `json:"eventbridge,omitempty"`
	Logs        *LogsData        `json:"logs,omitempty"`
	CloudWatch  *CloudWatchData  `json:"cloudwatch,omitempty"`
	SNS         *SNSData         `json:"sns,omitempty"`
	Lambda      *LambdaData      `json:"lambda,omitempty"`
	EC2         *EC2Data         `json:"ec2,omitempty"`
	SSM         *SSMData         `json:"ssm,omitempty"`
	// KMS holds the keys that encrypt this region's topics and subscriber queues, and SQS the
	// queues subscribed to this region's topics: both read only for what delivery needs.
	KMS *KMSData `json:"kms,omitempty"`
	SQS *SQSData `json:"sqs,omitempty"`
	// Runbooks are the SSM Automation documents that this region's rule targets start
	// (ssm:GetDocument), read so that what a remediation runbook really calls is judged.
	Runbooks *RunbookData `json:"runbooks,omitempty"`
	// Activity is what CloudWatch metrics recorded of the deliveries of this region's rules,
	// the functions they invoke and its topics (cloudwatch:GetMetricData): AWS's own word on
	// whether the last delivery worked.
	Activity *ActivityData `json:"activity,omitempty"`
}

// ---- CloudTrail ----

// CloudTrailView is what DescribeTrails (with shadow trails) returned in a region: the ARNs of
// the trails that apply to it. Details live once per trail in Account.Trails.
type CloudTrailView struct {
	Error     *ReadError `json:"error,omitempty"`
	TrailARNs []string   `json:"trail_arns"`
}

// Trail is one CloudTrail trail.
type Trail struct {
	Name                      string `json:"name"`
	ARN                       string `json:"arn"`
	HomeRegion                string `json:"home_region"`
	IsMultiRegion             bool   `json:"is_multi_region"`
	IsOrganizationTrail       bool   `json:"is_organization_trail,omitempty"`
	S3BucketName              string `json:"s3_bucket_name,omitempty"`
	LogFileValidationEnabled  bool   `json:"log_file_validation_enabled,omitempty"`
	CloudWatchLogsLogGroupARN string `json:"cloudwatch_logs_log_group_arn,omitempty"`
	CloudWatchLogsRoleARN     string `json:"cloudwatch_logs_role_arn,omitempty"`
	KMSKeyID                  string `json:"kms_key_id,omitempty"`
	// IncludeGlobalServiceEvents: without them a trail records no IAM, STS or console
	// sign-in event. Nil when not read (older snapshots): checks that need it say ERROR.
	IncludeGlobalServiceEvents *bool `json:"include_global_service_events,omitempty"`

	Status         *TrailStatus    `json:"status,omitempty"`
	StatusError    *ReadError      `json:"status_error,omitempty"`
	Selectors      *EventSelectors `json:"selectors,omitempty"`
	SelectorsError *ReadError      `json:"selectors_error,omitempty"`
}

// TrailStatus is GetTrailStatus.
type TrailStatus struct {
	IsLogging                         bool       `json:"is_logging"`
	LatestDeliveryError               string     `json:"latest_delivery_error,omitempty"`
	LatestDeliveryTime                *time.Time `json:"latest_delivery_time,omitempty"`
	LatestCloudWatchLogsDeliveryError string     `json:"latest_cloudwatch_logs_delivery_error,omitempty"`
	LatestCloudWatchLogsDeliveryTime  *time.Time `json:"latest_cloudwatch_logs_delivery_time,omitempty"`
	StartLoggingTime                  *time.Time `json:"start_logging_time,omitempty"`
	StopLoggingTime                   *time.Time `json:"stop_logging_time,omitempty"`
}

// EventSelectors is GetEventSelectors: a trail uses either classic or advanced selectors.
// When AWS returns neither, the trail logs the default (all management events, read and write)
// and Default is true.
type EventSelectors struct {
	Default  bool               `json:"default,omitempty"`
	Classic  []ClassicSelector  `json:"classic,omitempty"`
	Advanced []AdvancedSelector `json:"advanced,omitempty"`
}

// ClassicSelector is one EventSelector.
type ClassicSelector struct {
	ReadWriteType                 string   `json:"read_write_type"` // ReadOnly | WriteOnly | All
	IncludeManagementEvents       bool     `json:"include_management_events"`
	ExcludeManagementEventSources []string `json:"exclude_management_event_sources,omitempty"`
	DataResourceTypes             []string `json:"data_resource_types,omitempty"`
}

// AdvancedSelector is one AdvancedEventSelector; its field selectors are ANDed.
type AdvancedSelector struct {
	Name           string          `json:"name,omitempty"`
	FieldSelectors []FieldSelector `json:"field_selectors"`
}

// FieldSelector is one AdvancedFieldSelector; within one operator the values are ORed.
type FieldSelector struct {
	Field         string   `json:"field"`
	Equals        []string `json:"equals,omitempty"`
	StartsWith    []string `json:"starts_with,omitempty"`
	EndsWith      []string `json:"ends_with,omitempty"`
	NotEquals     []string `json:"not_equals,omitempty"`
	NotStartsWith []string `json:"not_starts_with,omitempty"`
	NotEndsWith   []string `json:"not_ends_with,omitempty"`
}

// ---- EventBridge ----

// EventBridgeData holds the rules of the default event bus, and its resource policy (which
// says which other accounts may send events to it).
type EventBridgeData struct {
	Error *ReadError `json:"error,omitempty"`
	Rules []Rule     `json:"rules"`
	// BusPolicy is the default bus's resource policy (DescribeEventBus), "" when it has none.
	BusPolicy      string     `json:"bus_policy,omitempty"`
	BusPolicyError *ReadError `json:"bus_policy_error,omitempty"`
	// BusPolicyRead is set once DescribeEventBus answered, so that "" means "no policy".
	BusPolicyRead bool `json:"bus_policy_read,omitempty"`
}

// Rule is one EventBridge rule with its targets.
type Rule struct {
	Name               string     `json:"name"`
	ARN                string     `json:"arn"`
	EventBusName       string     `json:"event_bus_name,omitempty"`
	State              string     `json:"state"` // ENABLED | DISABLED | ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
	EventPattern       string     `json:"event_pattern,omitempty"`
	ScheduleExpression string     `json:"schedule_expression,omitempty"`
	ManagedBy          string     `json:"managed_by,omitempty"`
	Targets            []Target   `json:"targets"`
	TargetsError       *ReadError `json:"targets_error,omitempty"`
}

// Target is one rule target. Input values are not kept (they may carry secrets).
// DeadLetterARN is kept only to say that a dead-letter queue is not delivery.
type Target struct {
	ID            string `json:"id"`
	ARN           string `json:"arn"`
	RoleARN       string `json:"role_arn,omitempty"`
	DeadLetterARN string `json:"dead_letter_arn,omitempty"`
	// InputRewritten is set when the target sends something other than the matched event
	// (Input, InputPath or InputTransformer); what it sends is not kept (it may hold secrets).
	InputRewritten bool `json:"input_rewritten,omitempty"`
	// AutomationAssumeRole is the AutomationAssumeRole parameter an SSM Automation target
	// passes in its constant Input (an IAM role ARN, never a secret): the role the runbook
	// then acts with. Nothing else of the Input is kept.
	AutomationAssumeRole string `json:"automation_assume_role,omitempty"`
}

// ---- CloudWatch Logs ----

// LogsData holds log groups, the metric filters on them, and (for SSH log groups) streams.
type LogsData struct {
	Error              *ReadError     `json:"error,omitempty"`
	LogGroups          []LogGroup     `json:"log_groups"`
	MetricFilters      []MetricFilter `json:"metric_filters"`
	MetricFiltersError *ReadError     `json:"metric_filters_error,omitempty"`
}

// LogGroup is one log group. Streams are collected only for groups the SSH check needs.
type LogGroup struct {
	Name          string      `json:"name"`
	ARN           string      `json:"arn,omitempty"`
	RetentionDays int32       `json:"retention_days,omitempty"`
	Streams       []LogStream `json:"streams,omitempty"`
	StreamsError  *ReadError  `json:"streams_error,omitempty"`
	// StreamsWanted are the stream names the collector looked for (the SSH streams agent
	// configurations send here, placeholders resolved); Streams holds those it found. A name
	// wanted but not found does not exist, whereas a name never wanted was not looked for.
	StreamsWanted []string `json:"streams_wanted,omitempty"`
}

// LogStream is one log stream's freshness.
type LogStream struct {
	Name               string     `json:"name"`
	LastIngestionTime  *time.Time `json:"last_ingestion_time,omitempty"`
	LastEventTimestamp *time.Time `json:"last_event_timestamp,omitempty"`
}

// MetricFilter is one metric filter.
type MetricFilter struct {
	Name            string                 `json:"name"`
	LogGroupName    string                 `json:"log_group_name"`
	Pattern         string                 `json:"pattern"`
	Transformations []MetricTransformation `json:"transformations"`
}

// MetricTransformation says which metric a matching event increments and by how much.
type MetricTransformation struct {
	MetricName      string            `json:"metric_name"`
	MetricNamespace string            `json:"metric_namespace"`
	MetricValue     string            `json:"metric_value"`
	DefaultValue    *float64          `json:"default_value,omitempty"`
	Dimensions      map[string]string `json:"dimensions,omitempty"`
	Unit            string            `json:"unit,omitempty"`
}

// ---- CloudWatch alarms ----

// CloudWatchData holds the metric alarms of a region and what CloudWatch recorded of their
// actions.
type CloudWatchData struct {
	Error  *ReadError `json:"error,omitempty"`
	Alarms []Alarm    `json:"alarms"`
	// CompositeAlarms are the region's composite alarms: a metric alarm with no action of
	// its own still notifies through a composite whose rule it raises.
	CompositeAlarms []CompositeAlarm `json:"composite_alarms,omitempty"`
	// LastActions holds, per alarm and action, the latest Action item of DescribeAlarmHistory
	// (HistoryItemType Action) within the history window: whether CloudWatch could execute
	// the alarm's action the last time it fired. HistoryError is set when it could not be read.
	LastActions  []AlarmActionRecord `json:"last_actions,omitempty"`
	HistoryError *ReadError          `json:"history_error,omitempty"`
}

// AlarmActionRecord is one Action history item: Summary is AWS's own text, e.g. "Failed to
// execute action arn:aws:sns:...: Received error: ...".
type AlarmActionRecord struct {
	AlarmName string `json:"alarm_name"`
	// Action is the action (an SNS topic ARN) the item is about, from AWS's summary; "" when
	// the summary names none.
	Action    string    `json:"action,omitempty"`
	Timestamp time.Time `json:"timestamp"`
	Summary   string    `json:"summary"`
	// Failed is set when the item reports a failed action (actionState Failed, or a summary
	// starting "Failed to execute action").
	Failed bool `json:"failed,omitempty"`
}

// Alarm is one metric alarm. Alarms on metric math set UsesMetricMath and leave
// MetricName empty.
type Alarm struct {
	Name               string            `json:"name"`
	ARN                string            `json:"arn,omitempty"`
	MetricName         string            `json:"metric_name,omitempty"`
	Namespace          string            `json:"namespace,omitempty"`
	Dimensions         map[string]string `json:"dimensions,omitempty"`
	Statistic          string            `json:"statistic,omitempty"`
	ExtendedStatistic  string            `json:"extended_statistic,omitempty"`
	Period             int32             `json:"period"`
	EvaluationPeriods  int32             `json:"evaluation_periods"`
	DatapointsToAlarm  int32             `json:"datapoints_to_alarm,omitempty"`
	Threshold          float64           `json:"threshold"`
	ComparisonOperator string            `json:"comparison_operator"`
	TreatMissingData   string            `json:"treat_missing_data,omitempty"`
	ActionsEnabled     bool              `json:"actions_enabled"`
	AlarmActions       []string          `json:"alarm_actions,omitempty"`
	StateValue         string            `json:"state_value,omitempty"`
	UsesMetricMath     bool              `json:"uses_metric_math,omitempty"`
	// Unit is the alarm's Unit: when set, only datapoints published with that unit count
	// (a metric filter publishes the unit its transformation names, else None).
	Unit string `json:"unit,omitempty"`
	// Metrics are the alarm's metric-math queries (UsesMetricMath): the one with ReturnData
	// is what the alarm compares with its threshold.
	Metrics []AlarmQuery `json:"metrics,omitempty"`
}

// CompositeAlarm is one composite alarm: AlarmRule is its expression over other alarms'
// states (ALARM(x), OK(x), INSUFFICIENT_DATA(x), TRUE, FALSE, AND, OR, NOT); its actions run
// on its own state changes, unless ActionsSuppressor (an alarm name or ARN) is in ALARM.
type CompositeAlarm struct {
	Name              string   `json:"name"`
	ARN               string   `json:"arn,omitempty"`
	AlarmRule         string   `json:"alarm_rule"`
	ActionsEnabled    bool     `json:"actions_enabled"`
	AlarmActions      []string `json:"alarm_actions,omitempty"`
	StateValue        string   `json:"state_value,omitempty"`
	ActionsSuppressor string   `json:"actions_suppressor,omitempty"`
}

// AlarmQuery is one MetricDataQuery of a metric-math alarm: either a metric (MetricStat) or an
// expression over the other queries' ids.
type AlarmQuery struct {
	ID         string      `json:"id"`
	Expression string      `json:"expression,omitempty"`
	MetricStat *MetricStat `json:"metric_stat,omitempty"`
	ReturnData bool        `json:"return_data,omitempty"`
	Period     int32       `json:"period,omitempty"`
}

// MetricStat is a metric with the statistic and period a query reads it with.
type MetricStat struct {
	MetricName string            `json:"metric_name"`
	Namespace  string            `json:"namespace"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Period     int32             `json:"period"`
	Stat       string            `json:"stat"`
	Unit       string            `json:"unit,omitempty"`
}

// ---- SNS ----

// SNSData holds the topics of a region and their subscriptions.
type SNSData struct {
	Error  *ReadError `json:"error,omitempty"`
	Topics []Topic    `json:"topics"`
}

// Topic is one SNS topic.
type Topic struct {
	ARN                string         `json:"arn"`
	Subscriptions      []Subscription `json:"subscriptions"`
	SubscriptionsError *ReadError     `json:"subscriptions_error,omitempty"`
	// Policy is the topic's access policy document (no secrets), used to tell whether
	// CloudWatch or EventBridge may publish.
	Policy     string     `json:"policy,omitempty"`
	KMSKeyID   string     `json:"kms_key_id,omitempty"`
	AttrsError *ReadError `json:"attributes_error,omitempty"`
}

// Subscription is one subscription. The endpoint is stored only when it is an AWS resource
// ARN (sqs, lambda, firehose): an email address or a webhook URL with a token is not the
// auditor's to keep.
type Subscription struct {
	ARN       string `json:"arn"` // "PendingConfirmation" until confirmed
	Protocol  string `json:"protocol"`
	Confirmed bool   `json:"confirmed"`
	// EndpointARN is the subscriber queue or function for protocol sqs, lambda or firehose.
	EndpointARN string `json:"endpoint_arn,omitempty"`
	// FilterPolicy and FilterPolicyScope (MessageAttributes, the default, or MessageBody) come
	// from GetSubscriptionAttributes, read for confirmed subscriptions; AttrsRead is set once
	// it answered, AttrsError when it could not be read.
	FilterPolicy      string     `json:"filter_policy,omitempty"`
	FilterPolicyScope string     `json:"filter_policy_scope,omitempty"`
	AttrsRead         bool       `json:"attributes_read,omitempty"`
	AttrsError        *ReadError `json:"attributes_error,omitempty"`
}

// ---- Lambda ----

// LambdaData lists the region's functions (name and ARN only: never code or environment).
type LambdaData struct {
	Error     *ReadError `json:"error,omitempty"`
	Functions []Function `json:"functions"`
}

// Function is one Lambda function.
type Function struct {
	Name    string `json:"name"`
	ARN     string `json:"arn"`
	Runtime string `json:"runtime,omitempty"`
	Role    string `json:"role,omitempty"`
	State   string `json:"state,omitempty"`
	// Policy is the function's resource-based policy (lambda:GetPolicy), read only for
	// functions that a rule or a subscription invokes; "" with PolicyRead means it has none,
	// so no service may invoke it.
	Policy      string     `json:"policy,omitempty"`
	PolicyRead  bool       `json:"policy_read,omitempty"`
	PolicyError *ReadError `json:"policy_error,omitempty"`
	// ConfigRead is set once lambda:GetFunction answered for a function that a rule or a
	// subscription invokes: State then holds its state (ListFunctions does not return it),
	// and ReservedConcurrency its reserved concurrency when one is set (0 is what the
	// console's Throttle button sets: every invocation is throttled). ConfigError is set when
	// it could not be read. Nothing else of GetFunction is kept (no code location, no
	// environment).
	ConfigRead          bool       `json:"config_read,omitempty"`
	ReservedConcurrency *int32     `json:"reserved_concurrency,omitempty"`
	ConfigError         *ReadError `json:"config_error,omitempty"`
}

// ---- What CloudWatch metrics recorded of deliveries ----

// ActivityData holds, for the observation window [Start, End), the metric series AWS publishes
// about deliveries, summed per Period seconds: AWS/Events per rule (Invocations,
// FailedInvocations, InvocationsSentToDlq, InvocationsFailedToBeSentToDlq,
// DeadLetterInvocations), AWS/Lambda per function (Invocations, Errors,
// Throttles) and AWS/SNS per topic (NumberOfNotificationsDelivered,
// NumberOfNotificationsFailed). AWS publishes these only for periods in which something
// happened, so a series read without points means nothing happened, never a failure. Every
// series asked for is listed, with or without points: a series not listed was not asked for.
type ActivityData struct {
	Error  *ReadError     `json:"error,omitempty"`
	Start  time.Time      `json:"start"`
	End    time.Time      `json:"end"`
	Period int32          `json:"period"`
	Series []MetricSeries `json:"series"`
}

// MetricSeries is one metric of one resource, by its exact dimension set (a rule's series has
// RuleName, plus EventBusName on a custom bus; a function's FunctionName; a topic's
// TopicName). Points are newest first, as GetMetricData answered with ScanBy
// TimestampDescending. Partial is set when AWS had more points than lookout read (StatusCode
// PartialData when paging stopped): Points then hold the newest only.
type MetricSeries struct {
	Namespace  string            `json:"namespace"`
	MetricName string            `json:"metric_name"`
	Dimensions map[string]string `json:"dimensions"`
	Points     []MetricPoint     `json:"points,omitempty"`
	Partial    bool              `json:"partial,omitempty"`
	// Error is set when AWS answered this one query with an error (StatusCode Forbidden or
	// InternalError, with its messages).
	Error *ReadError `json:"error,omitempty"`
}

// MetricPoint is one period's Sum: Timestamp is the start of the period.
type MetricPoint struct {
	Timestamp time.Time `json:"t"`
	Value     float64   `json:"v"`
}

// ---- SSM Automation runbooks ----

// RunbookData holds the SSM Automation documents that the region's rule targets start.
type RunbookData struct {
	Documents []Runbook `json:"documents"`
}

// Runbook is one Automation document as ssm:GetDocument answered: Content is the document
// (JSON or YAML, as stored), Format its format. NotFound is set when GetDocument answered
// InvalidDocument; Error when it could not be read.
type Runbook struct {
	Name     string     `json:"name"`
	Version  string     `json:"version,omitempty"`
	Format   string     `json:"format,omitempty"`
	Content  string     `json:"content,omitempty"`
	NotFound bool       `json:"not_found,omitempty"`
	Error    *ReadError `json:"error,omitempty"`
}

// ---- KMS ----

// KMSData holds the keys named by the region's topics and subscriber queues.
type KMSData struct {
	Keys []KMSKey `json:"keys"`
}

// KMSKey is one key as DescribeKey and GetKeyPolicy (policy "default") answered. Ref is the
// key as the topic or queue names it (alias name, alias ARN, key id or key ARN).
type KMSKey struct {
	Ref        string     `json:"ref"`
	KeyID      string     `json:"key_id,omitempty"`
	ARN        string     `json:"arn,omitempty"`
	KeyManager string     `json:"key_manager,omitempty"` // AWS | CUSTOMER
	KeyState   string     `json:"key_state,omitempty"`
	Policy     string     `json:"policy,omitempty"`
	NotFound   bool       `json:"not_found,omitempty"`
	Error      *ReadError `json:"error,omitempty"`
}

// ---- SQS ----

// SQSData holds the queues subscribed to the region's topics.
type SQSData struct {
	Queues []Queue `json:"queues"`
}

// Queue is one queue's delivery-relevant attributes (GetQueueAttributes Policy,
// KmsMasterKeyId, SqsManagedSseEnabled). NotFound is set when the queue does not exist.
type Queue struct {
	ARN      string     `json:"arn"`
	Policy   string     `json:"policy,omitempty"`
	KMSKeyID string     `json:"kms_key_id,omitempty"`
	NotFound bool       `json:"not_found,omitempty"`
	Error    *ReadError `json:"error,omitempty"`
}

// ---- EC2 ----

// EC2Data lists the region's instances, and the security groups the running ones use.
type EC2Data struct {
	Error     *ReadError `json:"error,omitempty"`
	Instances []Instance `json:"instances"`
	// SecurityGroups are the security groups the region's instances use, as
	// DescribeSecurityGroups answered (read only in regions with a running instance; groups no
	// instance uses are not kept). SecurityGroupsRead is set once it answered, so that a group
	// missing from the list was not returned rather than not looked for; SecurityGroupsError
	// is set when it could not be read.
	SecurityGroups      []SecurityGroup `json:"security_groups,omitempty"`
	SecurityGroupsRead  bool            `json:"security_groups_read,omitempty"`
	SecurityGroupsError *ReadError      `json:"security_groups_error,omitempty"`
	// PrefixLists are the managed prefix lists the kept groups' inbound rules reference, each
	// with its entries (ec2:GetManagedPrefixListEntries, once per list), customer-managed and
	// AWS-managed alike: a rule admits every CIDR its list holds.
	PrefixLists []PrefixList `json:"prefix_lists,omitempty"`
}

// PrefixList is one managed prefix list's entries: CIDRs holds every entry's CIDR. Error is
// set when the entries could not be read (CIDRs is then not the list).
type PrefixList struct {
	ID    string     `json:"id"`
	CIDRs []string   `json:"cidrs"`
	Error *ReadError `json:"error,omitempty"`
}

// Instance is one EC2 instance.
type Instance struct {
	ID                 string            `json:"id"`
	State              string            `json:"state"`
	Platform           string            `json:"platform,omitempty"` // "windows" or empty
	ImageID            string            `json:"image_id,omitempty"`
	InstanceProfileARN string            `json:"instance_profile_arn,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	// SecurityGroupIDs are the groups of the instance and of every network interface attached
	// to it (sorted, each once): traffic that any of them admits reaches the instance.
	SecurityGroupIDs []string `json:"security_group_ids,omitempty"`
	// PublicIP is the instance's public IPv4 address, if it has one (evidence only: a group
	// open to the internet is judged open whatever the instance's addressing today).
	PublicIP string `json:"public_ip,omitempty"`
}

// SecurityGroup is one security group with its inbound rules.
type SecurityGroup struct {
	ID      string         `json:"id"`
	Name    string         `json:"name,omitempty"`
	VPCID   string         `json:"vpc_id,omitempty"`
	Ingress []IPPermission `json:"ingress"`
}

// IPPermission is one inbound IpPermissions entry as DescribeSecurityGroups returns it: a
// protocol and port range, and the sources it admits. The ports are absent when the rule
// names none (protocol -1, all traffic, has none).
type IPPermission struct {
	Protocol       string   `json:"protocol"` // IpProtocol: tcp, udp, icmp, icmpv6, a protocol number, or -1 for all
	FromPort       *int32   `json:"from_port,omitempty"`
	ToPort         *int32   `json:"to_port,omitempty"`
	IPv4Ranges     []string `json:"ipv4_ranges,omitempty"`
	IPv6Ranges     []string `json:"ipv6_ranges,omitempty"`
	PrefixListIDs  []string `json:"prefix_list_ids,omitempty"`
	SourceGroupIDs []string `json:"source_group_ids,omitempty"`
}

// ---- SSM ----

// SSMData holds what the SSH-log check needs from Systems Manager.
type SSMData struct {
	Error             *ReadError        `json:"error,omitempty"`
	ManagedInstances  []ManagedInstance `json:"managed_instances"`
	Associations      []Association     `json:"associations,omitempty"`
	AssociationsError *ReadError        `json:"associations_error,omitempty"`
	Commands          []AgentCommand    `json:"commands,omitempty"`
	CommandsError     *ReadError        `json:"commands_error,omitempty"`
	// AgentConfigs are the CloudWatch Agent configurations referenced by associations and
	// commands, parsed: only the collected files, never the parameter's raw value.
	AgentConfigs []AgentConfig `json:"agent_configs,omitempty"`
	// ResourceGroups are the resource groups the ManageAgent associations target
	// (resource-groups:Name), read as State Manager resolves them: each group's query
	// (resource-groups:GetGroupQuery), and a CloudFormation-stack group's members
	// (resource-groups:ListGroupResources).
	ResourceGroups []ResourceGroup `json:"resource_groups,omitempty"`
}

// ResourceGroup is one resource group as its query says: QueryType TAG_FILTERS_1_0 (Query
// holds ResourceTypeFilters and TagFilters, evaluated against the instances' tags) or
// CLOUDFORMATION_STACK_1_0 (Query names the stack; Members are the ARNs of its resources, read
// once MembersRead). NotFound is set when the group does not exist; Error when it could not
// be read.
type ResourceGroup struct {
	Name        string     `json:"name"`
	QueryType   string     `json:"query_type,omitempty"`
	Query       string     `json:"query,omitempty"`
	Members     []string   `json:"members,omitempty"`
	MembersRead bool       `json:"members_read,omitempty"`
	NotFound    bool       `json:"not_found,omitempty"`
	Error       *ReadError `json:"error,omitempty"`
}

// ManagedInstance is one DescribeInstanceInformation entry.
type ManagedInstance struct {
	InstanceID      string     `json:"instance_id"`
	PingStatus      string     `json:"ping_status"`
	PlatformType    string     `json:"platform_type"` // Linux | Windows | MacOS
	PlatformName    string     `json:"platform_name,omitempty"`
	PlatformVersion string     `json:"platform_version,omitempty"`
	AgentVersion    string     `json:"agent_version,omitempty"`
	ResourceType    string     `json:"resource_type,omitempty"`
	LastPingTime    *time.Time `json:"last_ping_time,omitempty"`
	// ComputerName and IPAddress resolve the agent's {hostname} and {ip_address} placeholders.
	ComputerName string `json:"computer_name,omitempty"`
	IPAddress    string `json:"ip_address,omitempty"`
	// Tags are the instance's tags (EC2 tags for EC2 instances), which tag-targeted
	// associations select on. TagsError is set when they could not be read.
	Tags      map[string]string `json:"tags,omitempty"`
	TagsError *ReadError        `json:"tags_error,omitempty"`
	// Syslog is what SSM Inventory (AWS:Application) lists of the syslog daemons that write
	// sshd's log file. It is read only where the file may not exist — distributions that ship
	// without a syslog daemon (Amazon Linux 2023, Debian 12 and later) — and only when a file
	// entry is to carry the instance's SSH log; nil when not read.
	Syslog *SyslogInventory `json:"syslog,omitempty"`
}

// SyslogInventory is one instance's AWS:Application inventory, as far as syslog daemons go
// (ssm:ListInventoryEntries filtered on their package names).
type SyslogInventory struct {
	// CaptureTime is when SSM last took the instance's application inventory; nil when the
	// instance has none (no Inventory association gathers applications).
	CaptureTime *time.Time `json:"capture_time,omitempty"`
	// Daemons are the syslog daemon packages the inventory lists (rsyslog, syslog-ng).
	Daemons []string   `json:"daemons,omitempty"`
	Error   *ReadError `json:"error,omitempty"`
}

// Association is one State Manager association (AmazonCloudWatch-ManageAgent ones).
type Association struct {
	AssociationID   string              `json:"association_id"`
	AssociationName string              `json:"association_name,omitempty"`
	Name            string              `json:"name"` // document name
	Targets         []AssociationTarget `json:"targets"`
	Parameters      map[string][]string `json:"parameters,omitempty"`
	Status          string              `json:"status,omitempty"` // overview status: Success | Failed | Pending
	LastRun         *time.Time          `json:"last_run,omitempty"`
}

// AssociationTarget is a State Manager target: Key "InstanceIds" or "tag:Name" and values.
type AssociationTarget struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// AgentCommand is one Run Command invocation of AmazonCloudWatch-ManageAgent on an instance.
type AgentCommand struct {
	CommandID    string              `json:"command_id"`
	InstanceID   string              `json:"instance_id"`
	DocumentName string              `json:"document_name"`
	Status       string              `json:"status"` // Success | Failed | ...
	RequestedAt  *time.Time          `json:"requested_at,omitempty"`
	Parameters   map[string][]string `json:"parameters,omitempty"`
}

// AgentConfig is a parsed CloudWatch Agent configuration from Parameter Store.
type AgentConfig struct {
	Parameter string         `json:"parameter"`      // SSM parameter name
	Type      string         `json:"type,omitempty"` // String | StringList | SecureString
	Error     *ReadError     `json:"error,omitempty"`
	Files     []AgentLogFile `json:"files,omitempty"`
	// Journal are the logs.logs_collected.journald.collect_list entries: the agent reads the
	// systemd journal itself (agent 1.300070.0 and later), where distributions without a
	// syslog daemon (Amazon Linux 2023, Debian 12) keep sshd's lines.
	Journal []AgentJournalEntry `json:"journal,omitempty"`
}

// AgentLogFile is one logs.logs_collected.files.collect_list entry.
type AgentLogFile struct {
	FilePath      string `json:"file_path"`
	LogGroupName  string `json:"log_group_name"`
	LogStreamName string `json:"log_stream_name,omitempty"`
	// Filters are the entry's filters, in order: the agent publishes a line only if every
	// include expression matches it and no exclude expression does.
	Filters []AgentLogFilter `json:"filters,omitempty"`
}

// AgentJournalEntry is one logs.logs_collected.journald.collect_list entry, as written (the
// agent's defaults are applied by whoever judges it): Units are passed to journalctl --unit
// (OR-ed; none means every unit), Priority is the least severe level collected ("" means
// info), Matches are journal field matches (the fields of one are AND-ed, the matches OR-ed),
// and Filters are regular expressions on the entry (any include admits it, any exclude drops
// it).
type AgentJournalEntry struct {
	LogGroupName  string              `json:"log_group_name"`
	LogStreamName string              `json:"log_stream_name"`
	Units         []string            `json:"units,omitempty"`
	Priority      string              `json:"priority,omitempty"`
	Matches       []map[string]string `json:"matches,omitempty"`
	Filters       []AgentLogFilter    `json:"filters,omitempty"`
}

// AgentLogFilter is one entry of a collect_list entry's filters.
type AgentLogFilter struct {
	Type       string `json:"type"` // include | exclude
	Expression string `json:"expression"`
}
