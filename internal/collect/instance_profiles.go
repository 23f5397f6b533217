package collect

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// instanceProfiles reads, once each, the instance profiles of the account's running EC2
// instances that SSM does not list as Online (the ones ec2-instance-ssm-managed will fail and
// must explain), then once per distinct role of those profiles the managed policies attached
// to it. An instance SSM reports Online needs no explanation, and in a region where SSM could
// not be read the check reports ERROR whatever the profile says: neither costs an IAM call.
// Profiles of other accounts are not read. Sorted by ARN.
func (a *accountCollector) instanceProfiles(ctx context.Context, regions []snapshot.Region) []snapshot.InstanceProfile {
	wanted := map[string]bool{}
	for _, r := range regions {
		if r.EC2 == nil || r.SSM == nil || r.SSM.Error != nil {
			continue
		}
		online := map[string]bool{}
		for _, mi := range r.SSM.ManagedInstances {
			online[mi.InstanceID] = mi.PingStatus == "Online"
		}
		for _, in := range r.EC2.Instances {
			if in.State != "running" || online[in.ID] || in.InstanceProfileARN == "" {
				continue
			}
			if account, _ := iamResource(in.InstanceProfileARN, "instance-profile"); account == a.accountID {
				wanted[in.InstanceProfileARN] = true
			}
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	client := a.iamClient(regions[0].Name)
	// GetInstanceProfile takes a name, unique in the account: ARNs that differ only in their
	// path share one read.
	names := map[string]bool{}
	for arn := range wanted {
		names[lastSegment(arn)] = true
	}
	profiles := readIAM(ctx, a.c, sortedKeys(names), "iam:GetInstanceProfile",
		func(name string) profileRead { return readInstanceProfile(ctx, client, name) },
		func(err *snapshot.ReadError) profileRead { return profileRead{err: err} })
	// Then each distinct role once.
	roleNames := map[string]bool{}
	for _, p := range profiles {
		for _, r := range p.roles {
			roleNames[r.Name] = true
		}
	}
	roles := readIAM(ctx, a.c, sortedKeys(roleNames), "iam:ListAttachedRolePolicies",
		func(name string) policiesRead { return readAttachedPolicies(ctx, client, name) },
		func(err *snapshot.ReadError) policiesRead { return policiesRead{err: err} })
	out := make([]snapshot.InstanceProfile, 0, len(wanted))
	for _, arn := range sortedKeys(wanted) {
		pr := profiles[lastSegment(arn)]
		p := snapshot.InstanceProfile{ARN: arn, Name: lastSegment(arn), NotFound: pr.notFound, Error: pr.err}
		for _, r := range pr.roles {
			rr := roles[r.Name]
			r.AttachedPolicies, r.PoliciesError = rr.policies, rr.err
			if r.AttachedPolicies == nil && r.PoliciesError == nil {
				r.AttachedPolicies = []snapshot.AttachedPolicy{}
			}
			p.Roles = append(p.Roles, r)
		}
		out = append(out, p)
	}
	return out
}

type profileRead struct {
	notFound bool
	roles    []snapshot.InstanceRole
	err      *snapshot.ReadError
}

func readInstanceProfile(ctx context.Context, client *iam.Client, name string) profileRead {
	out, err := client.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	switch {
	case errorCode(err) == "NoSuchEntity":
		return profileRead{notFound: true}
	case err != nil:
		return profileRead{err: readError("iam:GetInstanceProfile", err)}
	case out.InstanceProfile == nil:
		return profileRead{err: &snapshot.ReadError{Operation: "iam:GetInstanceProfile", Message: "the answer has no instance profile"}}
	}
	var roles []snapshot.InstanceRole
	for _, r := range out.InstanceProfile.Roles {
		roles = append(roles, snapshot.InstanceRole{Name: aws.ToString(r.RoleName), ARN: aws.ToString(r.Arn)})
	}
	return profileRead{roles: roles}
}

type policiesRead struct {
	policies []snapshot.AttachedPolicy
	err      *snapshot.ReadError
}

func readAttachedPolicies(ctx context.Context, client *iam.Client, role string) policiesRead {
	out := policiesRead{policies: []snapshot.AttachedPolicy{}}
	p := iam.NewListAttachedRolePoliciesPaginator(client, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err := pages(ctx, p.HasMorePages, p.NextPage, "iam:ListAttachedRolePolicies", func(page *iam.ListAttachedRolePoliciesOutput) {
		for _, p := range page.AttachedPolicies {
			out.policies = append(out.policies, snapshot.AttachedPolicy{Name: aws.ToString(p.PolicyName), ARN: aws.ToString(p.PolicyArn)})
		}
	}); err != nil {
		return policiesRead{err: err}
	}
	sort.Slice(out.policies, func(i, j int) bool { return out.policies[i].ARN < out.policies[j].ARN })
	return out
}
