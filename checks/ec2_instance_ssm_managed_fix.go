package checks

import (
	"fmt"
	"strings"

	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// What lookout creates so that an instance without an instance profile can register with SSM
// and ship its logs: one role and one instance profile per account, both of this name.
const fixSSMInstanceName = "lookout-ssm-instance"

// The AWS managed policies the role gets: what the SSM Agent needs to register and report,
// and what the CloudWatch Agent needs to ship logs and read its AmazonCloudWatch-*
// configuration.
var fixSSMInstancePolicies = []string{"AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"}

// planEC2InstanceSSMManaged gives an instance that has no instance profile lookout's:
// role lookout-ssm-instance (trusted by ec2.amazonaws.com, tagged) with the two managed
// policies attached, instance profile lookout-ssm-instance holding it (tagged), and the
// association of that profile with the instance. IAM is global: its actions are planned in
// the home region, so that several instances share one role and profile (plan.Dedupe).
//
// An instance that has a profile keeps it: lookout never replaces one (the instance's
// software may depend on its role). The plan then has no action and its note says what to
// change by hand. A profile-less instance that SSM lists with another ping status gets the
// profile too: the status says the agent lost contact, and credentials are what it lacks.
func planEC2InstanceSSMManaged(s *snapshot.Snapshot, f Finding, o FixOptions) ([]plan.Action, string, error) {
	a, r, in, err := fixInstance(s, f)
	if err != nil {
		return nil, "", err
	}
	if in.InstanceProfileARN != "" {
		why, _ := unmanagedReason(a, in)
		return nil, fmt.Sprintf("%s already has instance profile %s and lookout never replaces one: %s. By hand: attach "+
			"AmazonSSMManagedInstanceCore to the profile's role, or check the SSM Agent and its route to the SSM endpoints",
			in.ID, lastPathSegment(in.InstanceProfileARN), why), nil
	}
	p := fixPartition(a)
	home := o.HomeRegion
	if home == "" {
		home = r.Name
	}
	roleARN := fixARN(p, "iam", "", a.ID, "role/"+fixSSMInstanceName)
	profileARN := fixARN(p, "iam", "", a.ID, "instance-profile/"+fixSSMInstanceName)
	trust := fixPolicy(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
	out := []plan.Action{
		{Region: home, Target: roleARN, Effect: plan.Create,
			Params: plan.CreateRole{RoleName: fixSSMInstanceName, AssumeRolePolicyDocument: trust, Tags: fixTags(),
				Description: "lookout: lets EC2 instances register with Systems Manager and ship logs with the CloudWatch Agent"},
			Why: "the role the instance's SSM Agent and CloudWatch Agent act with"},
	}
	for _, name := range fixSSMInstancePolicies {
		out = append(out, plan.Action{Region: home, Target: roleARN, Effect: plan.Configure,
			Params: plan.AttachRolePolicy{RoleName: fixSSMInstanceName, PolicyARN: fixARN(p, "iam", "", "aws", "policy/"+name)},
			Why:    "attaches the AWS managed policy " + name})
	}
	out = append(out,
		plan.Action{Region: home, Target: profileARN, Effect: plan.Create,
			Params: plan.CreateInstanceProfile{InstanceProfileName: fixSSMInstanceName, Tags: fixTags()},
			Why:    "the instance profile that hands the role to instances"},
		plan.Action{Region: home, Target: profileARN, Effect: plan.Configure,
			Params: plan.AddRoleToInstanceProfile{InstanceProfileName: fixSSMInstanceName, RoleName: fixSSMInstanceName},
			Why:    "puts role " + fixSSMInstanceName + " in the profile"},
		plan.Action{Region: r.Name, Target: f.Resource, Effect: plan.Change,
			Params: plan.AssociateIamInstanceProfile{InstanceID: in.ID, IamInstanceProfile: plan.InstanceProfileRef{Name: fixSSMInstanceName}},
			Why:    "gives " + in.ID + ", which has no instance profile, lookout's (no restart needed)"},
	)
	return out, "the SSM Agent must be installed on " + in.ID + " (it is on Amazon Linux, Ubuntu Server and Windows Server AMIs from AWS) " +
		"and reach the ssm, ssmmessages and ec2messages endpoints; it registers within minutes of getting credentials, and a rescan then judges it", nil
}

// fixInstance finds the account, region and instance of an instance finding (resource: the
// instance ARN).
func fixInstance(s *snapshot.Snapshot, f Finding) (*snapshot.Account, *snapshot.Region, *snapshot.Instance, error) {
	a, r, err := fixAccountRegion(s, f)
	if err != nil {
		return nil, nil, nil, err
	}
	if r.EC2 == nil {
		return nil, nil, nil, fmt.Errorf("EC2 was not read in %s", r.Name)
	}
	id := lastPathSegment(f.Resource)
	for i := range r.EC2.Instances {
		if r.EC2.Instances[i].ID == id {
			return a, r, &r.EC2.Instances[i], nil
		}
	}
	return nil, nil, nil, fmt.Errorf("instance %s is not in the snapshot", id)
}

func lastPathSegment(s string) string { return s[strings.LastIndex(s, "/")+1:] }
