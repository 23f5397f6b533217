package bench

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// SeedBusy adds to the demo state of one account, in each of regions, topics SNS topics and
// rules EventBridge rules that lookout reads one call each (ListSubscriptionsByTopic and
// GetTopicAttributes per topic, ListTargetsByRule per rule): an account busy enough that a
// scan meets AWS's per-API rate limits, where the demo state (one call per API and region)
// never does. The rules match no CIS event, and the topics have no subscriber.
func SeedBusy(ctx context.Context, cfg aws.Config, regions []string, topics, rules int) error {
	for _, region := range regions {
		rc := cfg.Copy()
		rc.Region = region
		sc := sns.NewFromConfig(rc)
		for i := range topics {
			if _, err := sc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(fmt.Sprintf("app-%03d", i))}); err != nil {
				return fmt.Errorf("sns:CreateTopic in %s: %w", region, err)
			}
		}
		eb := eventbridge.NewFromConfig(rc)
		for i := range rules {
			if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{
				Name:         aws.String(fmt.Sprintf("app-%03d", i)),
				EventPattern: aws.String(fmt.Sprintf(`{"source":["app.jobs"],"detail-type":["job %d finished"]}`, i)),
			}); err != nil {
				return fmt.Errorf("events:PutRule in %s: %w", region, err)
			}
		}
	}
	return nil
}
