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

func probeInstanceProfile(ctx context.Context, c *clients, p plan.CreateInstanceProfile, _ string) (bool, bool, error) {
	out, err := c.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(p.InstanceProfileName)})
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
func addRoleToInstanceProfile() op[plan.AddRoleToInstanceProfile] {
	o := sdkCall(iamClient, (*iam.Client).AddRoleToInstanceProfile, addRoleToInstanceProfileInput)
	run := o.run
	o.run = func(ctx context.Context, c *clients, p plan.AddRoleToInstanceProfile) (string, error) {
		out, err := c.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(p.InstanceProfileName)})
		if err != nil {
			return "", err
		}
		for _, r := range out.InstanceProfile.Roles {
			if aws.ToString(r.RoleName) == p.RoleName {
				return "", errAlreadyThere
			}
			return "", fmt.Errorf("instance profile %s already holds role %s: lookout will not change it", p.InstanceProfileName, aws.ToString(r.RoleName))
		}
		return run(ctx, c, p)
	}
	return o
}

// associateInstanceProfile gives an instance the profile. EC2 refuses when the instance has
// one already (lookout never replaces a profile): if that one is the profile asked for, a
// previous run gave it and the outcome is "exists"; another profile fails the action.
func associateInstanceProfile() op[plan.AssociateIamInstanceProfile] {
	o := sdkCall(ec2Client, (*ec2.Client).AssociateIamInstanceProfile, associateIamInstanceProfileInput)
	run := o.run
	o.run = func(ctx context.Context, c *clients, p plan.AssociateIamInstanceProfile) (string, error) {
		d, err := run(ctx, c, p)
		if errCode(err) != "IncorrectState" {
			return d, err
		}
		out, derr := c.ec2.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{
			Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{p.InstanceID}}}})
		if derr != nil {
			return "", err
		}
		for _, as := range out.IamInstanceProfileAssociations {
			if as.State == ec2types.IamInstanceProfileAssociationStateDisassociated || as.IamInstanceProfile == nil {
				continue
			}
			arn := aws.ToString(as.IamInstanceProfile.Arn)
			if name := p.IamInstanceProfile.Name; name != "" && strings.HasSuffix(arn, "/"+name) {
				return "", errAlreadyThere
			}
			return "", fmt.Errorf("%s already has instance profile %s: lookout never replaces one", p.InstanceID, arn)
		}
		return "", err
	}
	return o
}

// profileNotReady: an instance profile created moments ago is not yet visible to EC2.
func profileNotReady(err error) bool {
	return errCode(err) == "InvalidParameterValue" && strings.Contains(strings.ToLower(errText(err)), "instance profile")
}

// revokeIngress revokes exactly the rules in the params. A rule that is already gone is
// "exists": EC2 answers InvalidPermission.NotFound, or (newer behaviour) succeeds and lists it
// among UnknownIpPermissions.
func revokeIngress() op[plan.RevokeSecurityGroupIngress] {
	return sdkCallWith(ec2Client, (*ec2.Client).RevokeSecurityGroupIngress, revokeSecurityGroupIngressInput,
		func(_ plan.RevokeSecurityGroupIngress, out *ec2.RevokeSecurityGroupIngressOutput) (string, error) {
			if len(out.UnknownIpPermissions) > 0 {
				return "", errAlreadyThere
			}
			return "rule revoked; the group and its other rules stay", nil
		}).alreadyThereOn("InvalidPermission.NotFound")
}

func ec2Client(c *clients) *ec2.Client { return c.ec2 }
