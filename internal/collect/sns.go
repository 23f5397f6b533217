package collect

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// pendingConfirmation is the SubscriptionArn SNS reports for a subscription whose endpoint has
// not confirmed it yet; such a subscriber receives nothing.
const pendingConfirmation = "PendingConfirmation"

// collectSNS reads the region's topics, each topic's subscriptions and its policy and KMS key,
// and each confirmed subscription's filter policy. Confirmation is judged from
// ListSubscriptionsByTopic (a SubscriptionArn of "PendingConfirmation"), not from
// GetTopicAttributes' SubscriptionsConfirmed, which is eventually consistent in AWS and always
// 0 in some emulators. Endpoints are stored only when they are AWS resource ARNs (see
// endpointARN): never an email address or a URL.
func collectSNS(ctx context.Context, c *regionClients, r *snapshot.Region) {
	listTopics(ctx, c, r)
	topicDetails(ctx, c, r)
}

// listTopics reads the region's topics (sns:ListTopics) into r.SNS, sorted by ARN; their
// subscriptions and attributes are topicDetails'.
func listTopics(ctx context.Context, c *regionClients, r *snapshot.Region) {
	d := &snapshot.SNSData{Topics: []snapshot.Topic{}}
	r.SNS = d
	p := sns.NewListTopicsPaginator(c.sns, &sns.ListTopicsInput{})
	if d.Error = pages(ctx, p.HasMorePages, p.NextPage, "sns:ListTopics", func(out *sns.ListTopicsOutput) {
		for _, t := range out.Topics {
			d.Topics = append(d.Topics, snapshot.Topic{ARN: aws.ToString(t.TopicArn), Subscriptions: []snapshot.Subscription{}})
		}
	}); d.Error != nil {
		return
	}
	sort.Slice(d.Topics, func(i, j int) bool { return d.Topics[i].ARN < d.Topics[j].ARN })
}

// topicDetails reads each listed topic's subscriptions (then each confirmed one's filter
// policy) and its attributes. It writes only the topics' fields, never the list itself, so
// that a reader of the topics' ARNs may run alongside.
func topicDetails(ctx context.Context, c *regionClients, r *snapshot.Region) {
	d := r.SNS
	if d == nil || d.Error != nil {
		return
	}
	// A topic's subscriptions and its attributes are independent reads: made at once.
	fanOut(2*len(d.Topics), func(k int) {
		t := &d.Topics[k/2]
		if k%2 == 0 {
			t.Subscriptions, t.SubscriptionsError = topicSubscriptions(ctx, c, t.ARN)
			return
		}
		attrs, err := c.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(t.ARN)})
		if err != nil {
			t.AttrsError = readError("sns:GetTopicAttributes", err)
			return
		}
		t.Policy = attrs.Attributes["Policy"]
		t.KMSKeyID = attrs.Attributes["KmsMasterKeyId"]
	})
}

func topicSubscriptions(ctx context.Context, c *regionClients, topic string) ([]snapshot.Subscription, *snapshot.ReadError) {
	subs := []snapshot.Subscription{}
	p := sns.NewListSubscriptionsByTopicPaginator(c.sns, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	if err := pages(ctx, p.HasMorePages, p.NextPage, "sns:ListSubscriptionsByTopic", func(out *sns.ListSubscriptionsByTopicOutput) {
		for _, s := range out.Subscriptions {
			arn := aws.ToString(s.SubscriptionArn)
			protocol := aws.ToString(s.Protocol)
			subs = append(subs, snapshot.Subscription{
				ARN:         arn,
				Protocol:    protocol,
				Confirmed:   arn != pendingConfirmation && arn != "" && arn != "Deleted",
				EndpointARN: endpointARN(protocol, aws.ToString(s.Endpoint)),
			})
		}
	}); err != nil {
		return subs, err
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].ARN < subs[j].ARN })
	fanOut(len(subs), func(i int) {
		if subs[i].Confirmed {
			subscriptionFilter(ctx, c, &subs[i])
		}
	})
	return subs, nil
}

// endpointARN keeps a subscription's endpoint only when it names an AWS resource: the queue,
// function or delivery stream of an sqs, lambda or firehose subscription. Every other endpoint
// (an email address, a phone number, a URL that may carry a token) is the subscriber's, not
// the auditor's to keep.
func endpointARN(protocol, endpoint string) string {
	switch protocol {
	case "sqs", "lambda", "firehose":
		if arn.IsARN(endpoint) {
			return endpoint
		}
	}
	return ""
}

// subscriptionFilter reads a confirmed subscription's filter policy and its scope: a
// subscriber whose filter rejects the alarm's or rule's message receives nothing. Pending
// subscriptions are not read: they receive nothing whatever their filter says.
func subscriptionFilter(ctx context.Context, c *regionClients, s *snapshot.Subscription) {
	out, err := c.sns.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(s.ARN)})
	if err != nil {
		s.AttrsError = readError("sns:GetSubscriptionAttributes", err)
		return
	}
	s.AttrsRead = true
	s.FilterPolicy = out.Attributes["FilterPolicy"]
	s.FilterPolicyScope = out.Attributes["FilterPolicyScope"]
}
