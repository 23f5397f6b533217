package fixcmd

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/plan"
)

// moto's AMI catalogue: Windows Server 2012 R2 and Amazon Linux 2.
const (
	windowsAMI = "ami-1ecc1e67"
	amzn2AMI   = "ami-04681a1dbd79675a5"
)

// sshOpenGroup creates a security group admitting TCP 22 from 0.0.0.0/0 and ::/0, and 443
// from 0.0.0.0/0 (which a fix must leave alone).
func sshOpenGroup(t *testing.T, cfg aws.Config, name string) string {
	t.Helper()
	ctx := motoserver.Ctx(t)
	c := ec2.NewFromConfig(cfg)
	out, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: out.GroupId, IpPermissions: []ec2types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}, Ipv6Ranges: []ec2types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}},
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}},
	}}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.GroupId)
}

// TestFixSSMManagedAndSSHRevoke: a Linux instance with no instance profile whose group admits
// SSH from the internet, and one whose profile's role lacks the SSM permissions. Without
// --allow-revoke the SSH plan has no action and says why. With it, `fix --apply` revokes
// exactly the two internet rules for port 22 (443 stays), gives the profile-less instance
// lookout-ssm-instance, and a rescan passes both checks for it; the other instance keeps its
// profile (a plan with a note) and still fails. A second run plans nothing for these checks,
// and the newly managed Linux instance is now one ssm-cloudwatch-agent-ssh-logs plans for.
func TestFixSSMManagedAndSSHRevoke(t *testing.T) {
	s := moto(t)
	ctx := motoserver.Ctx(t)
	cfg := s.Config("us-east-1")
	ec := ec2.NewFromConfig(cfg)
	group := sshOpenGroup(t, cfg, "ssh-from-anywhere")
	run := func(profile string, groups ...string) string {
		in := &ec2.RunInstancesInput{ImageId: aws.String(amzn2AMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SecurityGroupIds: groups}
		if profile != "" {
			in.IamInstanceProfile = &ec2types.IamInstanceProfileSpecification{Name: aws.String(profile)}
		}
		out, err := ec.RunInstances(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Instances[0].InstanceId)
	}
	im := iam.NewFromConfig(cfg)
	if _, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("app"), RoleName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	bare := run("", group)
	withProfile := run("app")

	ids := []string{"ec2-instance-ssm-managed", "ec2-ssh-open-to-internet"}
	key := func(check, instance string) string {
		return check + " us-east-1 arn:aws:ec2:us-east-1:" + motoserver.DefaultAccount + ":instance/" + instance
	}
	before := statuses(scanNow(t, s, ids...))
	for k, want := range map[string]checks.Status{
		key("ec2-instance-ssm-managed", bare): checks.Fail, key("ec2-instance-ssm-managed", withProfile): checks.Fail,
		key("ec2-ssh-open-to-internet", bare): checks.Fail, key("ec2-ssh-open-to-internet", withProfile): checks.Pass,
	} {
		if before[k] != want {
			t.Fatalf("setup: %s is %s, want %s (all: %v)", k, before[k], want, before)
		}
	}

	only := func(allow bool) func(*Options) {
		return func(o *Options) { o.Checks, o.AllowRevoke = ids, allow }
	}
	plansOf := func(d plan.Document, check string) []plan.Plan {
		var out []plan.Plan
		for _, p := range d.Plans {
			if p.CheckID == check {
				out = append(out, p)
			}
		}
		return out
	}

	// Without --allow-revoke: the revoke is not planned, and the plan says how to get it.
	dry, err, stderr := fix(t, false, only(false))
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, stderr)
	}
	if ps := plansOf(dry, "ec2-ssh-open-to-internet"); len(ps) != 1 || len(ps[0].Actions) != 0 || !strings.Contains(ps[0].Note, "--allow-revoke") {
		t.Fatalf("SSH plans without --allow-revoke = %+v", ps)
	}

	doc, err, stderr := fix(t, true, only(true))
	if err != nil {
		t.Fatalf("apply: %v\n%s\n%s", err, stderr, strings.Join(actions(doc), "\n"))
	}
	var revokes int
	for _, p := range doc.Plans {
		for _, a := range p.Actions {
			if a.Outcome != plan.Done {
				t.Errorf("%s: %s %s: %s %s", p.CheckID, a.IAMAction(), a.Target, a.Outcome, a.Detail)
			}
			if a.IAMAction() == "ec2:RevokeSecurityGroupIngress" {
				revokes++
			}
		}
	}
	if revokes != 2 {
		t.Errorf("%d revokes, want 2 (22 from 0.0.0.0/0 and from ::/0): %v", revokes, actions(doc))
	}
	ssm := plansOf(doc, "ec2-instance-ssm-managed")
	if len(ssm) != 2 {
		t.Fatalf("SSM plans = %+v", ssm)
	}
	for _, p := range ssm {
		switch {
		case strings.HasSuffix(p.Resource, bare) && len(p.Actions) != 6:
			t.Errorf("profile-less instance: %v, want role, two policies, profile, role in profile, association", actions(plan.Document{Plans: []plan.Plan{p}}))
		case strings.HasSuffix(p.Resource, withProfile) && (len(p.Actions) != 0 || !strings.Contains(p.Note, "never replaces")):
			t.Errorf("instance with a profile: %d actions, note %q", len(p.Actions), p.Note)
		}
	}

	after := statuses(scanNow(t, s, ids...))
	for k, want := range map[string]checks.Status{
		key("ec2-instance-ssm-managed", bare): checks.Pass, key("ec2-ssh-open-to-internet", bare): checks.Pass,
		key("ec2-instance-ssm-managed", withProfile): checks.Fail,
	} {
		if after[k] != want {
			t.Errorf("after fix: %s is %s, want %s", k, after[k], want)
		}
	}
	groups, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{group}})
	if err != nil {
		t.Fatal(err)
	}
	if perms := groups.SecurityGroups[0].IpPermissions; len(perms) != 1 || aws.ToInt32(perms[0].FromPort) != 443 {
		t.Errorf("the group's rules after the revoke: %+v, want only 443 left", perms)
	}
	desc, err := ec.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{bare, withProfile}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range desc.Reservations {
		for _, in := range r.Instances {
			want := map[string]string{bare: "/lookout-ssm-instance", withProfile: "/app"}[aws.ToString(in.InstanceId)]
			if in.IamInstanceProfile == nil || !strings.HasSuffix(aws.ToString(in.IamInstanceProfile.Arn), want) {
				t.Errorf("%s has profile %+v, want ...%s", aws.ToString(in.InstanceId), in.IamInstanceProfile, want)
			}
		}
	}

	again, err, stderr := fix(t, true, only(true))
	if err != nil {
		t.Fatalf("second apply: %v\n%s", err, stderr)
	}
	if n := plan.Count(again.Plans); n != 0 {
		t.Errorf("second fix --apply planned %d actions: %v", n, actions(again))
	}
	// Now SSM manages the Linux instance, its SSH log shipping is judged and planned.
	agent, err, stderr := fix(t, false, func(o *Options) { o.Checks = []string{"ssm-cloudwatch-agent-ssh-logs"} })
	if err != nil {
		t.Fatalf("agent plan: %v\n%s", err, stderr)
	}
	if ps := plansOf(agent, "ssm-cloudwatch-agent-ssh-logs"); len(ps) != 1 || !strings.HasSuffix(ps[0].Resource, bare) || len(ps[0].Actions) == 0 {
		t.Errorf("ssm-cloudwatch-agent-ssh-logs plans for the newly managed instance = %+v", ps)
	}
}

// TestSSHOpenThroughPrefixLists: a rule naming a managed prefix list admits what the list
// holds (read with GetManagedPrefixListEntries): an instance whose port 22 admits a list of
// office ranges passes, one whose list holds 0.0.0.0/0 fails, and `fix --apply
// --allow-revoke` removes that group's reference to the list (the list stays), after which it
// passes.
func TestSSHOpenThroughPrefixLists(t *testing.T) {
	s := moto(t)
	ctx := motoserver.Ctx(t)
	cfg := s.Config("us-east-1")
	ec := ec2.NewFromConfig(cfg)
	list := func(name string, cidrs ...string) string {
		var entries []ec2types.AddPrefixListEntry
		for _, c := range cidrs {
			entries = append(entries, ec2types.AddPrefixListEntry{Cidr: aws.String(c)})
		}
		out, err := ec.CreateManagedPrefixList(ctx, &ec2.CreateManagedPrefixListInput{PrefixListName: aws.String(name), AddressFamily: aws.String("IPv4"),
			MaxEntries: aws.Int32(10), Entries: entries})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.PrefixList.PrefixListId)
	}
	group := func(name, listID string) string {
		out, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: out.GroupId, IpPermissions: []ec2types.IpPermission{
			{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), PrefixListIds: []ec2types.PrefixListId{{PrefixListId: aws.String(listID)}}},
		}}); err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.GroupId)
	}
	run := func(group string) string {
		out, err := ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(amzn2AMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SecurityGroupIds: []string{group}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Instances[0].InstanceId)
	}
	openList, officeList := list("anywhere", "10.0.0.0/8", "0.0.0.0/0"), list("office", "203.0.113.0/24")
	openGroup := group("via-open-list", openList)
	exposed, office := run(openGroup), run(group("via-office-list", officeList))
	key := func(instance string) string {
		return "ec2-ssh-open-to-internet us-east-1 arn:aws:ec2:us-east-1:" + motoserver.DefaultAccount + ":instance/" + instance
	}
	var messages []string
	for _, f := range scanNow(t, s, "ec2-ssh-open-to-internet") {
		messages = append(messages, f.Reasoning())
	}
	before := statuses(scanNow(t, s, "ec2-ssh-open-to-internet"))
	if before[key(exposed)] != checks.Fail || before[key(office)] != checks.Pass {
		t.Fatalf("before: %v\n%s", before, strings.Join(messages, "\n"))
	}
	if !strings.Contains(strings.Join(messages, "\n"), "from prefix list "+openList+", which holds 0.0.0.0/0") {
		t.Errorf("messages do not name the list and its entry:\n%s", strings.Join(messages, "\n"))
	}

	doc, err, stderr := fix(t, true, func(o *Options) { o.Checks, o.AllowRevoke = []string{"ec2-ssh-open-to-internet"}, true })
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, stderr)
	}
	var revokes []string
	for _, p := range doc.Plans {
		for _, a := range p.Actions {
			if a.IAMAction() == "ec2:RevokeSecurityGroupIngress" {
				revokes = append(revokes, a.Key()+" "+string(a.Outcome))
			}
		}
	}
	if len(revokes) != 1 || !strings.Contains(revokes[0], `"PrefixListIds":[{"PrefixListId":"`+openList+`"}]`) || !strings.HasSuffix(revokes[0], " done") {
		t.Fatalf("revokes = %v, want the one reference to %s, done", revokes, openList)
	}
	after := statuses(scanNow(t, s, "ec2-ssh-open-to-internet"))
	if after[key(exposed)] != checks.Pass || after[key(office)] != checks.Pass {
		t.Errorf("after: %v", after)
	}
	entries, err := ec.GetManagedPrefixListEntries(ctx, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(openList)})
	if err != nil || len(entries.Entries) != 2 {
		t.Errorf("the list itself must stay as it was: %+v, %v", entries, err)
	}
}
