package fixexec

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/lookout-audit/lookout/internal/plan"
)

// removals are the actions that take something away. The executor runs them only with
// AllowRevoke.
var removals = map[string]bool{"ec2:RevokeSecurityGroupIngress": true}

func probeInstanceProfile(ctx context.Context, c *clients, a *plan.Action) (bool, bool, error) {
	out, err := c.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(param(a, "InstanceProfileName"))})
	if errCode(err) == "NoSuchEntity" {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, hasManagedTag(tagsOf(out.InstanceProfile.Tags, func(t iamtypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })), nil
}

// addRoleToInstanceProfile puts the role in the profile unless it is there already. A profile
// holds one role: one that holds another is not changed.
func addRoleToInstanceProfile() handler {
	h := simple(iamClient, (*iam.Client).AddRoleToInstanceProfile)
	run := h.run
	h.run = func(ctx context.Context, c *clients, a *plan.Action) (string, error) {
		name, role := param(a, "InstanceProfileName"), param(a, "RoleName")
		out, err := c.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
		if err != nil {
			return "", err
		}
		for _, r := range out.InstanceProfile.Roles {
			if aws.ToString(r.RoleName) == role {
				return "", errAlreadyThere
			}
			return "", fmt.Errorf("instance profile %s already holds role %s: lookout will not change it", name, aws.ToString(r.RoleName))
		}
		return run(ctx, c, a)
	}
	return h
}

// associateInstanceProfile gives an instance the profile. EC2 refuses when the instance has
// one already (lookout never replaces a profile): if that one is the profile asked for, a
// previous run gave it and the outcome is "exists"; another profile fails the action.
func associateInstanceProfile() handler {
	h := simple(ec2Client, (*ec2.Client).AssociateIamInstanceProfile)
	run := h.run
	h.run = func(ctx context.Context, c *clients, a *plan.Action) (string, error) {
		d, err := run(ctx, c, a)
		if errCode(err) != "IncorrectState" {
			return d, err
		}
		instance := param(a, "InstanceId")
		want, _ := a.Params["IamInstanceProfile"].(map[string]any)
		out, derr := c.ec2.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{
			Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{instance}}}})
		if derr != nil {
			return "", err
		}
		for _, as := range out.IamInstanceProfileAssociations {
			if as.State == ec2types.IamInstanceProfileAssociationStateDisassociated || as.IamInstanceProfile == nil {
				continue
			}
			arn := aws.ToString(as.IamInstanceProfile.Arn)
			if name, _ := want["Name"].(string); name != "" && strings.HasSuffix(arn, "/"+name) {
				return "", errAlreadyThere
			}
			return "", fmt.Errorf("%s already has instance profile %s: lookout never replaces one", instance, arn)
		}
		return "", err
	}
	return h
}

// profileNotReady: an instance profile created moments ago is not yet visible to EC2.
func profileNotReady(err error) bool {
	return errCode(err) == "InvalidParameterValue" && strings.Contains(strings.ToLower(errText(err)), "instance profile")
}

// revokeIngress revokes exactly the rules in the params. A rule that is already gone is
// "exists": EC2 answers InvalidPermission.NotFound, or (newer behaviour) succeeds and lists it
// among UnknownIpPermissions.
func revokeIngress() handler {
	return handler{
		decode: func(p map[string]any) error { return decodeInto(p, new(ec2.RevokeSecurityGroupIngressInput)) },
		run: func(ctx context.Context, c *clients, a *plan.Action) (string, error) {
			in := new(ec2.RevokeSecurityGroupIngressInput)
			if err := decodeInto(a.Params, in); err != nil {
				return "", err
			}
			out, err := c.ec2.RevokeSecurityGroupIngress(ctx, in)
			if errCode(err) == "InvalidPermission.NotFound" {
				return "", errAlreadyThere
			}
			if err != nil {
				return "", err
			}
			if len(out.UnknownIpPermissions) > 0 {
				return "", errAlreadyThere
			}
			return "rule revoked; the group and its other rules stay", nil
		},
	}
}

func ec2Client(c *clients) *ec2.Client { return c.ec2 }
