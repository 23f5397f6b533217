package collect

import (
	"context"
	"sort"
	"strings"
	"sync"

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
			if iamARNAccount(in.InstanceProfileARN, "instance-profile/") == a.accountID {
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
	profiles := map[string]*profileRead{}
	for arn := range wanted {
		profiles[lastSegment(arn)] = &profileRead{}
	}
	a.eachIAM(ctx, sortedKeys(profiles), "iam:GetInstanceProfile", func(name string, err *snapshot.ReadError) {
		if err != nil {
			profiles[name].err = err
			return
		}
		*profiles[name] = readInstanceProfile(ctx, client, name)
	})
	// Then each distinct role once.
	roles := map[string]*policiesRead{}
	for _, p := range profiles {
		for _, r := range p.roles {
			roles[r.Name] = &policiesRead{}
		}
	}
	a.eachIAM(ctx, sortedKeys(roles), "iam:ListAttachedRolePolicies", func(name string, err *snapshot.ReadError) {
		if err != nil {
			roles[name].err = err
			return
		}
		*roles[name] = readAttachedPolicies(ctx, client, name)
	})
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

// eachIAM runs read for every name at once, each under the IAM service's bound; a read that
// never got a slot (the scan ended first) is given the context's error: not read, not absent.
func (a *accountCollector) eachIAM(ctx context.Context, names []string, operation string, read func(name string, err *snapshot.ReadError)) {
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ran := false
			a.c.doAs(ctx, "iam", func() { ran = true; read(name, nil) })
			if !ran {
				read(name, readError(operation, ctx.Err()))
			}
		}()
	}
	wg.Wait()
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
	pages := iam.NewListAttachedRolePoliciesPaginator(client, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return policiesRead{err: readError("iam:ListAttachedRolePolicies", err)}
		}
		for _, p := range page.AttachedPolicies {
			out.policies = append(out.policies, snapshot.AttachedPolicy{Name: aws.ToString(p.PolicyName), ARN: aws.ToString(p.PolicyArn)})
		}
	}
	sort.Slice(out.policies, func(i, j int) bool { return out.policies[i].ARN < out.policies[j].ARN })
	return out
}

// iamARNAccount is the account of an IAM ARN whose resource starts with prefix
// (arn:PARTITION:iam::ACCOUNT:instance-profile/PATH/NAME), "" for anything else.
func iamARNAccount(arn, prefix string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], prefix) {
		return ""
	}
	return parts[4]
}

// lastSegment is the name in an IAM ARN: the last segment of its path.
func lastSegment(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }
