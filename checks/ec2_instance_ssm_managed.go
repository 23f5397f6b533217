package checks

import (
	"fmt"
	"strings"
	"time"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// EC2InstanceSSMManaged verifies that every running EC2 instance reports to Systems Manager.
// ssm-cloudwatch-agent-ssh-logs judges only the instances SSM lists, so an instance whose
// agent never registered would otherwise get no finding at all, and a scan could be green
// while half the fleet's SSH logs go nowhere (the AWS Well-Architected security lab's design:
// Systems Manager manages every instance, and Session Manager replaces SSH).
func EC2InstanceSSMManaged() *Check {
	return &Check{
		ID:       "ec2-instance-ssm-managed",
		Title:    "EC2 instance is managed by Systems Manager",
		Severity: High,
		Service:  "ec2",
		Verifies: "The running instance (any platform) is listed by SSM's DescribeInstanceInformation with ping status " +
			"Online: its SSM Agent registered and reports, so Session Manager reaches it and its SSH logs can be verified. " +
			"A FAIL names what lookout can see of why: the ping status SSM reports, no instance profile, or a profile " +
			"whose role has neither AmazonSSMManagedInstanceCore nor AmazonEC2RoleforSSM attached (inline policies are " +
			"not evaluated). Stopped instances get no finding.",
		Remediation: "Give the instance an instance profile whose role has AmazonSSMManagedInstanceCore (and " +
			"CloudWatchAgentServerPolicy to ship logs), or enable Default Host Management Configuration; make sure the SSM " +
			"Agent runs and reaches the ssm, ssmmessages and ec2messages endpoints (internet or VPC endpoints).",
		FixSummary: "for an instance without an instance profile: role and instance profile lookout-ssm-instance " +
			"(AmazonSSMManagedInstanceCore + CloudWatchAgentServerPolicy, trusted by ec2.amazonaws.com), associated with " +
			"the instance; an existing profile is never replaced",
		Frameworks: map[string]string{"aws-securityhub": "SSM.1"},
		Run:        runEC2InstanceSSMManaged,
		Plan:       planEC2InstanceSSMManaged,
	}
}

// ssmCorePolicies are the AWS managed policies that give the SSM Agent what it needs to
// register and report (AmazonEC2RoleforSSM is the deprecated predecessor of the core policy).
var ssmCorePolicies = map[string]bool{"AmazonSSMManagedInstanceCore": true, "AmazonEC2RoleforSSM": true}

func runEC2InstanceSSMManaged(c *Check, s *snapshot.Snapshot, _ Options) []Finding {
	return c.perRunningInstance(s, c.ssmManaged)
}

// perRunningInstance judges every running instance of every region with judge; a region whose
// instances could not be read gives its one ERROR finding instead.
func (c *Check) perRunningInstance(s *snapshot.Snapshot, judge func(*snapshot.Account, *snapshot.Region, *snapshot.Instance) Finding) []Finding {
	return perRegion(s, func(a *snapshot.Account, r *snapshot.Region) []Finding {
		running, stop := c.runningInstances(a, r)
		if stop != nil {
			return []Finding{*stop}
		}
		var out []Finding
		for _, in := range running {
			out = append(out, judge(a, r, in))
		}
		return out
	})
}

// runningInstances lists the region's running instances, or says why they cannot be listed
// (one ERROR finding for the region). Shared by the two EC2 instance checks.
func (c *Check) runningInstances(a *snapshot.Account, r *snapshot.Region) ([]*snapshot.Instance, *Finding) {
	res := a.ARN("ec2", r.Name, "instance/*")
	switch {
	case r.EC2 == nil:
		f := c.notCollected(a.ID, r.Name, res, "EC2 (instances)")
		return nil, &f
	case r.EC2.Error != nil:
		f := c.readError(a.ID, r.Name, res, r.EC2.Error, "the EC2 instances of "+r.Name)
		return nil, &f
	}
	var out []*snapshot.Instance
	for i := range r.EC2.Instances {
		if r.EC2.Instances[i].State == "running" {
			out = append(out, &r.EC2.Instances[i])
		}
	}
	return out, nil
}

// instanceARN is the ARN of an instance, in the account's partition.
func instanceARN(a *snapshot.Account, region, id string) string {
	return a.ARN("ec2", region, "instance/"+id)
}

func (c *Check) ssmManaged(a *snapshot.Account, r *snapshot.Region, in *snapshot.Instance) Finding {
	res := instanceARN(a, r.Name, in.ID)
	evidence := InstanceEvidence{Instance: InstanceSummary{
		ID: in.ID, State: in.State, Platform: orDefault(in.Platform, "linux/unix"),
		InstanceProfileARN: in.InstanceProfileARN, Name: in.Tags["Name"],
	}}
	finding := func(status Status, msg string) Finding {
		f := c.finding(a.ID, r.Name, res, status, msg)
		f.Evidence = evidence
		return f
	}
	switch {
	case r.SSM == nil:
		return finding(Error, fmt.Sprintf("cannot tell whether %s reports to SSM: Systems Manager (managed instances) was not collected in this snapshot", in.ID))
	case r.SSM.Error != nil:
		f := c.readError(a.ID, r.Name, res, r.SSM.Error, "the SSM managed instances of "+r.Name+" (needed to judge "+in.ID+")")
		evidence.ReadError = r.SSM.Error
		f.Evidence = evidence
		return f
	}
	var mi *snapshot.ManagedInstance
	for i := range r.SSM.ManagedInstances {
		if r.SSM.ManagedInstances[i].InstanceID == in.ID {
			mi = &r.SSM.ManagedInstances[i]
		}
	}
	label := instanceName(in)
	if mi != nil {
		evidence.SSM = &SSMPingEvidence{PingStatus: mi.PingStatus, LastPingTime: mi.LastPingTime,
			AgentVersion: mi.AgentVersion, PlatformName: mi.PlatformName}
		if mi.PingStatus == "Online" {
			msg := fmt.Sprintf("%s reports to SSM (ping status Online", label)
			if mi.AgentVersion != "" {
				msg += ", agent " + mi.AgentVersion
			}
			return finding(Pass, msg+")")
		}
		msg := fmt.Sprintf("%s is registered with SSM but not reporting: ping status %s", label, orDefault(mi.PingStatus, "unknown"))
		if mi.LastPingTime != nil {
			msg += ", last ping " + mi.LastPingTime.UTC().Format(time.RFC3339)
		}
		return finding(Fail, msg+" (the SSM Agent stopped, or lost its credentials or its route to the SSM endpoints); its SSH logs cannot be verified")
	}
	why, detail := unmanagedReason(a, in)
	evidence.InstanceProfile = detail
	return finding(Fail, fmt.Sprintf("%s is not managed by SSM (DescribeInstanceInformation does not list it): %s; its SSH logs cannot be verified", label, why))
}

// instanceName is "i-... (Name)" when the instance has a Name tag.
func instanceName(in *snapshot.Instance) string {
	if n := in.Tags["Name"]; n != "" {
		return fmt.Sprintf("%s (%s)", in.ID, n)
	}
	return in.ID
}

// unmanagedReason says what lookout can see of why SSM does not list a running instance, from
// its instance profile as read in the account, with that read as evidence.
func unmanagedReason(a *snapshot.Account, in *snapshot.Instance) (string, *InstanceProfileEvidence) {
	if in.InstanceProfileARN == "" {
		return "it has no instance profile, so the SSM Agent has no credentials to register with", nil
	}
	var p *snapshot.InstanceProfile
	for i := range a.InstanceProfiles {
		if a.InstanceProfiles[i].ARN == in.InstanceProfileARN {
			p = &a.InstanceProfiles[i]
		}
	}
	name := in.InstanceProfileARN[strings.LastIndex(in.InstanceProfileARN, "/")+1:]
	switch {
	case p == nil:
		return fmt.Sprintf("its instance profile %s was not read, so lookout cannot tell whether its role allows SSM", name), nil
	case p.Error != nil:
		return fmt.Sprintf("its instance profile %s could not be read (%s)", name, p.Error.Error()), &InstanceProfileEvidence{ARN: p.ARN, ReadError: p.Error}
	case p.NotFound:
		return fmt.Sprintf("its instance profile %s does not exist any more, so the SSM Agent has no credentials", name), &InstanceProfileEvidence{ARN: p.ARN, NotFound: true}
	case len(p.Roles) == 0:
		return fmt.Sprintf("its instance profile %s holds no role, so the SSM Agent has no credentials", name), &InstanceProfileEvidence{ARN: p.ARN}
	}
	role := p.Roles[0]
	detail := &InstanceProfileEvidence{ARN: p.ARN, Role: role.Name, AttachedPolicies: role.AttachedPolicies}
	if role.PoliciesError != nil {
		detail.ReadError = role.PoliciesError
		return fmt.Sprintf("the policies of its role %s (instance profile %s) could not be read (%s)", role.Name, name, role.PoliciesError.Error()), detail
	}
	var names []string
	for _, pol := range role.AttachedPolicies {
		if awsManagedPolicy(pol.ARN) && ssmCorePolicies[pol.Name] {
			return fmt.Sprintf("its role %s (instance profile %s) has %s attached, so the cause is on the instance or its network: "+
				"the SSM Agent is not installed or not running, or cannot reach the ssm, ssmmessages and ec2messages endpoints", role.Name, name, pol.Name), detail
		}
		names = append(names, pol.Name)
	}
	attached := "no managed policy"
	if len(names) > 0 {
		attached = "only " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("its role %s (instance profile %s) lacks the SSM core permissions: neither AmazonSSMManagedInstanceCore nor "+
		"AmazonEC2RoleforSSM is attached (it has %s; inline policies were not evaluated)", role.Name, name, attached), detail
}

// awsManagedPolicy reports whether a policy ARN is an AWS managed policy
// (arn:PARTITION:iam::aws:policy/...), not a customer policy that borrows its name.
func awsManagedPolicy(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[4] == "aws" && strings.HasPrefix(parts[5], "policy/")
}
