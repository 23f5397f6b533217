package collect

import (
	"context"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// collectLogs reads the region's log groups and every metric filter in the region. Metric
// filters are listed once per region rather than once per log group (DescribeLogGroups'
// metricFilterCount is not trusted: some emulators always report 0), which also keeps the
// call count independent of how many log groups an account has.
func collectLogs(ctx context.Context, c *regionClients, r *snapshot.Region) {
	d := &snapshot.LogsData{LogGroups: []snapshot.LogGroup{}, MetricFilters: []snapshot.MetricFilter{}}
	r.Logs = d
	// The groups and the filters are independent lists: read at once.
	fanOut(2, func(i int) {
		if i == 0 {
			logGroups(ctx, c, d)
		} else {
			metricFilters(ctx, c, d)
		}
	})
}

// logGroups lists the region's log groups into d.LogGroups (d.Error if it fails).
func logGroups(ctx context.Context, c *regionClients, d *snapshot.LogsData) {
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c.logs, &cloudwatchlogs.DescribeLogGroupsInput{})
	d.Error = pages(ctx, p.HasMorePages, p.NextPage, "logs:DescribeLogGroups", func(out *cloudwatchlogs.DescribeLogGroupsOutput) {
		for _, g := range out.LogGroups {
			arn := aws.ToString(g.LogGroupArn)
			if arn == "" {
				// Arn is the older "...:log-group:NAME:*" form; the checks compare bare ARNs.
				arn = strings.TrimSuffix(aws.ToString(g.Arn), ":*")
			}
			d.LogGroups = append(d.LogGroups, snapshot.LogGroup{
				Name:          aws.ToString(g.LogGroupName),
				ARN:           arn,
				RetentionDays: aws.ToInt32(g.RetentionInDays),
			})
		}
	})
	sort.Slice(d.LogGroups, func(i, j int) bool { return d.LogGroups[i].Name < d.LogGroups[j].Name })
}

// metricFilters lists every metric filter of the region into d.MetricFilters
// (d.MetricFiltersError if it fails).
func metricFilters(ctx context.Context, c *regionClients, d *snapshot.LogsData) {
	p := cloudwatchlogs.NewDescribeMetricFiltersPaginator(c.logs, &cloudwatchlogs.DescribeMetricFiltersInput{})
	d.MetricFiltersError = pages(ctx, p.HasMorePages, p.NextPage, "logs:DescribeMetricFilters", func(out *cloudwatchlogs.DescribeMetricFiltersOutput) {
		for _, f := range out.MetricFilters {
			mf := snapshot.MetricFilter{
				Name:            aws.ToString(f.FilterName),
				LogGroupName:    aws.ToString(f.LogGroupName),
				Pattern:         aws.ToString(f.FilterPattern),
				Transformations: []snapshot.MetricTransformation{},
			}
			for _, t := range f.MetricTransformations {
				mt := snapshot.MetricTransformation{
					MetricName:      aws.ToString(t.MetricName),
					MetricNamespace: aws.ToString(t.MetricNamespace),
					MetricValue:     aws.ToString(t.MetricValue),
					DefaultValue:    t.DefaultValue,
					Unit:            string(t.Unit),
				}
				if len(t.Dimensions) > 0 {
					mt.Dimensions = t.Dimensions
				}
				mf.Transformations = append(mf.Transformations, mt)
			}
			d.MetricFilters = append(d.MetricFilters, mf)
		}
	})
	sort.Slice(d.MetricFilters, func(i, j int) bool {
		a, b := d.MetricFilters[i], d.MetricFilters[j]
		if a.LogGroupName != b.LogGroupName {
			return a.LogGroupName < b.LogGroupName
		}
		return a.Name < b.Name
	})
}
