package collect

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

// The AWS managed policies of instance roles (the moto launcher provides them).
const (
	ssmCorePolicy   = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
	cwAgentPolicy   = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
	ec2TrustPolicy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	instancesRegion = "eu-west-1"
)

// instanceProfile creates an instance profile holding a role of the same name with the given
// managed policies attached, as an engineer would for EC2 instances.
func instanceProfile(t *testing.T, cfg aws.Config, name string, policies ...string) {
	t.Helper()
	ctx := motoserver.Ctx(t)
	c := iam.NewFromConfig(cfg)
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(ec2TrustPolicy)}); err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	for _, p := range policies {
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(p)}); err != nil {
			t.Fatalf("AttachRolePolicy %s: %v", p, err)
		}
	}
	if _, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)}); err != nil {
		t.Fatalf("CreateInstanceProfile %s: %v", name, err)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String(name)}); err != nil {
		t.Fatalf("AddRoleToInstanceProfile %s: %v", name, err)
	}
}

// securityGroup creates a group with the given inbound rules and returns its id.
func securityGroup(t *testing.T, cfg aws.Config, name string, rules ...ec2types.IpPermission) string {
	t.Helper()
	ctx := motoserver.Ctx(t)
	c := ec2.NewFromConfig(cfg)
	out, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateSecurityGroup %s: %v", name, err)
	}
	if len(rules) > 0 {
		if _, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: out.GroupId, IpPermissions: rules}); err != nil {
			t.Fatalf("AuthorizeSecurityGroupIngress %s: %v", name, err)
		}
	}
	return aws.ToString(out.GroupId)
}

// launch runs one instance and returns its id. profile and groups may be empty (then AWS,
// and the launcher, attach the VPC's default group).
func launch(t *testing.T, cfg aws.Config, profile string, tags map[string]string, groups ...string) string {
	t.Helper()
	in := &ec2.RunInstancesInput{ImageId: aws.String(amzn2AMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SecurityGroupIds: groups}
	if profile != "" {
		in.IamInstanceProfile = &ec2types.IamInstanceProfileSpecification{Name: aws.String(profile)}
	}
	if len(tags) > 0 {
		spec := ec2types.TagSpecification{ResourceType: ec2types.ResourceTypeInstance}
		for k, v := range tags {
			spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		in.TagSpecifications = []ec2types.TagSpecification{spec}
	}
	out, err := ec2.NewFromConfig(cfg).RunInstances(motoserver.Ctx(t), in)
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

func tcp(from, to int32, cidrs ...string) ec2types.IpPermission {
	p := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(from), ToPort: aws.Int32(to)}
	for _, c := range cidrs {
		if strings.Contains(c, ":") {
			p.Ipv6Ranges = append(p.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: aws.String(c)})
		} else {
			p.IpRanges = append(p.IpRanges, ec2types.IpRange{CidrIp: aws.String(c)})
		}
	}
	return p
}

// TestCollectInstancesForSSMAndSSH builds a fleet in moto and follows it end to end through
// collect to the verdicts of ec2-instance-ssm-managed and ec2-ssh-open-to-internet, counting
// the calls: one DescribeSecurityGroups per region with a running instance (none elsewhere),
// and one GetInstanceProfile per distinct profile and one ListAttachedRolePolicies per
// distinct role of the instances SSM does not list as Online, however many instances share
// them.
func TestCollectInstancesForSSMAndSSH(t *testing.T) {
	srv := motoserver.Start(t)
	cfg := srv.Config(instancesRegion)
	instanceProfile(t, cfg, "ssm-core", ssmCorePolicy, cwAgentPolicy)
	instanceProfile(t, cfg, "logs-only", cwAgentPolicy) // a role without the SSM permissions

	sshOpen := securityGroup(t, cfg, "ssh-open", tcp(22, 22, "0.0.0.0/0"))
	sshV6Range := securityGroup(t, cfg, "ssh-v6-range", tcp(20, 25, "::/0"))
	allTraffic := securityGroup(t, cfg, "all-traffic", ec2types.IpPermission{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}})
	private := securityGroup(t, cfg, "private-ssh", tcp(22, 22, "10.0.0.0/8", "fd00::/8"), tcp(0, 65535, "192.168.0.0/16"))
	webOnly := securityGroup(t, cfg, "web", tcp(443, 443, "0.0.0.0/0", "::/0"))
	bastionRef := securityGroup(t, cfg, "from-bastion", ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(private)}}})

	managed := launch(t, cfg, "ssm-core", nil)                                                               // default group only
	noProfile := launch(t, cfg, "", map[string]string{"Name": "legacy"}, sshOpen)                            // no profile, 22 open via IPv4
	lacking1 := launch(t, cfg, "logs-only", nil, sshV6Range, webOnly)                                        // role without SSM, 20-25 from ::/0
	lacking2 := launch(t, cfg, "logs-only", nil, allTraffic)                                                 // same profile, all traffic
	lost := launch(t, cfg, "ssm-core", map[string]string{"ssm:ping": "ConnectionLost"}, private, bastionRef) // private and SG reference only
	stopped := launch(t, cfg, "", nil, sshOpen)
	if _, err := ec2.NewFromConfig(cfg).StopInstances(motoserver.Ctx(t), &ec2.StopInstancesInput{InstanceIds: []string{stopped}}); err != nil {
		t.Fatal(err)
	}
	// A region whose only instance is stopped, and one with none: no DescribeSecurityGroups.
	launchStopped := launch(t, srv.Config("us-west-2"), "", nil)
	if _, err := ec2.NewFromConfig(srv.Config("us-west-2")).StopInstances(motoserver.Ctx(t), &ec2.StopInstancesInput{InstanceIds: []string{launchStopped}}); err != nil {
		t.Fatal(err)
	}

	rec := &awsclient.Recorder{}
	scanCfg := srv.Config(instancesRegion)
	rec.Attach(&scanCfg)
	regions := []string{instancesRegion, "us-west-2", "ap-southeast-2"}
	snap, err := New(Options{Regions: regions}).Snapshot(motoserver.Ctx(t), []Target{{Config: scanCfg}})
	if err != nil {
		t.Fatal(err)
	}
	acct := snap.Accounts[0]
	r := acct.Region(instancesRegion)
	if r.EC2.Error != nil || r.EC2.SecurityGroupsError != nil || !r.EC2.SecurityGroupsRead {
		t.Fatalf("ec2 = %+v", r.EC2)
	}

	ops := rec.Operations()
	if n := ops["EC2:DescribeSecurityGroups"]; n != 1 {
		t.Errorf("DescribeSecurityGroups ran %d times, want once (the one region with a running instance)", n)
	}
	if n := ops["EC2:DescribeInstances"]; n != len(regions) {
		t.Errorf("DescribeInstances ran %d times, want once per region", n)
	}
	// Unmanaged or not Online with a profile: lacking1, lacking2 (logs-only) and lost
	// (ssm-core). managed is Online: its profile needs no read of its own.
	if n := ops["IAM:GetInstanceProfile"]; n != 2 {
		t.Errorf("GetInstanceProfile ran %d times, want 2 (logs-only and ssm-core, once each)", n)
	}
	if n := ops["IAM:ListAttachedRolePolicies"]; n != 2 {
		t.Errorf("ListAttachedRolePolicies ran %d times, want 2 (one per distinct role)", n)
	}
	if rep := rec.Repeated(); len(rep) > 0 {
		t.Errorf("calls repeated with the same input:\n%s", strings.Join(rep, "\n"))
	}

	// What was kept: only the groups instances use, each instance's groups, the profiles.
	kept := map[string]bool{}
	for _, g := range r.EC2.SecurityGroups {
		kept[g.ID] = true
	}
	if kept[webOnly] != true || kept[sshOpen] != true || len(r.EC2.SecurityGroups) != 7 {
		t.Errorf("kept groups %v, want the six groups instances use and the default group", kept)
	}
	for _, in := range r.EC2.Instances {
		if len(in.SecurityGroupIDs) == 0 {
			t.Errorf("instance %s has no security group (the default group should be attached)", in.ID)
		}
	}
	if len(acct.InstanceProfiles) != 2 {
		t.Fatalf("instance profiles = %+v, want logs-only and ssm-core", acct.InstanceProfiles)
	}
	if p := acct.InstanceProfiles[0]; p.Name != "logs-only" || len(p.Roles) != 1 || len(p.Roles[0].AttachedPolicies) != 1 || p.Roles[0].AttachedPolicies[0].ARN != cwAgentPolicy {
		t.Errorf("logs-only profile = %+v", p)
	}

	got := map[string]checks.Finding{}
	list := []*checks.Check{checks.EC2InstanceSSMManaged(), checks.EC2SSHOpenToInternet()}
	for _, f := range checks.Run(snap, list, checks.Options{}) {
		if err := checks.SentenceProblem(f); err != nil {
			t.Error(err)
		}
		got[f.CheckID+" "+f.Resource[strings.LastIndex(f.Resource, "/")+1:]] = f
	}
	for _, tc := range []struct {
		check, instance string
		status          checks.Status
		says            string
	}{
		{"ec2-instance-ssm-managed", managed, checks.Pass, "ping status Online"},
		{"ec2-instance-ssm-managed", noProfile, checks.Fail, "no instance profile"},
		{"ec2-instance-ssm-managed", lacking1, checks.Fail, "neither AmazonSSMManagedInstanceCore nor AmazonEC2RoleforSSM is attached (it has only CloudWatchAgentServerPolicy"},
		{"ec2-instance-ssm-managed", lacking2, checks.Fail, "role logs-only"},
		{"ec2-instance-ssm-managed", lost, checks.Fail, "ping status ConnectionLost"},
		{"ec2-ssh-open-to-internet", managed, checks.Pass, "no security group"},
		{"ec2-ssh-open-to-internet", noProfile, checks.Fail, "allows tcp 22 from 0.0.0.0/0"},
		{"ec2-ssh-open-to-internet", lacking1, checks.Fail, "allows tcp 20-25 from ::/0"},
		{"ec2-ssh-open-to-internet", lacking2, checks.Fail, "allows all traffic from 0.0.0.0/0"},
		{"ec2-ssh-open-to-internet", lost, checks.Pass, "open only to 10.0.0.0/8, 192.168.0.0/16, fd00::/8, security group " + private},
	} {
		f, ok := got[tc.check+" "+tc.instance]
		if !ok {
			t.Errorf("%s %s: no finding", tc.check, tc.instance)
			continue
		}
		if f.Status != tc.status || !strings.Contains(f.Reasoning(), tc.says) {
			t.Errorf("%s %s: %s %q, want %s saying %q", tc.check, tc.instance, f.Status, f.Message, tc.status, tc.says)
		}
		if want := "arn:aws:ec2:" + instancesRegion + ":" + motoserver.DefaultAccount + ":instance/" + tc.instance; f.Resource != want {
			t.Errorf("%s: resource %s, want %s", tc.check, f.Resource, want)
		}
	}
	for key := range got {
		if strings.HasSuffix(key, stopped) || strings.HasSuffix(key, launchStopped) {
			t.Errorf("stopped instance judged: %s", key)
		}
	}
	if len(got) != 10 {
		t.Errorf("%d findings, want 10 (five running instances, two checks)", len(got))
	}
}
