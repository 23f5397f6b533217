package checks

import (
	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// fixSigninRuleName and fixEC2RuleName are the rules lookout creates.
const (
	fixSigninRuleName = "lookout-root-console-signin"
	fixEC2RuleName    = "lookout-ec2-state-change"
)

// planConsoleSigninRule adds, in a sign-in region, a rule on root console sign-ins (the console
// sign-in alert design's rule, narrowed to the root user so that everyday IAM sign-ins do not
// drown the alert) notifying the region's topic, and lets EventBridge publish to that topic.
func planConsoleSigninRule(s *snapshot.Snapshot, f Finding, o FixOptions) ([]plan.Action, string, error) {
	pattern := mustPattern(map[string]any{
		"source":      []string{"aws.signin"},
		"detail-type": []string{"AWS Console Sign In via CloudTrail"},
		"detail":      map[string]any{"eventName": []string{"ConsoleLogin"}, "userIdentity": map[string]any{"type": []string{"Root"}}},
	})
	return planNotifyRule(s, f, o, fixSigninRuleName, pattern, "lookout: root console sign-in", "matches root console sign-ins delivered to "+f.Region)
}

// planEC2StateChangeRule adds the EC2 state-change notification rule (running, stopped,
// terminated) in the region, notifying the region's topic.
func planEC2StateChangeRule(s *snapshot.Snapshot, f Finding, o FixOptions) ([]plan.Action, string, error) {
	pattern := mustPattern(map[string]any{
		"source":      []string{"aws.ec2"},
		"detail-type": []string{"EC2 Instance State-change Notification"},
		"detail":      map[string]any{"state": []string{"running", "stopped", "terminated"}},
	})
	return planNotifyRule(s, f, o, fixEC2RuleName, pattern, "lookout: EC2 instance state changes", "matches EC2 instances entering running, stopped or terminated in "+f.Region)
}

func planNotifyRule(s *snapshot.Snapshot, f Finding, o FixOptions, name, pattern, description, why string) ([]plan.Action, string, error) {
	a, _, err := fixAccountRegion(s, f)
	if err != nil {
		return nil, "", err
	}
	topic, actions, note, ok := notifyTopic(a, f.Region, o)
	if !ok {
		return nil, note, nil
	}
	actions = append(actions, allowEventsToPublish(a, topic)...)
	actions = append(actions, ruleActions(a, f.Region, ruleSpec{
		name: name, pattern: pattern, description: description,
		targetID: fixEventsTargetID, targetARN: topic, why: why,
	})...)
	if len(actions) == 0 {
		return nil, "lookout's rule and topic are in place, yet the check fails: see the finding", nil
	}
	return actions, note, nil
}
