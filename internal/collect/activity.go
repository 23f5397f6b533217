package collect

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// What AWS records of deliveries, as CloudWatch metrics (each user guide's "Monitoring ...
// with CloudWatch metrics" page): EventBridge per rule, Lambda per function, SNS per topic.
// Each is published only for periods in which it is non-zero.
var (
	ruleMetrics     = []string{"Invocations", "FailedInvocations", "InvocationsSentToDlq", "InvocationsFailedToBeSentToDlq", "DeadLetterInvocations"}
	functionMetrics = []string{"Invocations", "Errors", "Throttles"}
	topicMetrics    = []string{"NumberOfNotificationsDelivered", "NumberOfNotificationsFailed"}
)

// activityPeriod is the period the delivery metrics are summed over: five minutes, fine enough
// to order a failure and a success a few minutes apart, and stored at that resolution for 63
// days (one-minute data only for 15).
const activityPeriod = 5 * time.Minute

// metricQueriesPerCall is GetMetricData's limit of queries in one request.
const metricQueriesPerCall = 500

// activityMaxPages caps the GetMetricData pages read per batch. Quiet resources (a security
// notification fires rarely) return a handful of points; a busy topic at most one per period
// (4,032 in the window), and one page holds 100,800. A series still cut short is marked
// Partial, and the checks do not take it for the whole record.
const activityMaxPages = 10

// seriesKey is one series to ask for.
type seriesKey struct {
	namespace, metric string
	dims              map[string]string
}

// collectActivity reads, in one GetMetricData call per 500 series (so one call for most
// regions), what CloudWatch recorded within the observation window of the deliveries of this
// region's enabled event-pattern rules that have targets, of the Lambda functions those rules
// invoke, and of every topic. It needs the rules (with their targets) and the topics listed
// first, and runs alongside the reads of the topics' subscriptions, so it adds no round trip
// to a scan whose longest chain is the topics'; a region with no rule or topic costs no call.
func collectActivity(ctx context.Context, c *regionClients, r *snapshot.Region) {
	end := c.scanTime().UTC().Truncate(activityPeriod).Add(activityPeriod)
	d := &snapshot.ActivityData{Start: end.Add(-observationWindow), End: end, Period: int32(activityPeriod / time.Second), Series: []snapshot.MetricSeries{}}
	r.Activity = d
	keys := activitySeries(r, c.region)
	if len(keys) == 0 {
		return
	}
	d.Series = make([]snapshot.MetricSeries, len(keys))
	for i, k := range keys {
		d.Series[i] = snapshot.MetricSeries{Namespace: k.namespace, MetricName: k.metric, Dimensions: k.dims}
	}
	batches := (len(keys) + metricQueriesPerCall - 1) / metricQueriesPerCall
	errs := make([]*snapshot.ReadError, batches)
	fanOut(batches, func(b int) {
		lo := b * metricQueriesPerCall
		errs[b] = readSeries(ctx, c, d, d.Series[lo:min(lo+metricQueriesPerCall, len(keys))])
	})
	for _, e := range errs {
		if e != nil {
			// Which series of a failed batch were read in part is not worth guessing at.
			d.Error, d.Series = e, []snapshot.MetricSeries{}
			return
		}
	}
}

// readSeries fills series (at most 500) from one GetMetricData request and its pages.
func readSeries(ctx context.Context, c *regionClients, d *snapshot.ActivityData, series []snapshot.MetricSeries) *snapshot.ReadError {
	queries := make([]cwtypes.MetricDataQuery, len(series))
	for i, s := range series {
		dims := make([]cwtypes.Dimension, 0, len(s.Dimensions))
		for _, name := range sortedKeys(s.Dimensions) {
			dims = append(dims, cwtypes.Dimension{Name: aws.String(name), Value: aws.String(s.Dimensions[name])})
		}
		queries[i] = cwtypes.MetricDataQuery{
			// An id starts with a lower-case letter.
			Id: aws.String(fmt.Sprintf("m%d", i)),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String(s.Namespace), MetricName: aws.String(s.MetricName), Dimensions: dims},
				Period: aws.Int32(d.Period),
				Stat:   aws.String("Sum"),
			},
			ReturnData: aws.Bool(true),
		}
	}
	p := cloudwatch.NewGetMetricDataPaginator(c.cloudwatch, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries,
		StartTime:         aws.Time(d.Start),
		EndTime:           aws.Time(d.End),
		// Newest first: when paging stops early, what is missing is the oldest.
		ScanBy: cwtypes.ScanByTimestampDescending,
	})
	read := 0
	more := func() bool { return read < activityMaxPages && p.HasMorePages() }
	last := make([]cwtypes.StatusCode, len(series))
	err := pages(ctx, more, p.NextPage, "cloudwatch:GetMetricData", func(out *cloudwatch.GetMetricDataOutput) {
		read++
		for _, res := range out.MetricDataResults {
			var i int
			if _, err := fmt.Sscanf(aws.ToString(res.Id), "m%d", &i); err != nil || i < 0 || i >= len(series) {
				continue
			}
			s := &series[i]
			for k, t := range res.Timestamps {
				if k < len(res.Values) {
					s.Points = append(s.Points, snapshot.MetricPoint{Timestamp: t.UTC(), Value: res.Values[k]})
				}
			}
			last[i] = res.StatusCode
			if res.StatusCode == cwtypes.StatusCodeForbidden || res.StatusCode == cwtypes.StatusCodeInternalError {
				msgs := make([]string, 0, len(res.Messages))
				for _, m := range res.Messages {
					msgs = append(msgs, strings.TrimSpace(aws.ToString(m.Code)+" "+aws.ToString(m.Value)))
				}
				s.Error = &snapshot.ReadError{Operation: "cloudwatch:GetMetricData", Code: string(res.StatusCode), Message: orText(strings.Join(msgs, "; "), "AWS answered "+string(res.StatusCode)+" for this series")}
			}
		}
	})
	if err != nil {
		return err
	}
	for i := range series {
		s := &series[i]
		s.Partial = last[i] == cwtypes.StatusCodePartialData
		// Newest first, whatever order the pages came in.
		slices.SortStableFunc(s.Points, func(a, b snapshot.MetricPoint) int { return b.Timestamp.Compare(a.Timestamp) })
	}
	return nil
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// activitySeries are the series to read in region r: per enabled event-pattern rule with
// targets, its AWS/Events series (RuleName, and EventBusName for a rule on a custom bus); per
// function of this account and region that such a rule invokes, its AWS/Lambda series
// (FunctionName: every version and alias); per topic, its AWS/SNS series (TopicName). In a
// stable order. It reads the rules with their targets and the topics' ARNs only: the topics'
// subscriptions may still be being read.
func activitySeries(r *snapshot.Region, region string) []seriesKey {
	var keys []seriesKey
	add := func(namespace string, metrics []string, dims map[string]string) {
		for _, m := range metrics {
			keys = append(keys, seriesKey{namespace: namespace, metric: m, dims: dims})
		}
	}
	functions := map[string]bool{}
	// A function's metrics are in its own account and region: those of the rule's.
	note := func(rule, target string) {
		a, err := arn.Parse(target)
		if err != nil || a.Service != "lambda" || a.Region != region {
			return
		}
		if owner, err := arn.Parse(rule); err == nil && owner.AccountID != a.AccountID {
			return
		}
		if parts := strings.Split(a.Resource, ":"); len(parts) >= 2 && parts[0] == "function" {
			functions[parts[1]] = true
		}
	}
	if r.EventBridge != nil {
		for _, rule := range r.EventBridge.Rules {
			if rule.EventPattern == "" || len(rule.Targets) == 0 || rule.State == "DISABLED" {
				continue
			}
			dims := map[string]string{"RuleName": rule.Name}
			if rule.EventBusName != "" && rule.EventBusName != "default" {
				dims["EventBusName"] = rule.EventBusName
			}
			add("AWS/Events", ruleMetrics, dims)
			for _, t := range rule.Targets {
				note(rule.ARN, t.ARN)
			}
		}
	}
	for _, name := range sortedKeys(functions) {
		add("AWS/Lambda", functionMetrics, map[string]string{"FunctionName": name})
	}
	if r.SNS != nil {
		// Only each topic's ARN is read (by index, not a copy of the topic): its other
		// fields may be being written by the reads of its subscriptions and attributes.
		for i := range r.SNS.Topics {
			if a, err := arn.Parse(r.SNS.Topics[i].ARN); err == nil {
				add("AWS/SNS", topicMetrics, map[string]string{"TopicName": a.Resource})
			}
		}
	}
	return keys
}
