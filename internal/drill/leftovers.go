package drill

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/lookout-audit/lookout/internal/awsarn"
)

// What a drill leaves only when it is killed before its cleanup runs: a canary trail and its
// bucket, found by name (CanaryPrefix) and tag (TagKey), so that nothing of the account's own
// is ever taken for one.

// TrailLister finds trails and their tags (a *cloudtrail.Client).
type TrailLister interface {
	ListTrails(ctx context.Context, in *cloudtrail.ListTrailsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.ListTrailsOutput, error)
	ListTags(ctx context.Context, in *cloudtrail.ListTagsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.ListTagsOutput, error)
}

// BucketLister finds buckets and their tags (a *s3.Client).
type BucketLister interface {
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, opts ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, opts ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, opts ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
}

// Leftover is a resource an earlier drill created and did not remove.
type Leftover struct {
	Kind    string // "trail" or "bucket"
	Name    string
	ARN     string
	Account string
	Region  string
	DrillID string
}

func (l Leftover) String() string {
	return fmt.Sprintf("%s %s in %s (drill %s)", l.Kind, l.Name, l.Region, l.DrillID)
}

// FindTrailLeftovers lists the canary trails whose home region is region.
func FindTrailLeftovers(ctx context.Context, c TrailLister, region string) ([]Leftover, error) {
	var out []Leftover
	p := cloudtrail.NewListTrailsPaginator(c, &cloudtrail.ListTrailsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("cloudtrail:ListTrails in %s: %w", region, err)
		}
		for _, t := range page.Trails {
			if !strings.HasPrefix(aws.ToString(t.Name), CanaryPrefix) || aws.ToString(t.HomeRegion) != region {
				continue
			}
			tags, err := c.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{aws.ToString(t.TrailARN)}})
			if err != nil {
				return nil, fmt.Errorf("cloudtrail:ListTags of %s: %w", aws.ToString(t.TrailARN), err)
			}
			for _, rt := range tags.ResourceTagList {
				for _, tag := range rt.TagsList {
					if aws.ToString(tag.Key) == TagKey {
						out = append(out, Leftover{Kind: "trail", Name: aws.ToString(t.Name), ARN: aws.ToString(t.TrailARN),
							Account: awsarn.AccountOf(aws.ToString(t.TrailARN)), Region: region, DrillID: aws.ToString(tag.Value)})
					}
				}
			}
		}
	}
	return out, nil
}

// FindBucketLeftovers lists the canary buckets of the account (in partition; "" is the
// default) that c lists.
func FindBucketLeftovers(ctx context.Context, c BucketLister, account, partition string) ([]Leftover, error) {
	list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return nil, fmt.Errorf("s3:ListBuckets: %w", err)
	}
	var out []Leftover
	for _, b := range list.Buckets {
		name := aws.ToString(b.Name)
		if !strings.HasPrefix(name, CanaryPrefix) {
			continue
		}
		tags, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(name)})
		var api smithy.APIError
		switch {
		case errors.As(err, &api) && api.ErrorCode() == "NoSuchTagSet":
			continue // an untagged bucket is not a drill's
		case err != nil:
			// Unreadable is not untagged: a leftover must not go unseen.
			return nil, fmt.Errorf("s3:GetBucketTagging %s: %w", name, err)
		}
		for _, tag := range tags.TagSet {
			if aws.ToString(tag.Key) != TagKey {
				continue
			}
			region := "us-east-1" // an empty LocationConstraint is us-east-1 (S3 API Reference, GetBucketLocation)
			if loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(name)}); err == nil && loc.LocationConstraint != "" {
				region = string(loc.LocationConstraint)
			}
			out = append(out, Leftover{Kind: "bucket", Name: name, ARN: awsarn.Build(partition, "s3", "", "", name),
				Account: account, Region: region, DrillID: aws.ToString(tag.Value)})
		}
	}
	return out, nil
}

// Remove deletes a leftover: a trail with cloudtrail:DeleteTrail, a bucket emptied then
// deleted.
func Remove(ctx context.Context, l Leftover, ct CloudTrailAPI, s3c S3API) error {
	switch l.Kind {
	case "trail":
		if _, err := ct.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String(l.Name)}); err != nil {
			return fmt.Errorf("cloudtrail:DeleteTrail %s: %w", l.Name, err)
		}
		return nil
	case "bucket":
		return emptyAndDelete(ctx, s3c, l.Name)
	}
	return fmt.Errorf("unknown leftover kind %q", l.Kind)
}
