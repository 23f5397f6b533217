package collect

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// pendingConfirmation is the SubscriptionArn SNS reports for a subscription whose endpoint has
// not confirmed it yet; such a subscriber receives nothing.
const pendingConfirmation = "PendingConfirmation"

// collectSNS reads the region's topics, each topic's subscriptions and its policy and KMS key.
// Confirmation is judged from ListSubscriptionsByTopic (a SubscriptionArn of
// "PendingConfirmation"), not from GetTopicAttributes' SubscriptionsConfirmed, which is
// eventually consistent in AWS and always 0 in some emulators. Endpoints are never stored.
func collectSNS(ctx context.Context, c *regionClients, r *snapshot.Region) {
	d := &snapshot.SNSData{Topics: []snapshot.Topic{}}
	r.SNS = d
	p := sns.NewListTopicsPaginator(c.sns, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			d.Error = readError("sns:ListTopics", err)
			return
		}
		for _, t := range out.Topics {
			d.Topics = append(d.Topics, snapshot.Topic{ARN: aws.ToString(t.TopicArn), Subscriptions: []snapshot.Subscription{}})
		}
	}
	sort.Slice(d.Topics, func(i, j int) bool { return d.Topics[i].ARN < d.Topics[j].ARN })
	for i := range d.Topics {
		t := &d.Topics[i]
		t.Subscriptions, t.SubscriptionsError = topicSubscriptions(ctx, c, t.ARN)
		attrs, err := c.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(t.ARN)})
		if err != nil {
			t.AttrsError = readError("sns:GetTopicAttributes", err)
			continue
		}
		t.Policy = attrs.Attributes["Policy"]
		t.KMSKeyID = attrs.Attributes["KmsMasterKeyId"]
	}
}

func topicSubscriptions(ctx context.Context, c *regionClients, topic string) ([]snapshot.Subscription, *snapshot.ReadError) {
	subs := []snapshot.Subscription{}
	p := sns.NewListSubscriptionsByTopicPaginator(c.sns, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return subs, readError("sns:ListSubscriptionsByTopic", err)
		}
		for _, s := range out.Subscriptions {
			arn := aws.ToString(s.SubscriptionArn)
			subs = append(subs, snapshot.Subscription{
				ARN:       arn,
				Protocol:  aws.ToString(s.Protocol),
				Confirmed: arn != pendingConfirmation && arn != "" && arn != "Deleted",
			})
		}
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].ARN < subs[j].ARN })
	return subs, nil
}
