package checks

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// planEC2SSHOpen revokes, per rule that admits the internet to port 22, exactly that rule:
// RevokeSecurityGroupIngress with the rule's protocol and ports as read and the one CIDR of
// it that is the internet. The group and its other rules stay. It is the one fix that removes
// something, so it is planned only under `lookout fix --allow-revoke`; without it the plan has
// no action and says so. A group several instances share is revoked once (plan.Dedupe): the
// note names the other instances that lose SSH from the internet with it.
func planEC2SSHOpen(s *snapshot.Snapshot, f Finding, o FixOptions) ([]plan.Action, string, error) {
	a, r, in, err := fixInstance(s, f)
	if err != nil {
		return nil, "", err
	}
	if !r.EC2.SecurityGroupsRead {
		return nil, "", fmt.Errorf("the security groups of %s were not read", r.Name)
	}
	e := sshExposureOf(r.EC2, in)
	if len(e.open) == 0 {
		return nil, "", fmt.Errorf("no rule of %s's security groups admits SSH from the internet", in.ID)
	}
	var rules []string
	for _, rule := range e.open {
		rules = append(rules, rule.String())
	}
	if !o.AllowRevoke {
		return nil, "revoking a rule is the one change lookout makes that removes something, so it is planned only with " +
			"`lookout fix --allow-revoke`; the rule(s): " + strings.Join(rules, "; ") +
			". Move administration to Session Manager first", nil
	}
	var out []plan.Action
	var notes []string
	for _, rule := range e.open {
		perm := plan.IPPermission{IPProtocol: rule.perm.Protocol, FromPort: rule.perm.FromPort, ToPort: rule.perm.ToPort}
		from := rule.cidr
		switch {
		case rule.prefixList != "":
			// The group's reference to the list is the rule; the list itself may serve others.
			perm.PrefixListIDs = []plan.PrefixListID{{PrefixListID: rule.prefixList}}
			from = "prefix list " + rule.prefixList + " (which holds " + rule.cidr + ")"
			notes = append(notes, fmt.Sprintf("prefix list %s holds %s: other groups that name it are open to the internet too; remove that entry from the list to close them all", rule.prefixList, rule.cidr))
		case rule.ipv6:
			perm.IPv6Ranges = []plan.IPv6Range{{CidrIPv6: rule.cidr}}
		default:
			perm.IPRanges = []plan.IPRange{{CidrIP: rule.cidr}}
		}
		action := plan.Action{Region: r.Name,
			Target: a.ARN("ec2", r.Name, "security-group/"+rule.group.ID), Effect: plan.Change,
			Params: plan.RevokeSecurityGroupIngress{GroupID: rule.group.ID, IPPermissions: []plan.IPPermission{perm}},
			Why:    fmt.Sprintf("removes the rule of %s that admits %s from %s; the group and its other rules stay", rule.group.ID, describePermission(rule.perm), from)}
		if slices.ContainsFunc(out, func(o plan.Action) bool { return reflect.DeepEqual(o.Params, action.Params) }) {
			continue // a list holding both 0.0.0.0/0 and ::/0 is one reference
		}
		out = append(out, action)
		if !sshOnly(rule.perm) {
			notes = append(notes, fmt.Sprintf("the rule of %s admits %s from %s, not only SSH: revoking it closes every port it opened to the internet (add back the ones you serve, such as 443, first)",
				rule.group.ID, describePermission(rule.perm), rule.cidr))
		}
		if others := otherInstances(r.EC2, rule.group.ID, in.ID); len(others) > 0 {
			notes = append(notes, fmt.Sprintf("%s is also used by %s, which lose(s) this rule too", rule.group.ID, strings.Join(others, ", ")))
		}
	}
	if !ssmOnline(r, in.ID) {
		notes = append(notes, in.ID+" does not report to SSM: after the revoke it has neither SSH from the internet nor Session Manager until ec2-instance-ssm-managed passes")
	}
	return out, strings.Join(compactStrings(notes), "; "), nil
}

// sshOnly reports whether a rule admits TCP 22 and nothing else.
func sshOnly(p snapshot.IPPermission) bool {
	return admitsSSH(p) && p.Protocol != "-1" && p.FromPort != nil && p.ToPort != nil && *p.FromPort == sshPort && *p.ToPort == sshPort
}

// otherInstances lists the other instances of the region (any state) that use a group.
func otherInstances(d *snapshot.EC2Data, group, except string) []string {
	var out []string
	for _, in := range d.Instances {
		if in.ID == except {
			continue
		}
		for _, g := range in.SecurityGroupIDs {
			if g == group {
				out = append(out, in.ID)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

func ssmOnline(r *snapshot.Region, id string) bool {
	if r.SSM == nil {
		return false
	}
	for _, mi := range r.SSM.ManagedInstances {
		if mi.InstanceID == id {
			return mi.PingStatus == "Online"
		}
	}
	return false
}
