package drill

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// After an alarm's SNS action succeeded, SNS's own figures say whether the notification went
// on to the topic's subscribers: AWS/SNS NumberOfNotificationsDelivered and
// NumberOfNotificationsFailed per TopicName (SNS developer guide, "Monitoring Amazon SNS topics
// using CloudWatch"), published each minute for a topic that sent notifications. They are read
// with cloudwatch:GetMetricData from the transition's minute on, until they appear or
// DeliveryFiguresWait (bounded by the deadline) passes; a topic with no figures by then is a
// SKIPPED step and changes no verdict (SNS publishes none for a topic without subscriptions,
// and they may come late), while failures and no delivery FAIL.

// StepSNSDelivery is the step of SNS's delivery figures.
const StepSNSDelivery = "sns-delivery"

// DeliveryFiguresWait bounds the wait for SNS's figures after an alarm's action.
const DeliveryFiguresWait = 5 * time.Minute

// watchDeliveries records one sns-delivery step per topic and returns the topics whose
// figures show a failed delivery.
func (r *Result) watchDeliveries(ctx context.Context, cw CloudWatchAPI, topics []string, at time.Time, o Options) []string {
	start := at.Add(-time.Minute).Truncate(time.Minute)
	deadline := at.Add(min(DeliveryFiguresWait, o.Deadline))
	type figures struct{ delivered, failed float64 }
	got := map[string]*figures{}
	for {
		in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(o.Now().Add(time.Minute).Truncate(time.Minute))}
		for i, t := range topics {
			for j, metric := range []string{"NumberOfNotificationsDelivered", "NumberOfNotificationsFailed"} {
				in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
					Id: aws.String(fmt.Sprintf("t%d_%d", i, j)),
					MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"), Metric: &cwtypes.Metric{
						Namespace: aws.String("AWS/SNS"), MetricName: aws.String(metric),
						Dimensions: []cwtypes.Dimension{{Name: aws.String("TopicName"), Value: aws.String(resourceName(t))}}}},
				})
			}
		}
		p := cloudwatch.NewGetMetricDataPaginator(cw, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				r.addStep(o.Now(), StepSNSDelivery, Error, "cloudwatch:GetMetricData: "+err.Error())
				return nil
			}
			for _, res := range page.MetricDataResults {
				var i, j int
				if _, err := fmt.Sscanf(aws.ToString(res.Id), "t%d_%d", &i, &j); err != nil || i >= len(topics) {
					continue
				}
				sum := 0.0
				for _, v := range res.Values {
					sum += v
				}
				if len(res.Values) == 0 {
					continue
				}
				f := got[topics[i]]
				if f == nil {
					f = &figures{}
					got[topics[i]] = f
				}
				if j == 0 {
					f.delivered = sum
				} else {
					f.failed = sum
				}
			}
		}
		if len(got) == len(topics) || !o.Now().Before(deadline) {
			break
		}
		if o.Sleep(ctx, min(o.PollInterval, deadline.Sub(o.Now()))) != nil {
			break
		}
	}
	var undelivered []string
	for _, t := range topics {
		f := got[t]
		switch {
		case f == nil:
			r.addStep(o.Now(), StepSNSDelivery, Skipped, fmt.Sprintf("SNS topic %s: AWS/SNS published no delivery figures within %s", resourceName(t), deadline.Sub(at).Round(time.Second)))
		case f.failed > 0 || f.delivered == 0:
			r.addStep(o.Now(), StepSNSDelivery, Fail, fmt.Sprintf("SNS topic %s: %g notification(s) delivered, %g failed (AWS/SNS)", resourceName(t), f.delivered, f.failed))
			undelivered = append(undelivered, resourceName(t))
		default:
			r.addStep(o.Now(), StepSNSDelivery, Pass, fmt.Sprintf("SNS topic %s: %g notification(s) delivered to subscribers (AWS/SNS NumberOfNotificationsDelivered)", resourceName(t), f.delivered))
		}
	}
	return undelivered
}
