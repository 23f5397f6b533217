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

// roles reads, once each, the IAM roles of this account that EventBridge rule targets of any
// of its regions name in RoleArn: EventBridge assumes that role to invoke the target, and does
// not when the role's trust policy does not trust events.amazonaws.com (or the role is gone).
// Roles of other accounts are not read: only their own account can. Sorted by ARN.
func (a *accountCollector) roles(ctx context.Context, regions []snapshot.Region) []snapshot.Role {
	wanted := map[string]bool{}
	for _, r := range regions {
		if r.EventBridge == nil {
			continue
		}
		for _, rule := range r.EventBridge.Rules {
			for _, t := range rule.Targets {
				if account, name := iamResource(t.RoleARN, "role"); account == a.accountID && name != "" {
					wanted[t.RoleARN] = true
				}
			}
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	// GetRole takes a name, and names are unique in an account: ARNs that differ only in
	// their path share one read.
	names := map[string]bool{}
	for arn := range wanted {
		names[lastSegment(arn)] = true
	}
	client := a.iamClient(regions[0].Name)
	read := readIAM(ctx, a.c, sortedKeys(names), "iam:GetRole",
		func(name string) roleRead { return readRole(ctx, client, name) },
		func(err *snapshot.ReadError) roleRead { return roleRead{err: err} })
	out := make([]snapshot.Role, 0, len(wanted))
	for _, arn := range sortedKeys(wanted) {
		role := snapshot.Role{ARN: arn, Name: lastSegment(arn)}
		switch rr := read[role.Name]; {
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
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
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
