package collect

import (
	"context"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// roles is, once each, the IAM roles of this account that EventBridge rule targets of any of
// its regions name in RoleArn: EventBridge assumes that role to invoke the target, and does
// not when the role's trust policy does not trust events.amazonaws.com (or the role is gone).
// Roles of other accounts are not read: only their own account can. Sorted by ARN. Each was
// read as soon as a region's rules named it (followUps).
func (a *accountCollector) roles(regions []snapshot.Region) []snapshot.Role {
	var out []snapshot.Role
	for _, arn := range a.iamTargets(regions, roleTargets) {
		role := snapshot.Role{ARN: arn, Name: lastSegment(arn)}
		switch rr := a.role(regions[0].Name, role.Name).wait(); {
		case rr.err != nil:
			role.Error = rr.err
		case !rr.found:
			role.NotFound = true
		default:
			role.TrustPolicy = rr.trustPolicy
			role.PermissionsBoundary = rr.boundary
			role.Policies, role.PoliciesError = rr.policies, rr.policiesErr
			role.PoliciesRead = rr.policiesErr == nil
		}
		out = append(out, role)
	}
	return out
}

// roleTargets are the ARNs of the roles of account that a region's rule targets act with:
// the target's RoleArn (EventBridge assumes it to invoke the target), the
// AutomationAssumeRole an SSM Automation target passes (the runbook acts with it), and the
// execution role of a Lambda function a target invokes (the function's code acts with it,
// not with EventBridge's permission to invoke it).
func roleTargets(r *snapshot.Region, account string) []string {
	if r.EventBridge == nil {
		return nil
	}
	functionRoles := map[string]string{}
	if r.Lambda != nil {
		// Only ARN and Role are read, field by field: the delivery follow-up writes the
		// functions' other fields (policy, state, concurrency) at the same time.
		fs := r.Lambda.Functions
		for i := range fs {
			functionRoles[fs[i].ARN] = fs[i].Role
		}
	}
	var arns []string
	add := func(role string) {
		if acct, name := iamResource(role, "role"); acct == account && name != "" {
			arns = append(arns, role)
		}
	}
	for _, rule := range r.EventBridge.Rules {
		for _, t := range rule.Targets {
			add(t.RoleARN)
			add(t.AutomationAssumeRole)
			if role, ok := functionRoles[unqualifiedFunctionARN(t.ARN)]; ok {
				add(role)
			}
		}
	}
	return arns
}

// role is the read of a role (GetRole takes its name).
func (a *accountCollector) role(region, name string) *onceRead[roleRead] {
	return iamOnce(a, &a.roleReads, region, name, "iam:GetRole", readRole, func(err *snapshot.ReadError) roleRead { return roleRead{err: err} })
}

// roleRead is one GetRole answer: whether the role exists and its trust policy, or the error.
type roleRead struct {
	found       bool
	trustPolicy string
	boundary    string
	policies    []snapshot.RolePolicy
	policiesErr *snapshot.ReadError
	err         *snapshot.ReadError
}

func readRole(ctx context.Context, client *iam.Client, name string) roleRead {
	out, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	switch {
	case errorCode(err) == "NoSuchEntity":
		return roleRead{}
	case err != nil:
		return roleRead{err: readError("iam:GetRole", err)}
	case out.Role == nil:
		return roleRead{err: &snapshot.ReadError{Operation: "iam:GetRole", Message: "the answer has no role"}}
	}
	rr := roleRead{found: true, trustPolicy: decodePolicyDocument(aws.ToString(out.Role.AssumeRolePolicyDocument))}
	if out.Role.PermissionsBoundary != nil {
		rr.boundary = aws.ToString(out.Role.PermissionsBoundary.PermissionsBoundaryArn)
	}
	rr.policies, rr.policiesErr = rolePolicies(ctx, client, name)
	return rr
}

// rolePolicies reads a role's permission policies: its inline policies (ListRolePolicies,
// GetRolePolicy) and the default version of each attached managed policy
// (ListAttachedRolePolicies, GetPolicy, GetPolicyVersion). A role target names few roles, so
// these reads are few; each is made once per role.
func rolePolicies(ctx context.Context, client *iam.Client, role string) ([]snapshot.RolePolicy, *snapshot.ReadError) {
	var out []snapshot.RolePolicy
	inline := iam.NewListRolePoliciesPaginator(client, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
	if err := pagesUntil(ctx, inline.HasMorePages, inline.NextPage, "iam:ListRolePolicies", func(page *iam.ListRolePoliciesOutput) *snapshot.ReadError {
		for _, name := range page.PolicyNames {
			p, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
			if err != nil {
				return readError("iam:GetRolePolicy", err)
			}
			out = append(out, snapshot.RolePolicy{Name: name, Document: decodePolicyDocument(aws.ToString(p.PolicyDocument))})
		}
		return nil
	}); err != nil {
		return nil, err
	}
	attached := iam.NewListAttachedRolePoliciesPaginator(client, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err := pagesUntil(ctx, attached.HasMorePages, attached.NextPage, "iam:ListAttachedRolePolicies", func(page *iam.ListAttachedRolePoliciesOutput) *snapshot.ReadError {
		for _, ap := range page.AttachedPolicies {
			p, err := managedPolicy(ctx, client, ap.PolicyName, aws.ToString(ap.PolicyArn))
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// managedPolicy reads the default version of a managed policy (GetPolicy, GetPolicyVersion).
// An answer without the default version is an error, not an empty policy.
func managedPolicy(ctx context.Context, client *iam.Client, name *string, arn string) (snapshot.RolePolicy, *snapshot.ReadError) {
	pol, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return snapshot.RolePolicy{}, readError("iam:GetPolicy", err)
	}
	if pol.Policy == nil || aws.ToString(pol.Policy.DefaultVersionId) == "" {
		return snapshot.RolePolicy{}, &snapshot.ReadError{Operation: "iam:GetPolicy", Code: "EmptyAnswer", Message: "policy " + arn + " has no default version"}
	}
	v, err := client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: pol.Policy.DefaultVersionId})
	if err != nil {
		return snapshot.RolePolicy{}, readError("iam:GetPolicyVersion", err)
	}
	if v.PolicyVersion == nil {
		return snapshot.RolePolicy{}, &snapshot.ReadError{Operation: "iam:GetPolicyVersion", Code: "EmptyAnswer", Message: "policy " + arn + ": the answer has no version"}
	}
	return snapshot.RolePolicy{Name: aws.ToString(name), ARN: arn, Document: decodePolicyDocument(aws.ToString(v.PolicyVersion.Document))}, nil
}

// decodePolicyDocument undoes the URL encoding (RFC 3986) in which IAM returns policy
// documents. A document that is already plain JSON (it starts with "{", which the encoding
// would have written %7B) is kept as it is, and so is one that does not decode.
func decodePolicyDocument(doc string) string {
	if strings.HasPrefix(strings.TrimSpace(doc), "{") {
		return doc
	}
	decoded, err := url.PathUnescape(doc)
	if err != nil {
		return doc
	}
	return decoded
}

// iamResource is the account and the name of an IAM ARN of the kind of resource given ("role",
// "instance-profile"): arn:PARTITION:iam::ACCOUNT:KIND/PATH/NAME, in any partition. The name
// is the last segment of the path (IAM's Get calls take the name alone). Both are "" for any
// other ARN, or what is not an ARN.
func iamResource(s, kind string) (account, name string) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, kind+"/") {
		return "", ""
	}
	return a.AccountID, lastSegment(a.Resource)
}

// lastSegment is the name in an IAM ARN: the last segment of its path.
func lastSegment(s string) string { return s[strings.LastIndex(s, "/")+1:] }

// instanceProfiles is, once each, the instance profiles of the account's running EC2
// instances that SSM does not list as Online (the ones ec2-instance-ssm-managed will fail and
// must explain), with, once per distinct role of those profiles, the managed policies attached
// to it. An instance SSM reports Online needs no explanation, and in a region where SSM could
// not be read the check reports ERROR whatever the profile says: neither costs an IAM call.
// Profiles of other accounts are not read. Sorted by ARN. Each was read as soon as a region's
// instances named it (followUps).
func (a *accountCollector) instanceProfiles(regions []snapshot.Region) []snapshot.InstanceProfile {
	var out []snapshot.InstanceProfile
	for _, arn := range a.iamTargets(regions, profileTargets) {
		region := regions[0].Name
		pr := a.instanceProfile(region, lastSegment(arn)).wait()
		p := snapshot.InstanceProfile{ARN: arn, Name: lastSegment(arn), NotFound: pr.notFound, Error: pr.err}
		for _, r := range pr.roles {
			rr := a.attachedPolicies(region, r.Name).wait()
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

// profileTargets are the ARNs of the instance profiles of account that a region's running
// instances use and SSM does not list as Online.
func profileTargets(r *snapshot.Region, account string) []string {
	if r.EC2 == nil || r.SSM == nil || r.SSM.Error != nil {
		return nil
	}
	// By index, reading only the fields needed: ssh-log-streams may be filling in the managed
	// instances' tags meanwhile.
	online := map[string]bool{}
	for i := range r.SSM.ManagedInstances {
		mi := &r.SSM.ManagedInstances[i]
		online[mi.InstanceID] = mi.PingStatus == "Online"
	}
	var arns []string
	for i := range r.EC2.Instances {
		in := &r.EC2.Instances[i]
		if in.State != "running" || online[in.ID] || in.InstanceProfileARN == "" {
			continue
		}
		if acct, _ := iamResource(in.InstanceProfileARN, "instance-profile"); acct == account {
			arns = append(arns, in.InstanceProfileARN)
		}
	}
	return arns
}

// instanceProfile is the read of an instance profile (GetInstanceProfile takes its name), then
// of the attached policies of each of its roles, once per distinct role.
func (a *accountCollector) instanceProfile(region, name string) *onceRead[profileRead] {
	read := func(ctx context.Context, client *iam.Client, name string) profileRead {
		p := readInstanceProfile(ctx, client, name)
		for _, r := range p.roles {
			a.attachedPolicies(region, r.Name)
		}
		return p
	}
	return iamOnce(a, &a.profileReads, region, name, "iam:GetInstanceProfile", read, func(err *snapshot.ReadError) profileRead { return profileRead{err: err} })
}

func (a *accountCollector) attachedPolicies(region, role string) *onceRead[policiesRead] {
	return iamOnce(a, &a.policyReads, region, role, "iam:ListAttachedRolePolicies", readAttachedPolicies, func(err *snapshot.ReadError) policiesRead { return policiesRead{err: err} })
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

// iamOnce starts (once: o holds the reads of one kind) the IAM read of the item name, with
// the account's IAM client (built for region on first use), under the IAM service's bound and
// the global one (Collector.doAs). IAM names are unique in an account, so ARNs that differ
// only in their path share one read. A read that never got a slot, because the scan ended
// while it waited, is unread(the context's error, as a read error of operation): not read,
// not absent.
func iamOnce[R any](a *accountCollector, o *once[R], region, name, operation string, read func(ctx context.Context, client *iam.Client, name string) R, unread func(*snapshot.ReadError) R) *onceRead[R] {
	client := a.iamClient(region)
	return o.start(a, name, func(ctx context.Context) R {
		var r R
		ran := false
		a.c.doAs(ctx, "iam", func() { ran, r = true, read(ctx, client, name) })
		if !ran {
			r = unread(readError(operation, ctx.Err()))
		}
		return r
	})
}

// iamFollowUp is a follow-up that starts, once the account is known, the read (start) of each
// IAM item of the account that a region's answers name (targets lists their ARNs).
func iamFollowUp(targets func(r *snapshot.Region, account string) []string, start func(a *accountCollector, region, name string)) func(*accountCollector, context.Context, *regionClients, *snapshot.Region) {
	return func(a *accountCollector, ctx context.Context, rc *regionClients, r *snapshot.Region) {
		id, ok := a.id(ctx)
		if !ok {
			return
		}
		for _, arn := range targets(r, id) {
			start(a, rc.region, lastSegment(arn))
		}
	}
}

// iamTargets are the ARNs that targets lists in any of the regions read, sorted, once each.
func (a *accountCollector) iamTargets(regions []snapshot.Region, targets func(r *snapshot.Region, account string) []string) []string {
	wanted := map[string]bool{}
	for i := range regions {
		for _, arn := range targets(&regions[i], a.accountID) {
			wanted[arn] = true
		}
	}
	return sortedKeys(wanted)
}
