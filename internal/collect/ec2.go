package collect

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// collectEC2 lists the region's instances (every state but terminated) with their tags, in
// pages of 1000: a region with thousands of instances costs a handful of calls. The tags also
// resolve State Manager tag targets for the SSH-log check. Where an instance is running, the
// security groups the instances use are read too (collectSecurityGroups).
func collectEC2(ctx context.Context, c *regionClients, r *snapshot.Region) {
	d := &snapshot.EC2Data{Instances: []snapshot.Instance{}}
	r.EC2 = d
	p := ec2.NewDescribeInstancesPaginator(c.ec2, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
	if d.Error = pages(ctx, p.HasMorePages, p.NextPage, "ec2:DescribeInstances", func(out *ec2.DescribeInstancesOutput) {
		for _, res := range out.Reservations {
			for _, in := range res.Instances {
				if in.State == nil || in.State.Name != ec2types.InstanceStateNameTerminated {
					d.Instances = append(d.Instances, instanceFromAPI(in))
				}
			}
		}
	}); d.Error != nil {
		return
	}
	sort.Slice(d.Instances, func(i, j int) bool { return d.Instances[i].ID < d.Instances[j].ID })
	collectSecurityGroups(ctx, c, d)
}

// collectSecurityGroups reads the security groups of the region with one paginated
// DescribeSecurityGroups (pages of 1000: one call for all but the largest regions), only
// where an instance is running (the SSH check judges running instances only, so a region
// without one costs no call), and keeps the groups the instances use.
//
// It reads every group rather than filtering on the ids the instances name: the call count
// is the same (it is set by the page size), a filter's value list has a bound that would need
// chunking into more calls, and GroupIds fails the whole call if one group vanished between
// the two reads. A group an instance names that is not in the answer is then reported by the
// check as not read.
func collectSecurityGroups(ctx context.Context, c *regionClients, d *snapshot.EC2Data) {
	used := map[string]bool{}
	running := false
	for _, in := range d.Instances {
		running = running || in.State == string(ec2types.InstanceStateNameRunning)
		for _, id := range in.SecurityGroupIDs {
			used[id] = true
		}
	}
	if !running {
		return
	}
	var groups []snapshot.SecurityGroup
	p := ec2.NewDescribeSecurityGroupsPaginator(c.ec2, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(1000)})
	if d.SecurityGroupsError = pages(ctx, p.HasMorePages, p.NextPage, "ec2:DescribeSecurityGroups", func(out *ec2.DescribeSecurityGroupsOutput) {
		for _, g := range out.SecurityGroups {
			if used[aws.ToString(g.GroupId)] {
				groups = append(groups, securityGroupFromAPI(g))
			}
		}
	}); d.SecurityGroupsError != nil {
		return
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].ID < groups[j].ID })
	d.SecurityGroups, d.SecurityGroupsRead = groups, true
	d.PrefixLists = prefixListEntries(ctx, c, groups)
}

// prefixListEntries reads, once per list, the entries of every managed prefix list the
// groups' inbound rules reference (customer-managed and AWS-managed alike: the call reads
// both). A list that cannot be read keeps its error, for the check to say ERROR.
func prefixListEntries(ctx context.Context, c *regionClients, groups []snapshot.SecurityGroup) []snapshot.PrefixList {
	ids := map[string]bool{}
	for _, g := range groups {
		for _, p := range g.Ingress {
			for _, id := range p.PrefixListIDs {
				ids[id] = true
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	lists := make([]snapshot.PrefixList, 0, len(ids))
	for _, id := range sortedKeys(ids) {
		lists = append(lists, snapshot.PrefixList{ID: id, CIDRs: []string{}})
	}
	fanOut(len(lists), func(i int) {
		l := &lists[i]
		p := ec2.NewGetManagedPrefixListEntriesPaginator(c.ec2, &ec2.GetManagedPrefixListEntriesInput{PrefixListId: aws.String(l.ID), MaxResults: aws.Int32(100)})
		if l.Error = pages(ctx, p.HasMorePages, p.NextPage, "ec2:GetManagedPrefixListEntries", func(out *ec2.GetManagedPrefixListEntriesOutput) {
			for _, e := range out.Entries {
				l.CIDRs = append(l.CIDRs, aws.ToString(e.Cidr))
			}
		}); l.Error != nil {
			l.CIDRs = nil
		}
	})
	return lists
}

func securityGroupFromAPI(g ec2types.SecurityGroup) snapshot.SecurityGroup {
	sg := snapshot.SecurityGroup{
		ID:      aws.ToString(g.GroupId),
		Name:    aws.ToString(g.GroupName),
		VPCID:   aws.ToString(g.VpcId),
		Ingress: []snapshot.IPPermission{},
	}
	for _, p := range g.IpPermissions {
		perm := snapshot.IPPermission{Protocol: aws.ToString(p.IpProtocol), FromPort: p.FromPort, ToPort: p.ToPort}
		for _, r := range p.IpRanges {
			perm.IPv4Ranges = append(perm.IPv4Ranges, aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			perm.IPv6Ranges = append(perm.IPv6Ranges, aws.ToString(r.CidrIpv6))
		}
		for _, pl := range p.PrefixListIds {
			perm.PrefixListIDs = append(perm.PrefixListIDs, aws.ToString(pl.PrefixListId))
		}
		for _, pair := range p.UserIdGroupPairs {
			perm.SourceGroupIDs = append(perm.SourceGroupIDs, aws.ToString(pair.GroupId))
		}
		sg.Ingress = append(sg.Ingress, perm)
	}
	return sg
}

func instanceFromAPI(in ec2types.Instance) snapshot.Instance {
	inst := snapshot.Instance{
		ID:       aws.ToString(in.InstanceId),
		Platform: string(in.Platform),
		ImageID:  aws.ToString(in.ImageId),
		PublicIP: aws.ToString(in.PublicIpAddress),
	}
	if in.State != nil {
		inst.State = string(in.State.Name)
	}
	if in.IamInstanceProfile != nil {
		inst.InstanceProfileARN = aws.ToString(in.IamInstanceProfile.Arn)
	}
	if len(in.Tags) > 0 {
		inst.Tags = make(map[string]string, len(in.Tags))
		for _, t := range in.Tags {
			inst.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	groups := map[string]bool{}
	for _, g := range in.SecurityGroups {
		groups[aws.ToString(g.GroupId)] = true
	}
	for _, ni := range in.NetworkInterfaces {
		for _, g := range ni.Groups {
			groups[aws.ToString(g.GroupId)] = true
		}
	}
	delete(groups, "")
	inst.SecurityGroupIDs = sortedKeys(groups)
	return inst
}
