package checks

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// EC2SSHOpenToInternet verifies that no running instance accepts SSH from the whole internet
// (the AWS Well-Architected security lab uses Session Manager instead of SSH and keeps inbound
// port 22 closed).
func EC2SSHOpenToInternet() *Check {
	return &Check{
		ID:       "ec2-ssh-open-to-internet",
		Title:    "EC2 instance does not accept SSH from the internet",
		Severity: High,
		Service:  "ec2",
		Verifies: "No security group of the running instance (its own and its network interfaces') has an inbound rule " +
			"admitting TCP port 22 from 0.0.0.0/0 or ::/0 (any CIDR of prefix length 0): protocol tcp (or 6) with a port " +
			"range that contains 22 or no port range, or protocol -1 (all traffic). Private or other CIDRs and security group " +
			"references are not the internet. A rule naming a managed prefix list (customer- or AWS-managed) admits every " +
			"CIDR the list holds (ec2:GetManagedPrefixListEntries): a list holding 0.0.0.0/0 or ::/0 opens port 22 to the " +
			"internet. A group or prefix list lookout could not read is ERROR unless another rule already opens port 22; so " +
			"is an instance listed without any group.",
		Remediation: "Reach the instance with Session Manager (aws ssm start-session --target INSTANCE), which needs no " +
			"inbound port, and remove the rule; if SSH must stay, admit only known CIDRs or a bastion's security group.",
		FixSummary: "with --allow-revoke only: ec2:RevokeSecurityGroupIngress of exactly the rule that admits the internet " +
			"to port 22 (the rule, never the group)",
		// Security Hub EC2.13 is exactly this (SSH from 0.0.0.0/0 or ::/0). The CIS items on
		// remote administration ports also cover RDP and UDP, and split IPv4 from IPv6, so this
		// check does not claim them.
		Frameworks: map[string]string{"aws-securityhub": "EC2.13"},
		Run:        runEC2SSHOpenToInternet,
		Plan:       planEC2SSHOpen,
	}
}

// sshPort is the port the check judges.
const sshPort = 22

// openSSHRule is one security group rule that admits the internet to port 22: the group, the
// rule's protocol and ports as read, and the one CIDR of the rule that is the internet.
type openSSHRule struct {
	group *snapshot.SecurityGroup
	perm  snapshot.IPPermission
	cidr  string
	ipv6  bool
	// prefixList is set when the rule names a managed prefix list that holds cidr: the rule
	// is the group's reference to that list.
	prefixList string
}

func (o openSSHRule) String() string {
	name := o.group.ID
	if o.group.Name != "" {
		name += " (" + o.group.Name + ")"
	}
	if o.prefixList != "" {
		return fmt.Sprintf("%s allows %s from prefix list %s, which holds %s", name, describePermission(o.perm), o.prefixList, o.cidr)
	}
	return fmt.Sprintf("%s allows %s from %s", name, describePermission(o.perm), o.cidr)
}

// describePermission is a rule's protocol and ports as a reader says them.
func describePermission(p snapshot.IPPermission) string {
	switch {
	case p.Protocol == "-1":
		return "all traffic"
	case p.FromPort == nil || p.ToPort == nil || (*p.FromPort == -1 && *p.ToPort == -1):
		return "all " + protocolName(p.Protocol) + " ports"
	case *p.FromPort == *p.ToPort:
		return fmt.Sprintf("%s %d", protocolName(p.Protocol), *p.FromPort)
	}
	return fmt.Sprintf("%s %d-%d", protocolName(p.Protocol), *p.FromPort, *p.ToPort)
}

func protocolName(p string) string {
	switch p {
	case "6":
		return "tcp"
	case "17":
		return "udp"
	}
	return p
}

// admitsSSH reports whether a rule's protocol and ports admit TCP port 22.
func admitsSSH(p snapshot.IPPermission) bool {
	switch strings.ToLower(p.Protocol) {
	case "-1", "all":
		return true // all protocols, all ports: AWS ignores any port range given
	case "tcp", "6":
	default:
		return false
	}
	if p.FromPort == nil || p.ToPort == nil || (*p.FromPort == -1 && *p.ToPort == -1) {
		return true // no port restriction
	}
	return *p.FromPort <= sshPort && sshPort <= *p.ToPort
}

// sshExposure is what the instance's groups say about port 22.
type sshExposure struct {
	open     []openSSHRule
	sources  []string // every non-internet source port 22 admits (CIDRs, groups)
	prefixes []string // prefix lists port 22 admits whose entries were not read
	missing  []string // groups the instance names that were not read
	unparsed []string // CIDRs lookout could not parse
	groups   []*snapshot.SecurityGroup
}

// sshExposureOf judges the instance's groups.
func sshExposureOf(d *snapshot.EC2Data, in *snapshot.Instance) sshExposure {
	byID := map[string]*snapshot.SecurityGroup{}
	for i := range d.SecurityGroups {
		byID[d.SecurityGroups[i].ID] = &d.SecurityGroups[i]
	}
	lists := map[string]*snapshot.PrefixList{}
	for i := range d.PrefixLists {
		lists[d.PrefixLists[i].ID] = &d.PrefixLists[i]
	}
	var e sshExposure
	for _, id := range in.SecurityGroupIDs {
		g := byID[id]
		if g == nil {
			e.missing = append(e.missing, id)
			continue
		}
		e.groups = append(e.groups, g)
		for _, p := range g.Ingress {
			if !admitsSSH(p) {
				continue
			}
			check := func(cidr string, ipv6 bool, list string) {
				prefix, err := netip.ParsePrefix(cidr)
				switch {
				case err != nil && list != "":
					e.unparsed = append(e.unparsed, fmt.Sprintf("%s in prefix list %s", cidr, list))
				case err != nil:
					e.unparsed = append(e.unparsed, fmt.Sprintf("%s in %s", cidr, g.ID))
				case prefix.Bits() == 0:
					e.open = append(e.open, openSSHRule{group: g, perm: p, cidr: cidr, ipv6: ipv6 || prefix.Addr().Is6(), prefixList: list})
				case list != "":
					e.sources = append(e.sources, cidr+" (prefix list "+list+")")
				default:
					e.sources = append(e.sources, cidr)
				}
			}
			for _, cidr := range p.IPv4Ranges {
				check(cidr, false, "")
			}
			for _, cidr := range p.IPv6Ranges {
				check(cidr, true, "")
			}
			for _, pl := range p.PrefixListIDs {
				l := lists[pl]
				switch {
				case l == nil:
					e.prefixes = append(e.prefixes, pl+" in "+g.ID+" (its entries were not collected)")
				case l.Error != nil:
					e.prefixes = append(e.prefixes, pl+" in "+g.ID+" ("+l.Error.Error()+")")
				case len(l.CIDRs) == 0:
					e.sources = append(e.sources, "prefix list "+pl+" (empty)")
				default:
					for _, cidr := range l.CIDRs {
						check(cidr, false, pl)
					}
				}
			}
			for _, sg := range p.SourceGroupIDs {
				e.sources = append(e.sources, "security group "+sg)
			}
		}
	}
	sort.Strings(e.sources)
	e.sources = compactStrings(e.sources)
	return e
}

func compactStrings(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func runEC2SSHOpenToInternet(c *Check, s *snapshot.Snapshot, _ Options) []Finding {
	return c.perRunningInstance(s, c.sshOpen)
}

func (c *Check) sshOpen(a *snapshot.Account, r *snapshot.Region, in *snapshot.Instance) Finding {
	res := instanceARN(a, r.Name, in.ID)
	label := instanceName(in)
	evidence := InstanceEvidence{Instance: InstanceSummary{ID: in.ID, SecurityGroupIDs: in.SecurityGroupIDs, PublicIP: in.PublicIP}}
	finding := func(status Status, msg string) Finding {
		f := c.finding(a.ID, r.Name, res, status, msg)
		f.Evidence = evidence
		return f
	}
	d := r.EC2
	switch {
	case d.SecurityGroupsError != nil:
		f := c.readError(a.ID, r.Name, res, d.SecurityGroupsError, "the security groups of "+in.ID)
		evidence.ReadError = d.SecurityGroupsError
		f.Evidence = evidence
		return f
	case !d.SecurityGroupsRead:
		return finding(Error, fmt.Sprintf("cannot tell whether %s accepts SSH from the internet: its security groups were not collected in this snapshot", label))
	}
	e := sshExposureOf(d, in)
	for _, g := range e.groups {
		evidence.SecurityGroups = append(evidence.SecurityGroups, SecurityGroupEvidence{ID: g.ID, Name: g.Name, VPCID: g.VPCID, Ingress: g.Ingress})
	}
	evidence.NotRead = e.missing
	if len(e.open) > 0 {
		var rules []string
		for _, o := range e.open {
			rules = append(rules, o.String())
			evidence.OpenRules = append(evidence.OpenRules, OpenRuleEvidence{GroupID: o.group.ID, Rule: describePermission(o.perm), CIDR: o.cidr, PrefixList: o.prefixList})
		}
		msg := fmt.Sprintf("%s accepts SSH from the internet: %s", label, strings.Join(rules, "; "))
		if in.PublicIP != "" {
			msg += fmt.Sprintf(" (public IP %s)", in.PublicIP)
		}
		return finding(Fail, msg+". "+sessionManagerHint(r, in))
	}
	switch {
	case len(e.missing) > 0:
		return finding(Error, fmt.Sprintf("cannot tell whether %s accepts SSH from the internet: security group %s was not in DescribeSecurityGroups' answer",
			label, strings.Join(e.missing, ", ")))
	case len(e.unparsed) > 0:
		return finding(Error, fmt.Sprintf("cannot tell whether %s accepts SSH from the internet: lookout cannot read the CIDR %s",
			label, strings.Join(e.unparsed, ", ")))
	case len(e.prefixes) > 0:
		// A prefix list admits every CIDR it holds, which may be 0.0.0.0/0: a list whose
		// entries were not read cannot pass the instance.
		return finding(Error, fmt.Sprintf("cannot tell whether %s accepts SSH from the internet: port 22 is open to prefix list %s, whose entries could not be read",
			label, strings.Join(e.prefixes, ", ")))
	case len(in.SecurityGroupIDs) == 0:
		// Every instance has at least one group (AWS attaches the VPC's default group when
		// none is given): an answer without any is not data to pass on.
		return finding(Error, fmt.Sprintf("cannot tell whether %s accepts SSH from the internet: DescribeInstances named no security group for it, and every instance has at least one", label))
	}
	var names []string
	for _, g := range e.groups {
		names = append(names, g.ID)
	}
	msg := fmt.Sprintf("%s: no security group (%s) admits TCP 22 from 0.0.0.0/0 or ::/0", label, strings.Join(names, ", "))
	if len(e.sources) > 0 {
		evidence.SSHSources = e.sources
		msg += "; port 22 is open only to " + strings.Join(e.sources, ", ")
	}
	return finding(Pass, msg)
}

// sessionManagerHint points at Session Manager as SSH's replacement, saying whether the
// instance can use it today.
func sessionManagerHint(r *snapshot.Region, in *snapshot.Instance) string {
	if r.SSM != nil && r.SSM.Error == nil {
		for _, mi := range r.SSM.ManagedInstances {
			if mi.InstanceID == in.ID && mi.PingStatus == "Online" {
				return "It reports to SSM: Session Manager (aws ssm start-session --target " + in.ID + ") replaces SSH with no inbound port open"
			}
		}
		return "Use Session Manager instead, which needs no inbound port; the instance does not report to SSM yet (see ec2-instance-ssm-managed)"
	}
	return "Use Session Manager instead, which needs no inbound port"
}
