package checks

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/internal/fixexec"
	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// The fleet of the EC2 instance checks' fixtures: one account, one region.
const (
	fleetAccount = "123456789012"
	fleetRegion  = "eu-west-1"
	fleetProfile = "arn:aws:iam::123456789012:instance-profile/app"
	coreARN      = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
	cwAgentARN   = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
)

func i32(v int32) *int32 { return &v }

// fleet is one running instance i-web with instance profile "app" (role app, with the SSM
// core policy), reporting Online, in security group sg-web admitting 443 from anywhere and 22
// from the office; and a stopped instance i-old with SSH open to the world.
func fleet() *snapshot.Snapshot {
	ping := time.Date(2026, 11, 22, 9, 55, 0, 0, time.UTC)
	return &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion, CollectedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Regions: []string{fleetRegion},
		Accounts: []snapshot.Account{{
			ID: fleetAccount, Partition: "aws",
			InstanceProfiles: []snapshot.InstanceProfile{{ARN: fleetProfile, Name: "app", Roles: []snapshot.InstanceRole{{
				Name: "app", ARN: "arn:aws:iam::123456789012:role/app",
				AttachedPolicies: []snapshot.AttachedPolicy{{Name: "AmazonSSMManagedInstanceCore", ARN: coreARN}}}}}},
			Regions: []snapshot.Region{{
				Name: fleetRegion,
				EC2: &snapshot.EC2Data{
					Instances: []snapshot.Instance{
						{ID: "i-old", State: "stopped", SecurityGroupIDs: []string{"sg-world"}},
						{ID: "i-web", State: "running", InstanceProfileARN: fleetProfile, Tags: map[string]string{"Name": "web"},
							SecurityGroupIDs: []string{"sg-web"}, PublicIP: "198.51.100.7"},
					},
					SecurityGroupsRead: true,
					SecurityGroups: []snapshot.SecurityGroup{
						{ID: "sg-web", Name: "web", Ingress: []snapshot.IPPermission{
							{Protocol: "tcp", FromPort: i32(443), ToPort: i32(443), IPv4Ranges: []string{"0.0.0.0/0"}, IPv6Ranges: []string{"::/0"}},
							{Protocol: "tcp", FromPort: i32(22), ToPort: i32(22), IPv4Ranges: []string{"203.0.113.0/24"}},
						}},
						{ID: "sg-world", Name: "world", Ingress: []snapshot.IPPermission{
							{Protocol: "tcp", FromPort: i32(22), ToPort: i32(22), IPv4Ranges: []string{"0.0.0.0/0"}},
						}},
					},
				},
				SSM: &snapshot.SSMData{ManagedInstances: []snapshot.ManagedInstance{
					{InstanceID: "i-web", PingStatus: "Online", PlatformType: "Linux", PlatformName: "Amazon Linux", AgentVersion: "3.3.1142.0", LastPingTime: &ping},
				}},
			}},
		}},
	}
}

func fleetRegionOf(s *snapshot.Snapshot) *snapshot.Region { return &s.Accounts[0].Regions[0] }

func fleetInstance(s *snapshot.Snapshot, id string) *snapshot.Instance {
	for i := range fleetRegionOf(s).EC2.Instances {
		if fleetRegionOf(s).EC2.Instances[i].ID == id {
			return &fleetRegionOf(s).EC2.Instances[i]
		}
	}
	panic("no instance " + id)
}

// unmanage removes i-web from SSM's list.
func unmanage(s *snapshot.Snapshot) { fleetRegionOf(s).SSM.ManagedInstances = nil }

// withRules replaces sg-web's inbound rules.
func viaList(id string) snapshot.IPPermission {
	return snapshot.IPPermission{Protocol: "tcp", FromPort: i32(22), ToPort: i32(22), PrefixListIDs: []string{id}}
}

func withList(l snapshot.PrefixList) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		d := fleetRegionOf(s).EC2
		d.PrefixLists = append(d.PrefixLists, l)
	}
}

func withRules(rules ...snapshot.IPPermission) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) { fleetRegionOf(s).EC2.SecurityGroups[0].Ingress = rules }
}

func rolePolicies(policies ...snapshot.AttachedPolicy) func(*snapshot.Snapshot) {
	return func(s *snapshot.Snapshot) {
		unmanage(s)
		s.Accounts[0].InstanceProfiles[0].Roles[0].AttachedPolicies = policies
	}
}

type instanceCase struct {
	name     string
	mutate   func(*snapshot.Snapshot)
	instance string // default i-web; "" with none means no finding for the region at all
	status   Status
	want     []string
	none     bool
}

func runInstanceCases(t *testing.T, c *Check, cases []instanceCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := fleet()
			if tc.mutate != nil {
				tc.mutate(s)
			}
			instance := tc.instance
			if instance == "" {
				instance = "i-web"
			}
			var got *Finding
			fs := Run(s, []*Check{c}, Options{})
			for i := range fs {
				if fs[i].Status == Pass || fs[i].Status == Fail || fs[i].Status == Error {
					if strings.HasSuffix(fs[i].Resource, "/"+instance) || (tc.status == Error && strings.HasSuffix(fs[i].Resource, "/*")) {
						got = &fs[i]
					}
				}
				if strings.HasSuffix(fs[i].Resource, "/i-old") {
					t.Errorf("stopped instance judged: %s %s", fs[i].Status, fs[i].Message)
				}
			}
			if tc.none {
				if got != nil {
					t.Fatalf("want no finding for %s, got %s: %s", instance, got.Status, got.Message)
				}
				return
			}
			if got == nil {
				t.Fatalf("no finding for %s (findings: %+v)", instance, fs)
			}
			if got.Status != tc.status {
				t.Fatalf("status %s, want %s: %s", got.Status, tc.status, got.Message)
			}
			for _, w := range tc.want {
				if !strings.Contains(got.Reasoning(), w) {
					t.Errorf("message %q lacks %q", got.Message, w)
				}
			}
			if got.Severity != High || got.Region != fleetRegion || got.Account != fleetAccount {
				t.Errorf("finding = %+v", got)
			}
		})
	}
}

func TestEC2InstanceSSMManaged(t *testing.T) {
	runInstanceCases(t, EC2InstanceSSMManaged(), []instanceCase{
		{name: "pass managed and Online", status: Pass, want: []string{"i-web (web) reports to SSM (ping status Online, agent 3.3.1142.0)"}},
		{name: "fail unmanaged without an instance profile", status: Fail,
			mutate: func(s *snapshot.Snapshot) { unmanage(s); fleetInstance(s, "i-web").InstanceProfileARN = "" },
			want:   []string{"not managed by SSM", "no instance profile", "its SSH logs cannot be verified"}},
		{name: "fail profile whose role lacks the SSM core policy", status: Fail,
			mutate: rolePolicies(snapshot.AttachedPolicy{Name: "CloudWatchAgentServerPolicy", ARN: cwAgentARN}),
			want: []string{"role app (instance profile app) lacks the SSM core permissions", "it has only CloudWatchAgentServerPolicy",
				"inline policies were not evaluated", "its SSH logs cannot be verified"}},
		{name: "fail role without any managed policy", status: Fail, mutate: rolePolicies(),
			want: []string{"it has no managed policy; inline policies were not evaluated"}},
		{name: "fail customer policy borrowing the core policy's name does not count", status: Fail,
			mutate: rolePolicies(snapshot.AttachedPolicy{Name: "AmazonSSMManagedInstanceCore", ARN: "arn:aws:iam::123456789012:policy/AmazonSSMManagedInstanceCore"}),
			want:   []string{"lacks the SSM core permissions"}},
		{name: "fail role with the core policy points at the instance or network", status: Fail, mutate: unmanage,
			want: []string{"has AmazonSSMManagedInstanceCore attached", "SSM Agent is not installed or not running", "ssmmessages"}},
		{name: "fail role with the deprecated AmazonEC2RoleforSSM", status: Fail,
			mutate: rolePolicies(snapshot.AttachedPolicy{Name: "AmazonEC2RoleforSSM", ARN: "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"}),
			want:   []string{"has AmazonEC2RoleforSSM attached"}},
		{name: "fail profile not read is still FAIL (SSM does not list the instance)", status: Fail,
			mutate: func(s *snapshot.Snapshot) { unmanage(s); s.Accounts[0].InstanceProfiles = nil },
			want:   []string{"instance profile app was not read"}},
		{name: "fail profile unreadable", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				unmanage(s)
				s.Accounts[0].InstanceProfiles[0] = snapshot.InstanceProfile{ARN: fleetProfile, Name: "app",
					Error: &snapshot.ReadError{Operation: "iam:GetInstanceProfile", Code: "AccessDenied", Message: "denied"}}
			},
			want: []string{"could not be read (iam:GetInstanceProfile: AccessDenied"}},
		{name: "fail profile deleted", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				unmanage(s)
				s.Accounts[0].InstanceProfiles[0] = snapshot.InstanceProfile{ARN: fleetProfile, Name: "app", NotFound: true}
			},
			want: []string{"does not exist any more"}},
		{name: "fail profile without a role", status: Fail,
			mutate: func(s *snapshot.Snapshot) { unmanage(s); s.Accounts[0].InstanceProfiles[0].Roles = nil },
			want:   []string{"holds no role"}},
		{name: "fail role policies unreadable", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				unmanage(s)
				s.Accounts[0].InstanceProfiles[0].Roles[0].PoliciesError = &snapshot.ReadError{Operation: "iam:ListAttachedRolePolicies", Message: "throttled"}
			},
			want: []string{"the policies of its role app", "could not be read"}},
		{name: "fail ConnectionLost names the ping status", status: Fail,
			mutate: func(s *snapshot.Snapshot) { fleetRegionOf(s).SSM.ManagedInstances[0].PingStatus = "ConnectionLost" },
			want:   []string{"registered with SSM but not reporting: ping status ConnectionLost, last ping 2026-11-22T09:55:00Z", "its SSH logs cannot be verified"}},
		{name: "fail Inactive", status: Fail,
			mutate: func(s *snapshot.Snapshot) { fleetRegionOf(s).SSM.ManagedInstances[0].PingStatus = "Inactive" },
			want:   []string{"ping status Inactive"}},
		{name: "fail Windows instance too (all platforms)", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				unmanage(s)
				in := fleetInstance(s, "i-web")
				in.Platform, in.InstanceProfileARN = "windows", ""
			},
			want: []string{"no instance profile"}},
		{name: "no finding for a stopped instance", none: true,
			mutate: func(s *snapshot.Snapshot) { fleetInstance(s, "i-web").State = "stopped" }},
		{name: "no finding for a pending instance", none: true,
			mutate: func(s *snapshot.Snapshot) { fleetInstance(s, "i-web").State = "pending" }},
		{name: "error SSM not collected", status: Error,
			mutate: func(s *snapshot.Snapshot) { fleetRegionOf(s).SSM = nil },
			want:   []string{"cannot tell whether i-web reports to SSM", "not collected"}},
		{name: "error SSM unreadable", status: Error,
			mutate: func(s *snapshot.Snapshot) {
				fleetRegionOf(s).SSM = &snapshot.SSMData{Error: &snapshot.ReadError{Operation: "ssm:DescribeInstanceInformation", Code: "AccessDeniedException", Message: "denied"}}
			},
			want: []string{"ssm:DescribeInstanceInformation: AccessDeniedException"}},
		{name: "error EC2 not collected", status: Error,
			mutate: func(s *snapshot.Snapshot) { fleetRegionOf(s).EC2 = nil },
			want:   []string{"EC2 (instances) was not collected"}},
		{name: "error EC2 unreadable", status: Error,
			mutate: func(s *snapshot.Snapshot) {
				fleetRegionOf(s).EC2 = &snapshot.EC2Data{Error: &snapshot.ReadError{Operation: "ec2:DescribeInstances", Code: "UnauthorizedOperation", Message: "denied"}}
			},
			want: []string{"ec2:DescribeInstances: UnauthorizedOperation"}},
	})
}

func TestEC2InstanceARNInAccountPartition(t *testing.T) {
	s := fleet()
	s.Accounts[0].Partition = "aws-cn"
	s.Accounts[0].Regions[0].Name = "cn-north-1"
	for _, c := range []*Check{EC2InstanceSSMManaged(), EC2SSHOpenToInternet()} {
		fs := Run(s, []*Check{c}, Options{})
		if len(fs) != 1 || fs[0].Resource != "arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-web" {
			t.Errorf("%s: findings %+v, want one for arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-web", c.ID, fs)
		}
	}
}

func TestEC2SSHOpenToInternet(t *testing.T) {
	ssh := func(from, to int32, cidrs ...string) snapshot.IPPermission {
		p := snapshot.IPPermission{Protocol: "tcp", FromPort: i32(from), ToPort: i32(to)}
		for _, c := range cidrs {
			if strings.Contains(c, ":") {
				p.IPv6Ranges = append(p.IPv6Ranges, c)
			} else {
				p.IPv4Ranges = append(p.IPv4Ranges, c)
			}
		}
		return p
	}
	runInstanceCases(t, EC2SSHOpenToInternet(), []instanceCase{
		{name: "pass 22 open only to the office, 443 to the world", status: Pass,
			want: []string{"i-web (web): no security group (sg-web) admits TCP 22 from 0.0.0.0/0 or ::/0", "open only to 203.0.113.0/24"}},
		{name: "fail 22 open via IPv4", status: Fail, mutate: withRules(ssh(22, 22, "0.0.0.0/0")),
			want: []string{"i-web (web) accepts SSH from the internet: sg-web (web) allows tcp 22 from 0.0.0.0/0", "public IP 198.51.100.7",
				"Session Manager (aws ssm start-session --target i-web)"}},
		{name: "fail 22 open via IPv6", status: Fail, mutate: withRules(ssh(22, 22, "::/0")),
			want: []string{"allows tcp 22 from ::/0"}},
		{name: "fail port range 20-25 contains 22", status: Fail, mutate: withRules(ssh(20, 25, "0.0.0.0/0")),
			want: []string{"allows tcp 20-25 from 0.0.0.0/0"}},
		{name: "fail port range 0-65535", status: Fail, mutate: withRules(ssh(0, 65535, "::/0")),
			want: []string{"allows tcp 0-65535 from ::/0"}},
		{name: "pass port range 23-65535 misses 22", status: Pass, mutate: withRules(ssh(23, 65535, "0.0.0.0/0"))},
		{name: "pass port range 1-21 misses 22", status: Pass, mutate: withRules(ssh(1, 21, "0.0.0.0/0"))},
		{name: "fail all traffic (-1) ignores the ports", status: Fail,
			mutate: withRules(snapshot.IPPermission{Protocol: "-1", IPv4Ranges: []string{"0.0.0.0/0"}}),
			want:   []string{"allows all traffic from 0.0.0.0/0"}},
		{name: "fail all traffic with a port range given", status: Fail,
			mutate: withRules(snapshot.IPPermission{Protocol: "-1", FromPort: i32(80), ToPort: i32(80), IPv6Ranges: []string{"::/0"}}),
			want:   []string{"allows all traffic from ::/0"}},
		{name: "fail protocol number 6 is tcp", status: Fail,
			mutate: withRules(snapshot.IPPermission{Protocol: "6", FromPort: i32(22), ToPort: i32(22), IPv4Ranges: []string{"0.0.0.0/0"}}),
			want:   []string{"allows tcp 22 from 0.0.0.0/0"}},
		{name: "fail tcp with no port restriction", status: Fail,
			mutate: withRules(snapshot.IPPermission{Protocol: "tcp", IPv4Ranges: []string{"0.0.0.0/0"}}),
			want:   []string{"allows all tcp ports from 0.0.0.0/0"}},
		{name: "fail tcp with ports -1", status: Fail,
			mutate: withRules(snapshot.IPPermission{Protocol: "tcp", FromPort: i32(-1), ToPort: i32(-1), IPv4Ranges: []string{"0.0.0.0/0"}}),
			want:   []string{"allows all tcp ports from 0.0.0.0/0"}},
		{name: "fail a zero-length prefix however it is spelled", status: Fail, mutate: withRules(ssh(22, 22, "10.0.0.0/0")),
			want: []string{"from 10.0.0.0/0"}},
		{name: "pass udp 22 is not SSH", status: Pass,
			mutate: withRules(snapshot.IPPermission{Protocol: "udp", FromPort: i32(22), ToPort: i32(22), IPv4Ranges: []string{"0.0.0.0/0"}})},
		{name: "pass private CIDRs only", status: Pass, mutate: withRules(ssh(22, 22, "10.0.0.0/8", "172.16.0.0/12", "fd00::/8")),
			want: []string{"open only to 10.0.0.0/8, 172.16.0.0/12, fd00::/8"}},
		{name: "pass a single public address is not the internet", status: Pass, mutate: withRules(ssh(22, 22, "203.0.113.5/32"))},
		// A prefix list admits every CIDR it holds: its entries are judged like the rule's own.
		{name: "prefix list whose entries were not collected is ERROR", status: Error,
			mutate: withRules(viaList("pl-0123")),
			want:   []string{"open to prefix list pl-0123 in sg-web (its entries were not collected)"}},
		{name: "prefix list that could not be read is ERROR", status: Error,
			mutate: both(withRules(viaList("pl-0123")), withList(snapshot.PrefixList{ID: "pl-0123",
				Error: &snapshot.ReadError{Operation: "ec2:GetManagedPrefixListEntries", Code: "UnauthorizedOperation", Message: "denied"}})),
			want: []string{"pl-0123 in sg-web (ec2:GetManagedPrefixListEntries: UnauthorizedOperation: denied)", "could not be read"}},
		{name: "pass prefix list of office ranges", status: Pass,
			mutate: both(withRules(viaList("pl-office")), withList(snapshot.PrefixList{ID: "pl-office", CIDRs: []string{"203.0.113.0/24", "2001:db8::/32"}})),
			want:   []string{"open only to 2001:db8::/32 (prefix list pl-office), 203.0.113.0/24 (prefix list pl-office)"}},
		{name: "fail prefix list holding 0.0.0.0/0", status: Fail,
			mutate: both(withRules(viaList("pl-open")), withList(snapshot.PrefixList{ID: "pl-open", CIDRs: []string{"10.0.0.0/8", "0.0.0.0/0"}})),
			want:   []string{"sg-web (web) allows tcp 22 from prefix list pl-open, which holds 0.0.0.0/0"}},
		{name: "fail AWS-managed prefix list holding ::/0", status: Fail,
			mutate: both(withRules(viaList("pl-aws")), withList(snapshot.PrefixList{ID: "pl-aws", CIDRs: []string{"::/0"}})),
			want:   []string{"from prefix list pl-aws, which holds ::/0"}},
		{name: "pass empty prefix list admits nobody", status: Pass,
			mutate: both(withRules(viaList("pl-empty")), withList(snapshot.PrefixList{ID: "pl-empty", CIDRs: []string{}})),
			want:   []string{"prefix list pl-empty (empty)"}},
		{name: "error prefix list entry lookout cannot parse", status: Error,
			mutate: both(withRules(viaList("pl-odd")), withList(snapshot.PrefixList{ID: "pl-odd", CIDRs: []string{"not-a-cidr"}})),
			want:   []string{"not-a-cidr in prefix list pl-odd"}},
		{name: "prefix list next to an internet rule still FAILs", status: Fail,
			mutate: withRules(snapshot.IPPermission{Protocol: "tcp", FromPort: i32(22), ToPort: i32(22), PrefixListIDs: []string{"pl-0123"}, IPv4Ranges: []string{"0.0.0.0/0"}}),
			want:   []string{"accepts SSH from the internet"}},
		{name: "pass security group reference", status: Pass,
			mutate: withRules(snapshot.IPPermission{Protocol: "-1", SourceGroupIDs: []string{"sg-bastion"}}),
			want:   []string{"open only to security group sg-bastion"}},
		{name: "fail second group open, named with its rule", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				fleetInstance(s, "i-web").SecurityGroupIDs = []string{"sg-web", "sg-world"}
			},
			want: []string{"sg-world (world) allows tcp 22 from 0.0.0.0/0"}},
		{name: "fail every open rule named", status: Fail,
			mutate: withRules(ssh(22, 22, "0.0.0.0/0", "::/0")),
			want:   []string{"sg-web (web) allows tcp 22 from 0.0.0.0/0; sg-web (web) allows tcp 22 from ::/0"}},
		{name: "fail unmanaged instance is told SSM comes first", status: Fail,
			mutate: func(s *snapshot.Snapshot) { withRules(ssh(22, 22, "0.0.0.0/0"))(s); unmanage(s) },
			want:   []string{"does not report to SSM yet (see ec2-instance-ssm-managed)"}},
		{name: "fail open group decides even when another group was not read", status: Fail,
			mutate: func(s *snapshot.Snapshot) {
				fleetInstance(s, "i-web").SecurityGroupIDs = []string{"sg-gone", "sg-world"}
			},
			want: []string{"sg-world (world) allows tcp 22"}},
		{name: "error a group of the instance was not read", status: Error,
			mutate: func(s *snapshot.Snapshot) { fleetInstance(s, "i-web").SecurityGroupIDs = []string{"sg-gone", "sg-web"} },
			want:   []string{"security group sg-gone was not in DescribeSecurityGroups' answer"}},
		{name: "error a CIDR lookout cannot read", status: Error, mutate: withRules(ssh(22, 22, "not-a-cidr")),
			want: []string{"cannot read the CIDR not-a-cidr in sg-web"}},
		{name: "error security groups not readable", status: Error,
			mutate: func(s *snapshot.Snapshot) {
				d := fleetRegionOf(s).EC2
				d.SecurityGroups, d.SecurityGroupsRead = nil, false
				d.SecurityGroupsError = &snapshot.ReadError{Operation: "ec2:DescribeSecurityGroups", Code: "UnauthorizedOperation", Message: "denied"}
			},
			want: []string{"ec2:DescribeSecurityGroups: UnauthorizedOperation"}},
		{name: "error security groups not collected (older snapshot)", status: Error,
			mutate: func(s *snapshot.Snapshot) {
				d := fleetRegionOf(s).EC2
				d.SecurityGroups, d.SecurityGroupsRead = nil, false
			},
			want: []string{"its security groups were not collected"}},
		{name: "error an instance listed without any security group is not data", status: Error,
			mutate: func(s *snapshot.Snapshot) { fleetInstance(s, "i-web").SecurityGroupIDs = nil },
			want:   []string{"DescribeInstances named no security group for it"}},
		{name: "no finding for a stopped instance with SSH open", none: true, instance: "i-old"},
		{name: "error EC2 not collected", status: Error,
			mutate: func(s *snapshot.Snapshot) { fleetRegionOf(s).EC2 = nil }},
	})
}

// planFor runs the check on s and plans the fix of the finding for instance.
func planFor(t *testing.T, s *snapshot.Snapshot, c *Check, instance string, o FixOptions) ([]plan.Action, string) {
	t.Helper()
	for _, f := range Run(s, []*Check{c}, Options{}) {
		if !strings.HasSuffix(f.Resource, "/"+instance) {
			continue
		}
		if f.Status != Fail {
			t.Fatalf("%s %s is %s: %s", c.ID, instance, f.Status, f.Message)
		}
		acts, note, err := c.Plan(s, f, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := fixexec.Validate([]plan.Plan{{CheckID: c.ID, Region: f.Region, Actions: acts}}); err != nil {
			t.Errorf("the executor refuses the plan: %v", err)
		}
		return acts, note
	}
	t.Fatalf("no finding of %s for %s", c.ID, instance)
	return nil, ""
}

func TestPlanEC2InstanceSSMManaged(t *testing.T) {
	t.Run("instance without a profile gets lookout's", func(t *testing.T) {
		s := fleet()
		unmanage(s)
		fleetInstance(s, "i-web").InstanceProfileARN = ""
		acts, note := planFor(t, s, EC2InstanceSSMManaged(), "i-web", FixOptions{HomeRegion: "us-east-1"})
		var got []string
		for _, a := range acts {
			got = append(got, a.IAMAction()+" "+a.Region+" "+string(a.Effect)+" "+a.Target)
		}
		want := []string{
			"iam:CreateRole us-east-1 create arn:aws:iam::123456789012:role/lookout-ssm-instance",
			"iam:AttachRolePolicy us-east-1 configure arn:aws:iam::123456789012:role/lookout-ssm-instance",
			"iam:AttachRolePolicy us-east-1 configure arn:aws:iam::123456789012:role/lookout-ssm-instance",
			"iam:CreateInstanceProfile us-east-1 create arn:aws:iam::123456789012:instance-profile/lookout-ssm-instance",
			"iam:AddRoleToInstanceProfile us-east-1 configure arn:aws:iam::123456789012:instance-profile/lookout-ssm-instance",
			"ec2:AssociateIamInstanceProfile eu-west-1 change arn:aws:ec2:eu-west-1:123456789012:instance/i-web",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("actions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if p := acts[1].Params.(plan.AttachRolePolicy).PolicyARN; p != coreARN {
			t.Errorf("first policy %v, want %s", p, coreARN)
		}
		if p := acts[2].Params.(plan.AttachRolePolicy).PolicyARN; p != cwAgentARN {
			t.Errorf("second policy %v, want %s", p, cwAgentARN)
		}
		if trust := acts[0].Params.(plan.CreateRole).AssumeRolePolicyDocument; !strings.Contains(trust, `"Service":"ec2.amazonaws.com"`) {
			t.Errorf("trust policy %s does not trust ec2.amazonaws.com", trust)
		}
		for _, a := range acts {
			if a.Effect == plan.Create && !strings.Contains(planJSON(a.Params), `"managed-by"`) {
				t.Errorf("%s creates %s untagged", a.IAMAction(), a.Target)
			}
		}
		if !strings.Contains(note, "SSM Agent must be installed") {
			t.Errorf("note %q", note)
		}
	})
	t.Run("existing profile is never replaced", func(t *testing.T) {
		s := fleet()
		rolePolicies(snapshot.AttachedPolicy{Name: "CloudWatchAgentServerPolicy", ARN: cwAgentARN})(s)
		acts, note := planFor(t, s, EC2InstanceSSMManaged(), "i-web", FixOptions{HomeRegion: "us-east-1"})
		if len(acts) != 0 {
			t.Errorf("planned %d actions for an instance with a profile", len(acts))
		}
		for _, w := range []string{"already has instance profile app", "never replaces", "lacks the SSM core permissions", "attach AmazonSSMManagedInstanceCore"} {
			if !strings.Contains(note, w) {
				t.Errorf("note %q lacks %q", note, w)
			}
		}
	})
	t.Run("aws-cn partition", func(t *testing.T) {
		s := fleet()
		unmanage(s)
		s.Accounts[0].Partition = "aws-cn"
		fleetInstance(s, "i-web").InstanceProfileARN = ""
		acts, _ := planFor(t, s, EC2InstanceSSMManaged(), "i-web", FixOptions{HomeRegion: fleetRegion})
		if p := acts[1].Params.(plan.AttachRolePolicy).PolicyARN; p != "arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore" {
			t.Errorf("policy ARN %v, want the aws-cn one", p)
		}
	})
}

func planJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPlanEC2SSHOpen(t *testing.T) {
	open := func(rules ...snapshot.IPPermission) *snapshot.Snapshot {
		s := fleet()
		withRules(rules...)(s)
		return s
	}
	t.Run("without --allow-revoke nothing is planned and the note says why", func(t *testing.T) {
		s := open(snapshot.IPPermission{Protocol: "tcp", FromPort: i32(22), ToPort: i32(22), IPv4Ranges: []string{"0.0.0.0/0"}})
		acts, note := planFor(t, s, EC2SSHOpenToInternet(), "i-web", FixOptions{})
		if len(acts) != 0 {
			t.Fatalf("planned %d actions without --allow-revoke", len(acts))
		}
		for _, w := range []string{"--allow-revoke", "sg-web (web) allows tcp 22 from 0.0.0.0/0"} {
			if !strings.Contains(note, w) {
				t.Errorf("note %q lacks %q", note, w)
			}
		}
	})
	t.Run("with --allow-revoke exactly the rule is revoked", func(t *testing.T) {
		s := open(snapshot.IPPermission{Protocol: "tcp", FromPort: i32(22), ToPort: i32(22), IPv4Ranges: []string{"203.0.113.0/24", "0.0.0.0/0"}, IPv6Ranges: []string{"::/0"}})
		acts, note := planFor(t, s, EC2SSHOpenToInternet(), "i-web", FixOptions{AllowRevoke: true})
		if len(acts) != 2 {
			t.Fatalf("actions = %+v, want one revoke per internet CIDR", acts)
		}
		want := []string{
			`{"GroupId":"sg-web","IpPermissions":[{"FromPort":22,"IpProtocol":"tcp","IpRanges":[{"CidrIp":"0.0.0.0/0"}],"ToPort":22}]}`,
			`{"GroupId":"sg-web","IpPermissions":[{"FromPort":22,"IpProtocol":"tcp","Ipv6Ranges":[{"CidrIpv6":"::/0"}],"ToPort":22}]}`,
		}
		for i, a := range acts {
			if a.IAMAction() != "ec2:RevokeSecurityGroupIngress" || a.Effect != plan.Change || a.Region != fleetRegion ||
				a.Target != "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-web" {
				t.Errorf("action %d = %+v", i, a)
			}
			if got := strings.SplitN(a.Key(), " ", 3)[2]; got != want[i] {
				t.Errorf("action %d params %s, want %s (the office CIDR stays)", i, got, want[i])
			}
		}
		if strings.Contains(note, "not only SSH") {
			t.Errorf("note %q warns about other ports for a port-22 rule", note)
		}
	})
	t.Run("all-traffic rule: revoked without ports, and the note warns", func(t *testing.T) {
		s := open(snapshot.IPPermission{Protocol: "-1", IPv4Ranges: []string{"0.0.0.0/0"}})
		acts, note := planFor(t, s, EC2SSHOpenToInternet(), "i-web", FixOptions{AllowRevoke: true})
		if len(acts) != 1 || strings.SplitN(acts[0].Key(), " ", 3)[2] != `{"GroupId":"sg-web","IpPermissions":[{"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]}` {
			t.Fatalf("actions = %+v", acts)
		}
		if !strings.Contains(note, "not only SSH: revoking it closes every port it opened") {
			t.Errorf("note %q", note)
		}
	})
	t.Run("unmanaged instance: the note says Session Manager is not there yet", func(t *testing.T) {
		s := open(snapshot.IPPermission{Protocol: "tcp", FromPort: i32(22), ToPort: i32(22), IPv4Ranges: []string{"0.0.0.0/0"}})
		unmanage(s)
		_, note := planFor(t, s, EC2SSHOpenToInternet(), "i-web", FixOptions{AllowRevoke: true})
		if !strings.Contains(note, "does not report to SSM") {
			t.Errorf("note %q", note)
		}
	})
	t.Run("a group two instances share is revoked once", func(t *testing.T) {
		s := open(snapshot.IPPermission{Protocol: "tcp", FromPort: i32(22), ToPort: i32(22), IPv4Ranges: []string{"0.0.0.0/0"}})
		d := fleetRegionOf(s).EC2
		d.Instances = append(d.Instances, snapshot.Instance{ID: "i-web2", State: "running", SecurityGroupIDs: []string{"sg-web"}})
		res, err := PlanFixes(s, []*Check{EC2SSHOpenToInternet()}, FixOptions{AllowRevoke: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Plans) != 2 || plan.Count(res.Plans) != 1 {
			t.Fatalf("plans = %+v, want two plans carrying one revoke", res.Plans)
		}
		if !strings.Contains(res.Plans[0].Note, "sg-web is also used by i-web2") || !strings.Contains(res.Plans[1].Note, "already in an earlier plan") {
			t.Errorf("notes %q / %q", res.Plans[0].Note, res.Plans[1].Note)
		}
	})
}
