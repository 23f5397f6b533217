package collect

import (
	"context"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// collectTrailView lists the trails that apply to a region (shadow trails included: a
// multi-region trail homed elsewhere, or an organization trail, appears in every region it
// covers). Trail details are read once per trail, as soon as a region lists it
// (accountCollector.startTrailDetails).
func collectTrailView(ctx context.Context, c *regionClients, r *snapshot.Region) {
	v := &snapshot.CloudTrailView{TrailARNs: []string{}}
	r.CloudTrail = v
	out, err := c.cloudtrail.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		v.Error = readError("cloudtrail:DescribeTrails", err)
		return
	}
	c.trailList = out.TrailList
	for _, t := range out.TrailList {
		v.TrailARNs = append(v.TrailARNs, aws.ToString(t.TrailARN))
	}
	sort.Strings(v.TrailARNs)
}

// trails reads each distinct trail once: its description (already in hand from
// DescribeTrails), then GetTrailStatus and GetEventSelectors in its home region, because
// CloudTrail answers those only there.
func (a *accountCollector) trails(regions []snapshot.Region) []snapshot.Trail {
	byARN := map[string]cttypes.Trail{}
	for _, r := range regions {
		for _, t := range a.clientsFor(r.Name).trailList {
			arn := aws.ToString(t.TrailARN)
			if _, seen := byARN[arn]; !seen {
				byARN[arn] = t
			}
		}
	}
	arns := make([]string, 0, len(byARN))
	for arn := range byARN {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	out := make([]snapshot.Trail, len(arns))
	for i, arn := range arns {
		t := byARN[arn]
		out[i] = trailFromAPI(t)
		// Started as soon as a region listed the trail.
		d := a.trailDetail(arn, out[i].HomeRegion).wait()
		out[i].Status, out[i].StatusError = d.status, d.statusErr
		out[i].Selectors, out[i].SelectorsError = d.selectors, d.selectorsErr
	}
	return out
}

// startTrailDetails starts the details of the trails a region lists, without waiting for the
// other regions or the region's other services.
func (a *accountCollector) startTrailDetails(_ context.Context, rc *regionClients, _ *snapshot.Region) {
	for _, t := range rc.trailList {
		a.trailDetail(aws.ToString(t.TrailARN), aws.ToString(t.HomeRegion))
	}
}

// trailDetail is one trail's GetTrailStatus and GetEventSelectors, read at once in its home
// region (CloudTrail answers them only there), once per scan of the account.
type trailDetail struct {
	status       *snapshot.TrailStatus
	statusErr    *snapshot.ReadError
	selectors    *snapshot.EventSelectors
	selectorsErr *snapshot.ReadError
}

func (a *accountCollector) trailDetail(arn, home string) *onceRead[trailDetail] {
	return a.trailReads.start(a, arn, func(ctx context.Context) trailDetail {
		rc := a.clientsFor(home)
		var d trailDetail
		fanOut(2, func(i int) {
			if i == 0 {
				d.status, d.statusErr = trailStatus(ctx, rc, arn)
			} else {
				d.selectors, d.selectorsErr = eventSelectors(ctx, rc, arn)
			}
		})
		return d
	})
}

func trailFromAPI(t cttypes.Trail) snapshot.Trail {
	return snapshot.Trail{
		Name:                       aws.ToString(t.Name),
		ARN:                        aws.ToString(t.TrailARN),
		HomeRegion:                 aws.ToString(t.HomeRegion),
		IsMultiRegion:              aws.ToBool(t.IsMultiRegionTrail),
		IsOrganizationTrail:        aws.ToBool(t.IsOrganizationTrail),
		S3BucketName:               aws.ToString(t.S3BucketName),
		LogFileValidationEnabled:   aws.ToBool(t.LogFileValidationEnabled),
		CloudWatchLogsLogGroupARN:  aws.ToString(t.CloudWatchLogsLogGroupArn),
		CloudWatchLogsRoleARN:      aws.ToString(t.CloudWatchLogsRoleArn),
		KMSKeyID:                   aws.ToString(t.KmsKeyId),
		IncludeGlobalServiceEvents: copyBool(t.IncludeGlobalServiceEvents),
	}
}

// copyBool copies an SDK *bool, so that the snapshot shares no memory with the SDK's output;
// nil (not answered) stays nil.
func copyBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}

func trailStatus(ctx context.Context, rc *regionClients, arn string) (*snapshot.TrailStatus, *snapshot.ReadError) {
	out, err := rc.cloudtrail.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(arn)})
	if err != nil {
		return nil, readError("cloudtrail:GetTrailStatus", err)
	}
	return &snapshot.TrailStatus{
		IsLogging:                         aws.ToBool(out.IsLogging),
		LatestDeliveryError:               aws.ToString(out.LatestDeliveryError),
		LatestDeliveryTime:                utc(out.LatestDeliveryTime),
		LatestCloudWatchLogsDeliveryError: aws.ToString(out.LatestCloudWatchLogsDeliveryError),
		LatestCloudWatchLogsDeliveryTime:  utc(out.LatestCloudWatchLogsDeliveryTime),
		StartLoggingTime:                  utc(out.StartLoggingTime),
		StopLoggingTime:                   utc(out.StopLoggingTime),
	}, nil
}

func eventSelectors(ctx context.Context, rc *regionClients, arn string) (*snapshot.EventSelectors, *snapshot.ReadError) {
	out, err := rc.cloudtrail.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(arn)})
	if err != nil {
		return nil, readError("cloudtrail:GetEventSelectors", err)
	}
	sel := &snapshot.EventSelectors{}
	for _, es := range out.EventSelectors {
		cs := snapshot.ClassicSelector{
			ReadWriteType:                 string(es.ReadWriteType),
			IncludeManagementEvents:       aws.ToBool(es.IncludeManagementEvents),
			ExcludeManagementEventSources: es.ExcludeManagementEventSources,
		}
		if cs.ReadWriteType == "" {
			cs.ReadWriteType = string(cttypes.ReadWriteTypeAll)
		}
		for _, dr := range es.DataResources {
			cs.DataResourceTypes = append(cs.DataResourceTypes, aws.ToString(dr.Type))
		}
		sel.Classic = append(sel.Classic, cs)
	}
	for _, as := range out.AdvancedEventSelectors {
		a := snapshot.AdvancedSelector{Name: aws.ToString(as.Name)}
		for _, f := range as.FieldSelectors {
			a.FieldSelectors = append(a.FieldSelectors, snapshot.FieldSelector{
				Field:         aws.ToString(f.Field),
				Equals:        f.Equals,
				StartsWith:    f.StartsWith,
				EndsWith:      f.EndsWith,
				NotEquals:     f.NotEquals,
				NotStartsWith: f.NotStartsWith,
				NotEndsWith:   f.NotEndsWith,
			})
		}
		sel.Advanced = append(sel.Advanced, a)
	}
	// AWS always answers with the selectors in force (for a trail created without any, the
	// default one: all management events, read and write). An answer with none is not data:
	// reading it as "everything is logged" would pass a write-only trail.
	if len(sel.Classic) == 0 && len(sel.Advanced) == 0 {
		return nil, &snapshot.ReadError{Operation: "cloudtrail:GetEventSelectors", Code: "EmptyAnswer",
			Message: "the answer holds no event selector (AWS always returns the selectors in force)"}
	}
	return sel, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
