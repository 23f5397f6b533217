package collect

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
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
				if roleAccount(t.RoleARN) == a.accountID && roleName(t.RoleARN) != "" {
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
	read := map[string]*roleRead{}
	for arn := range wanted {
		read[roleName(arn)] = &roleRead{}
	}
	client := a.iamClient(regions[0].Name)
	var wg sync.WaitGroup
	for name, rr := range read {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ran := false
			a.c.doAs(ctx, "iam", func() { ran, *rr = true, readRole(ctx, client, name) })
			if !ran { // the scan ended before a slot was free: not read, not absent
				rr.err = readError("iam:GetRole", ctx.Err())
			}
		}()
	}
	wg.Wait()
	out := make([]snapshot.Role, 0, len(wanted))
	for _, arn := range sortedKeys(wanted) {
		role := snapshot.Role{ARN: arn, Name: roleName(arn)}
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
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return nil, readError("iam:ListRolePolicies", err)
		}
		for _, name := range page.PolicyNames {
			p, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
			if err != nil {
				return nil, readError("iam:GetRolePolicy", err)
			}
			out = append(out, snapshot.RolePolicy{Name: name, Document: decodePolicyDocument(aws.ToString(p.PolicyDocument))})
		}
	}
	attached := iam.NewListAttachedRolePoliciesPaginator(client, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			return nil, readError("iam:ListAttachedRolePolicies", err)
		}
		for _, ap := range page.AttachedPolicies {
			arn := aws.ToString(ap.PolicyArn)
			pol, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
			if err != nil {
				return nil, readError("iam:GetPolicy", err)
			}
			if pol.Policy == nil || aws.ToString(pol.Policy.DefaultVersionId) == "" {
				return nil, &snapshot.ReadError{Operation: "iam:GetPolicy", Code: "EmptyAnswer", Message: "policy " + arn + " has no default version"}
			}
			v, err := client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: pol.Policy.DefaultVersionId})
			if err != nil {
				return nil, readError("iam:GetPolicyVersion", err)
			}
			if v.PolicyVersion == nil {
				return nil, &snapshot.ReadError{Operation: "iam:GetPolicyVersion", Code: "EmptyAnswer", Message: "policy " + arn + ": the answer has no version"}
			}
			out = append(out, snapshot.RolePolicy{Name: aws.ToString(ap.PolicyName), ARN: arn, Document: decodePolicyDocument(aws.ToString(v.PolicyVersion.Document))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
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

// roleAccount is the account id of an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/PATH/NAME),
// "" for anything else.
func roleAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return ""
	}
	return parts[4]
}

// roleName is the name of an IAM role ARN: the last segment of its path (GetRole takes the
// name alone).
func roleName(arn string) string {
	if roleAccount(arn) == "" {
		return ""
	}
	return arn[strings.LastIndex(arn, "/")+1:]
}
