package checks

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Shared pieces of the fixes that notify someone (CIS alarms, sign-in and EC2 rules): the SNS
// topic and its subscriber, and EventBridge rules with targets. Each helper plans only what the
// snapshot shows missing, so a rerun over a fixed account plans nothing.

// notifyTopic picks the SNS topic a region's alarms and rules notify, and plans what it lacks:
//   - a --sns-topic-arn in that region is used as it is (the user vouches for its subscribers);
//   - otherwise lookout's own topic lookout-alerts: created if absent, and --notify-email
//     subscribed unless it already has a confirmed subscriber.
//
// ok is false, with a note, when no topic can reach anyone (no --sns-topic-arn for the region
// and no --notify-email for a topic without subscribers): an alarm on a topic nobody reads
// would still fail, so nothing is planned.
func notifyTopic(a *snapshot.Account, region string, o FixOptions) (topic string, actions []plan.Action, note string, ok bool) {
	for _, t := range o.SNSTopicARNs {
		if p, ok := awsarn.Parse(t); ok && p.Region == region {
			return t, nil, "", true
		}
	}
	topic = fixARN(fixPartition(a), "sns", region, a.ID, fixTopicName)
	var existing *snapshot.Topic
	if r := a.Region(region); r != nil && r.SNS != nil {
		for i := range r.SNS.Topics {
			if r.SNS.Topics[i].ARN == topic {
				existing = &r.SNS.Topics[i]
			}
		}
	}
	confirmed := false
	if existing != nil {
		for _, s := range existing.Subscriptions {
			confirmed = confirmed || s.Confirmed
		}
	}
	if !confirmed && o.NotifyEmail == "" {
		given := ""
		if len(o.SNSTopicARNs) > 0 {
			given = fmt.Sprintf(" (no --sns-topic-arn given is in %s: a topic must be in the region of the alarm or rule)", region)
		}
		return "", nil, fmt.Sprintf("needs someone to notify in %s: pass --sns-topic-arn with a topic there that has a confirmed subscriber, or --notify-email%s", region, given), false
	}
	if existing == nil {
		actions = append(actions, plan.Action{
			Region: region, Target: topic, Effect: plan.Create,
			Params: plan.CreateTopic{Name: fixTopicName, Tags: fixTags()},
			Why:    "the topic lookout's alarms and rules in " + region + " notify",
		})
	}
	if !confirmed {
		actions = append(actions, plan.Action{
			Region: region, Target: topic, Effect: plan.Configure,
			Params: plan.Subscribe{TopicARN: topic, Protocol: "email", Endpoint: o.NotifyEmail},
			Why:    "delivers notifications to " + o.NotifyEmail + " once the address confirms the subscription (AWS sends a confirmation mail)",
		})
		note = "the email subscription must be confirmed from the mail AWS sends before notifications (and this check) pass"
	}
	return topic, actions, note, true
}

// allowEventsToPublish plans the topic policy statement that lets EventBridge publish to the
// topic, unless the policy read already allows it. On a topic of the user's it is an additive
// change: the executor adds the statement and keeps every other.
func allowEventsToPublish(a *snapshot.Account, topic string) []plan.Action {
	p, ok := awsarn.Parse(topic)
	if !ok {
		return nil
	}
	effect := plan.Configure
	if r := a.Region(p.Region); r != nil && r.SNS != nil {
		for _, t := range r.SNS.Topics {
			if t.ARN != topic {
				continue
			}
			if policyAllowsEvents(t.Policy) {
				return nil
			}
			if !strings.HasSuffix(topic, ":"+fixTopicName) {
				effect = plan.Change
			}
		}
	}
	if !strings.HasSuffix(topic, ":"+fixTopicName) {
		effect = plan.Change
	}
	return []plan.Action{{
		Region: p.Region, Target: topic, Effect: effect,
		Params: plan.SetTopicAttributes{TopicARN: topic, AttributeName: "Policy", AddStatement: plan.Statement{
			Sid: fixTopicStatementSid, Effect: "Allow",
			Principal: &plan.ServicePrincipal{Service: "events.amazonaws.com"},
			Action:    "sns:Publish", Resource: topic,
			Condition: map[string]map[string]string{"StringEquals": {"aws:SourceAccount": a.ID}},
		}},
		Why: "EventBridge delivers to an SNS topic only if its access policy lets events.amazonaws.com publish (statement added; existing statements kept)",
	}}
}

// policyAllowsEvents reports whether a topic policy has lookout's statement, or any Allow of
// sns:Publish (or sns:*) to events.amazonaws.com.
func policyAllowsEvents(policy string) bool {
	if policy == "" {
		return false
	}
	var doc struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return false
	}
	var stmts []map[string]any
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one map[string]any
		if json.Unmarshal(doc.Statement, &one) != nil {
			return false
		}
		stmts = []map[string]any{one}
	}
	for _, st := range stmts {
		if st["Sid"] == fixTopicStatementSid {
			return true
		}
		if st["Effect"] != "Allow" || st["Condition"] != nil {
			continue
		}
		principal, _ := st["Principal"].(map[string]any)
		if !anyString(principal["Service"], "events.amazonaws.com") {
			continue
		}
		if anyString(st["Action"], "sns:Publish") || anyString(st["Action"], "sns:*") {
			return true
		}
	}
	return false
}

// anyString: v is the string want or a list containing it.
func anyString(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return x == want
	case []any:
		for _, e := range x {
			if e == want {
				return true
			}
		}
	}
	return false
}

// ruleSpec is an EventBridge rule lookout creates, with one target.
type ruleSpec struct {
	name, pattern, description string
	targetID, targetARN        string
	why                        string
}

// ruleActions plans lookout's rule in region: PutRule if no rule of that name was read there,
// and PutTargets if the rule lacks lookout's target.
func ruleActions(a *snapshot.Account, region string, spec ruleSpec) []plan.Action {
	ruleARN := fixARN(fixPartition(a), "events", region, a.ID, "rule/"+spec.name)
	var existing *snapshot.Rule
	if r := a.Region(region); r != nil && r.EventBridge != nil {
		for i := range r.EventBridge.Rules {
			if r.EventBridge.Rules[i].Name == spec.name && route.OnDefaultBus(r.EventBridge.Rules[i]) {
				existing = &r.EventBridge.Rules[i]
			}
		}
	}
	var out []plan.Action
	if existing == nil {
		out = append(out, plan.Action{
			Region: region, Target: ruleARN, Effect: plan.Create,
			Params: plan.PutRule{Name: spec.name, EventPattern: spec.pattern, State: "ENABLED",
				Description: spec.description, Tags: fixTags()},
			Why: spec.why,
		})
	}
	if existing != nil {
		for _, t := range existing.Targets {
			if t.ID == spec.targetID && t.ARN == spec.targetARN {
				return out
			}
		}
	}
	out = append(out, plan.Action{
		Region: region, Target: ruleARN, Effect: plan.Configure,
		Params: plan.PutTargets{Rule: spec.name, Targets: []plan.EventTarget{{ID: spec.targetID, ARN: spec.targetARN}}},
		Why:    "sends the matching events to " + spec.targetARN,
	})
	return out
}

// mustPattern renders an event pattern.
func mustPattern(p map[string]any) string {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // literal maps of strings: cannot fail
	}
	return string(b)
}
