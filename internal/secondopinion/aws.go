package secondopinion

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
)

// AWS is the Evaluator that asks AWS: logs:TestMetricFilter and events:TestEventPattern, with
// cfg's credentials (any principal allowed to call them: the calls read nothing of the
// account), in the region of the finding they judge.
type AWS struct {
	cfg    aws.Config
	mu     sync.Mutex
	logs   map[string]*cloudwatchlogs.Client
	events map[string]*eventbridge.Client
}

// NewAWS returns the evaluator of cfg's credentials.
func NewAWS(cfg aws.Config) *AWS {
	return &AWS{cfg: cfg, logs: map[string]*cloudwatchlogs.Client{}, events: map[string]*eventbridge.Client{}}
}

func (a *AWS) regional(region string) (*cloudwatchlogs.Client, *eventbridge.Client) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if region == "" {
		region = a.cfg.Region
	}
	if _, ok := a.logs[region]; !ok {
		cfg := a.cfg.Copy()
		cfg.Region = region
		a.logs[region] = cloudwatchlogs.NewFromConfig(cfg)
		a.events[region] = eventbridge.NewFromConfig(cfg)
	}
	return a.logs[region], a.events[region]
}

// FilterMatches is logs:TestMetricFilter: its answer lists the matching messages by their
// 1-based event number.
func (a *AWS) FilterMatches(ctx context.Context, region, pattern string, messages []string) ([]bool, error) {
	logs, _ := a.regional(region)
	out, err := logs.TestMetricFilter(ctx, &cloudwatchlogs.TestMetricFilterInput{FilterPattern: aws.String(pattern), LogEventMessages: messages})
	if err != nil {
		return nil, fmt.Errorf("logs:TestMetricFilter: %w", err)
	}
	matched := make([]bool, len(messages))
	for _, m := range out.Matches {
		if n := int(m.EventNumber); n >= 1 && n <= len(messages) {
			matched[n-1] = true
		}
	}
	return matched, nil
}

// EventMatches is events:TestEventPattern.
func (a *AWS) EventMatches(ctx context.Context, region, pattern string, event []byte) (bool, error) {
	_, events := a.regional(region)
	out, err := events.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(pattern), Event: aws.String(string(event))})
	if err != nil {
		return false, fmt.Errorf("events:TestEventPattern: %w", err)
	}
	return out.Result, nil
}
