package checks

import (
	"time"

	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Evidence is what a check read to reach a verdict, written as the finding's "evidence" object
// so that a reviewer can verify it. Each kind of check fills a type of its own below, and the
// report writers only marshal it. Finding.Evidence is an interface value rather than one type
// because a finding read back from a JSON report (lookout merge) holds the decoded object.
//
// Where a verdict follows a chain of links (trail → log group → metric filter → alarm → topic
// → subscriber, or trail → rule → target), the link that does not hold is data: a route.BrokenLink,
// which the finding's message is rendered from and which Finding.Broken returns.

// ReadErrorEvidence is the evidence of a finding that is ERROR because a read failed.
type ReadErrorEvidence struct {
	ReadError *snapshot.ReadError `json:"read_error"`
}

// TrailChainsEvidence is the evidence of a CIS alarm check: every trail's chain.
type TrailChainsEvidence struct {
	route.ChainBreak
	Detection string               `json:"detection"`
	Chains    []TrailChainEvidence `json:"chains"`
	// closestFilter names, when the closest chain breaks at its metric filter, the filter
	// closest to detecting the events and why it falls short ("UnauthorizedAPICalls also fires
	// on routine activity"), for the sentences of the CIS family; not written.
	closestFilter string
}

// TrailChainEvidence is one trail's chain to an alarm.
type TrailChainEvidence struct {
	Trail      string            `json:"trail"`
	HomeRegion string            `json:"home_region"`
	LogGroup   string            `json:"log_group"`
	Verdict    Status            `json:"verdict"`
	Broken     *route.BrokenLink `json:"broken_link,omitempty"`
	Reason     string            `json:"reason"`
	// The alarm chain of the trail's log group (its own log_group field is the trail's).
	*route.AlarmChainEvidence
}

// LogGroupChainEvidence is one log group's alarm chain (the SSH-login alarm check); the
// group's ARN is the chain's "log_group".
type LogGroupChainEvidence struct {
	Verdict Status            `json:"verdict"`
	Message string            `json:"message"`
	Broken  *route.BrokenLink `json:"broken_link,omitempty"`
	*route.AlarmChainEvidence
}

// LogGroupChainsEvidence is the evidence of the SSH-login alarm check.
type LogGroupChainsEvidence struct {
	route.ChainBreak
	Detection string                  `json:"detection"`
	LogGroups []LogGroupChainEvidence `json:"ssh_log_groups"`
}

// CISMonitoringEvidence is the evidence of a CIS monitoring check: both routes.
type CISMonitoringEvidence struct {
	// Broken is on a FAIL the metric filter route's broken link (the finding's resource, and
	// what lookout fix repairs, are on that route); on an ERROR the route that could not be
	// judged.
	route.ChainBreak
	// Route is the route that passes ("metric filter" or "eventbridge"); "" when none does.
	Route             string   `json:"route,omitempty"`
	MetricFilterRoute Evidence `json:"metric_filter_route"`
	// EventBridgeRoute is judged only when the metric filter route does not pass.
	EventBridgeRoute map[string]RegionRouteEvidence `json:"eventbridge_route,omitempty"`
}

// RegionRouteEvidence is the EventBridge route of one region.
type RegionRouteEvidence struct {
	Verdict string `json:"verdict"`
	Reason  string `json:"reason,omitempty"`
	// Rules are the rules on a path that holds, else the closest one; OtherRules names the
	// rest of the region's default-bus rules (route.RuleSearch.OnPath).
	Rules      []route.RuleVerdict `json:"rules,omitempty"`
	OtherRules []string            `json:"other_rules,omitempty"`
}

// TrailsEvidence is the evidence of cloudtrail-logging in one region.
type TrailsEvidence struct {
	// TrailsSeen lists the trails read when none covers the region.
	TrailsSeen []string        `json:"trails_seen,omitempty"`
	Trails     []TrailEvidence `json:"trails,omitempty"`
}

// TrailEvidence is one covering trail and its verdict.
type TrailEvidence struct {
	ARN            string                   `json:"arn"`
	HomeRegion     string                   `json:"home_region"`
	MultiRegion    bool                     `json:"multi_region"`
	Organization   bool                     `json:"organization"`
	Verdict        Status                   `json:"verdict"`
	Reason         string                   `json:"reason"`
	Status         *snapshot.TrailStatus    `json:"status"`
	EventSelectors *snapshot.EventSelectors `json:"event_selectors"`
}

// InstanceEvidence is the evidence of the EC2 instance checks.
type InstanceEvidence struct {
	ReadError *snapshot.ReadError `json:"read_error,omitempty"`
	Instance  InstanceSummary     `json:"instance"`
	// SSM is the instance's entry in DescribeInstanceInformation (ec2-instance-ssm-managed).
	SSM *SSMPingEvidence `json:"ssm,omitempty"`
	// InstanceProfile is what was read of the profile of an instance SSM does not list.
	InstanceProfile *InstanceProfileEvidence `json:"instance_profile,omitempty"`
	// The security groups and what they admit (ec2-ssh-open-to-internet).
	SecurityGroups []SecurityGroupEvidence `json:"security_groups,omitempty"`
	NotRead        []string                `json:"not_read,omitempty"`
	OpenRules      []OpenRuleEvidence      `json:"open_rules,omitempty"`
	SSHSources     []string                `json:"ssh_sources,omitempty"`
}

// InstanceSummary names a running instance.
type InstanceSummary struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name,omitempty"`
	State              string   `json:"state,omitempty"`
	Platform           string   `json:"platform,omitempty"`
	InstanceProfileARN string   `json:"instance_profile_arn,omitempty"`
	SecurityGroupIDs   []string `json:"security_group_ids,omitempty"`
	PublicIP           string   `json:"public_ip,omitempty"`
}

// SSMPingEvidence is an instance as SSM sees it.
type SSMPingEvidence struct {
	PingStatus   string     `json:"ping_status"`
	LastPingTime *time.Time `json:"last_ping_time,omitempty"`
	AgentVersion string     `json:"agent_version,omitempty"`
	PlatformName string     `json:"platform_name,omitempty"`
}

// InstanceProfileEvidence is an instance profile and its role as read.
type InstanceProfileEvidence struct {
	ARN              string                    `json:"arn"`
	NotFound         bool                      `json:"not_found,omitempty"`
	Role             string                    `json:"role,omitempty"`
	AttachedPolicies []snapshot.AttachedPolicy `json:"attached_policies,omitempty"`
	ReadError        *snapshot.ReadError       `json:"read_error,omitempty"`
}

// SecurityGroupEvidence is one of an instance's security groups.
type SecurityGroupEvidence struct {
	ID      string                  `json:"id"`
	Name    string                  `json:"name"`
	VPCID   string                  `json:"vpc_id"`
	Ingress []snapshot.IPPermission `json:"ingress"`
}

// OpenRuleEvidence is an ingress rule that admits SSH from the internet.
type OpenRuleEvidence struct {
	GroupID string `json:"group_id"`
	Rule    string `json:"rule"`
	CIDR    string `json:"cidr"`
	// PrefixList is the managed prefix list the rule names, which holds CIDR.
	PrefixList string `json:"prefix_list,omitempty"`
}

// SSHLogsEvidence is the evidence of ssm-cloudwatch-agent-ssh-logs for one instance.
type SSHLogsEvidence struct {
	ReadError   *snapshot.ReadError    `json:"read_error,omitempty"`
	Instance    ManagedInstanceSummary `json:"instance"`
	SSHLogPaths []string               `json:"ssh_log_paths,omitempty"`
	// SSHUnits are the systemd units sshd runs as on the instance's distribution (both known
	// ones when the distribution is not known), which a journald entry must select.
	SSHUnits     []string         `json:"ssh_units,omitempty"`
	ConfiguredBy []SourceEvidence `json:"configured_by,omitempty"`
	// SyslogInventory is what SSM Inventory lists of the syslog daemons on a distribution that
	// ships without one (read only where a file entry is to carry the SSH log).
	SyslogInventory *snapshot.SyslogInventory `json:"syslog_inventory,omitempty"`
	FailedCommand   *SourceEvidence           `json:"failed_command,omitempty"`
	Streams         []StreamEvidence          `json:"streams,omitempty"`
}

// ManagedInstanceSummary names an SSM managed instance.
type ManagedInstanceSummary struct {
	ID              string     `json:"id"`
	PlatformName    string     `json:"platform_name"`
	PlatformVersion string     `json:"platform_version"`
	PingStatus      string     `json:"ping_status"`
	AgentVersion    string     `json:"agent_version"`
	LastPingTime    *time.Time `json:"last_ping_time"`
}

// SourceEvidence is an association or command that configured the CloudWatch Agent.
type SourceEvidence struct {
	Kind                string     `json:"kind"`
	ID                  string     `json:"id"`
	Action              string     `json:"action"`
	ConfigurationSource string     `json:"configuration_source"`
	Parameter           string     `json:"parameter"`
	Status              string     `json:"status"`
	At                  *time.Time `json:"at"`
}

// StreamEvidence is one log stream the agent's configuration sends the SSH log to.
type StreamEvidence struct {
	Configuration string `json:"configuration"`
	ConfiguredBy  string `json:"configured_by"`
	// FilePath is the file entry's path; Journal describes a journald entry instead.
	FilePath  string                `json:"file_path,omitempty"`
	Journal   *JournalEntryEvidence `json:"journal,omitempty"`
	LogGroup  string                `json:"log_group"`
	LogStream string                `json:"log_stream"`
	// LastIngestionTime is when the stream last received data (nil: never, or not read).
	LastIngestionTime *time.Time `json:"last_ingestion_time,omitempty"`
	Verdict           Status     `json:"verdict,omitempty"`
}

// JournalEntryEvidence is the journald collect_list entry that carries the SSH log, as
// written: no units means every unit, no priority means info.
type JournalEntryEvidence struct {
	Index    int      `json:"index"`
	Units    []string `json:"units,omitempty"`
	Priority string   `json:"priority,omitempty"`
}

// Broken is the link the finding's evidence names as broken, or nil (a PASS, a check that is
// not a chain, or a finding read back from a report).
func (f Finding) Broken() *route.BrokenLink {
	if e, ok := f.Evidence.(interface{ BrokenAt() *route.BrokenLink }); ok {
		return e.BrokenAt()
	}
	return nil
}

// Path is the finding's closest path hop by hop (route.BrokenLink.Hops), or nil when its
// evidence names no broken link; an ERROR's broken hop is undecided.
func (f Finding) Path() []route.PathHop {
	b := f.Broken()
	if b == nil {
		return nil
	}
	return b.Hops(f.Status == Error)
}
