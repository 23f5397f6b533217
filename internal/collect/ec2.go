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
// resolve State Manager tag targets for the SSH-log check.
func collectEC2(ctx context.Context, c *regionClients, r *snapshot.Region) {
	d := &snapshot.EC2Data{Instances: []snapshot.Instance{}}
	r.EC2 = d
	pages := ec2.NewDescribeInstancesPaginator(c.ec2, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			d.Error = readError("ec2:DescribeInstances", err)
			return
		}
		for _, res := range out.Reservations {
			for _, in := range res.Instances {
				if in.State != nil && in.State.Name == ec2types.InstanceStateNameTerminated {
					continue
				}
				d.Instances = append(d.Instances, instanceFromAPI(in))
			}
		}
	}
	sort.Slice(d.Instances, func(i, j int) bool { return d.Instances[i].ID < d.Instances[j].ID })
}

func instanceFromAPI(in ec2types.Instance) snapshot.Instance {
	inst := snapshot.Instance{
		ID:       aws.ToString(in.InstanceId),
		Platform: string(in.Platform),
		ImageID:  aws.ToString(in.ImageId),
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
	return inst
}
