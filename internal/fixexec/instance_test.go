package fixexec

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lookout-audit/lookout/internal/plan"
)

// TestRevokeNeedsAllowRevoke: whatever a plan says, an executor built without AllowRevoke
// refuses to revoke a security group rule, before any call is made (the configuration points
// nowhere: a call would fail differently), and stops the plan there.
func TestRevokeNeedsAllowRevoke(t *testing.T) {
	revoke := plan.Action{Region: "eu-west-1", Effect: plan.Change,
		Target: "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1",
		Params: plan.RevokeSecurityGroupIngress{GroupID: "sg-1", IPPermissions: []plan.IPPermission{{IPProtocol: "tcp", FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			IPRanges: []plan.IPRange{{CidrIP: "0.0.0.0/0"}}}}}}
	if err := Validate([]plan.Plan{{CheckID: "ec2-ssh-open-to-internet", Actions: []plan.Action{revoke}}}); err != nil {
		t.Fatalf("the revoke does not decode: %v", err)
	}
	next := plan.Action{Region: "eu-west-1", Effect: plan.Change,
		Params: plan.AssociateIamInstanceProfile{InstanceID: "i-1", IamInstanceProfile: plan.InstanceProfileRef{Name: "lookout-ssm-instance"}}}
	plans := []plan.Plan{{CheckID: "ec2-ssh-open-to-internet", Actions: []plan.Action{revoke, next}}}
	ex := New(aws.Config{Region: "eu-west-1"})
	if failed := ex.Apply(context.Background(), plans); failed != 1 {
		t.Fatalf("%d failed, want the revoke", failed)
	}
	got := plans[0].Actions
	if got[0].Outcome != plan.Failed || !strings.Contains(got[0].Detail, "only with --allow-revoke") {
		t.Errorf("revoke: %s %q", got[0].Outcome, got[0].Detail)
	}
	if got[1].Outcome != plan.Skipped {
		t.Errorf("the action after the refused revoke: %s, want skipped", got[1].Outcome)
	}
	if !Supports("ec2:RevokeSecurityGroupIngress") || !Supports("iam:CreateInstanceProfile") || !Supports("ec2:AssociateIamInstanceProfile") {
		t.Error("the instance fixes' actions are not all supported")
	}
}
