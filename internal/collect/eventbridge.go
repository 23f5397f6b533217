package collect

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// collectEventBridge reads the region's default event bus (its resource policy) and its rules
// with each rule's targets. AWS services (CloudTrail, sign-in, EC2) deliver only to the default
// bus, so rules on custom buses cannot see the events the checks care about. Target Input,
// InputPath and InputTransformer are not kept: they may carry webhook URLs or tokens.
func collectEventBridge(ctx context.Context, c *regionClients, r *snapshot.Region) {
	d := &snapshot.EventBridgeData{Rules: []snapshot.Rule{}}
	r.EventBridge = d
	// The bus policy is read on its own, alongside the rules: it says which other accounts
	// may send events here, which matters even when the rules cannot be listed.
	busRead := make(chan struct{})
	go func() {
		defer close(busRead)
		bus, err := c.eventbridge.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("default")})
		if err != nil {
			d.BusPolicyError = readError("events:DescribeEventBus", err)
		} else {
			d.BusPolicy, d.BusPolicyRead = aws.ToString(bus.Policy), true
		}
	}()
	defer func() { <-busRead }()
	// ListRules has no paginator in the SDK: follow NextToken by hand.
	in := &eventbridge.ListRulesInput{EventBusName: aws.String("default")}
	for {
		out, err := c.eventbridge.ListRules(ctx, in)
		if err != nil {
			d.Error = readError("events:ListRules", err)
			return
		}
		for _, rule := range out.Rules {
			d.Rules = append(d.Rules, snapshot.Rule{
				Name:               aws.ToString(rule.Name),
				ARN:                aws.ToString(rule.Arn),
				EventBusName:       aws.ToString(rule.EventBusName),
				State:              string(rule.State),
				EventPattern:       aws.ToString(rule.EventPattern),
				ScheduleExpression: aws.ToString(rule.ScheduleExpression),
				ManagedBy:          aws.ToString(rule.ManagedBy),
				Targets:            []snapshot.Target{},
			})
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	sort.Slice(d.Rules, func(i, j int) bool { return d.Rules[i].Name < d.Rules[j].Name })
	fanOut(len(d.Rules), func(i int) {
		d.Rules[i].Targets, d.Rules[i].TargetsError = ruleTargets(ctx, c, d.Rules[i].Name)
	})
}

// ruleTargets lists one rule's targets (ListTargetsByRule has no paginator in the SDK).
func ruleTargets(ctx context.Context, c *regionClients, rule string) ([]snapshot.Target, *snapshot.ReadError) {
	targets := []snapshot.Target{}
	in := &eventbridge.ListTargetsByRuleInput{Rule: aws.String(rule), EventBusName: aws.String("default")}
	for {
		out, err := c.eventbridge.ListTargetsByRule(ctx, in)
		if err != nil {
			return targets, readError("events:ListTargetsByRule", err)
		}
		for _, t := range out.Targets {
			st := snapshot.Target{
				ID:      aws.ToString(t.Id),
				ARN:     aws.ToString(t.Arn),
				RoleARN: aws.ToString(t.RoleArn),
				// Only that the input is rewritten is kept, never the input itself.
				InputRewritten: aws.ToString(t.Input) != "" || aws.ToString(t.InputPath) != "" || t.InputTransformer != nil,
			}
			if t.DeadLetterConfig != nil {
				st.DeadLetterARN = aws.ToString(t.DeadLetterConfig.Arn)
			}
			st.AutomationAssumeRole = automationAssumeRole(aws.ToString(t.Input))
			targets = append(targets, st)
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].ID < targets[j].ID })
	return targets, nil
}

// automationAssumeRole is the AutomationAssumeRole parameter of an SSM Automation target's
// constant Input ({"AutomationAssumeRole": ["arn:aws:iam::...:role/..."], ...}: Automation
// parameters are lists of strings, a bare string is accepted too), or "". Only a value that
// is an IAM role ARN is returned: it is the one part of an Input the snapshot keeps, and a
// role ARN is no secret.
func automationAssumeRole(input string) string {
	if input == "" {
		return ""
	}
	var params map[string]json.RawMessage
	if json.Unmarshal([]byte(input), &params) != nil {
		return ""
	}
	raw, ok := params["AutomationAssumeRole"]
	if !ok {
		return ""
	}
	var one string
	var list []string
	switch {
	case json.Unmarshal(raw, &one) == nil:
	case json.Unmarshal(raw, &list) == nil && len(list) == 1:
		one = list[0]
	default:
		return ""
	}
	if a, err := arn.Parse(one); err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return ""
	}
	return one
}
