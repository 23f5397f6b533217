package checks

import (
	"fmt"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// EC2StateChangeRule verifies the EC2 state-change notification rule (EventBridge rule on EC2
// Instance State-change Notification events → SNS): instances starting, stopping or
// terminating in a region reach someone.
func EC2StateChangeRule() *Check {
	return &Check{
		ID:       "eventbridge-ec2-state-change-rule",
		Title:    "EC2 instance state changes trigger an EventBridge rule",
		Severity: Low,
		Service:  "events",
		Verifies: "In each region with EC2 instances (terminated ones aside): an ENABLED rule on the default event bus " +
			"whose pattern, evaluated against EC2 Instance State-change Notification events, matches the running, " +
			"stopped and terminated states and does not match unrelated or custom look-alike events, with a target " +
			"that delivers: a Lambda function that lets the rule invoke it, or an SNS topic with a confirmed subscriber " +
			"that receives the event. Regions without instances get no finding; a region whose instances were not " +
			"collected is ERROR." + route.DeliveryVerifies,
		Remediation: `Create a rule {"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["running","stopped","terminated"]}} ` +
			"with an SNS target that has a confirmed subscriber.",
		FixSummary: "create an EC2 state-change rule with an SNS target in the region",
		Run:        runEC2StateChangeRule,
		Plan:       planEC2StateChangeRule,
	}
}

func runEC2StateChangeRule(c *Check, s *snapshot.Snapshot, _ Options) []Finding {
	return perRegion(s, func(a *snapshot.Account, r *snapshot.Region) []Finding {
		resource := a.ARN("events", r.Name, "rule/*")
		switch {
		case r.EC2 == nil:
			return []Finding{c.finding(a.ID, r.Name, resource, Error, "EC2 instances were not collected")}
		case r.EC2.Error != nil:
			return []Finding{c.readError(a.ID, r.Name, resource, r.EC2.Error, "the EC2 instances of "+r.Name)}
		}
		live := 0
		for _, in := range r.EC2.Instances {
			if in.State != "terminated" {
				live++
			}
		}
		if live == 0 {
			return nil
		}
		d := detection.EC2StateChange(r.Name, a.ID)
		what := fmt.Sprintf("EC2 instance state changes (running, stopped, terminated) of the %d instance(s)", live)
		return []Finding{c.ruleFinding(s, a.ID, r, resource, d, route.Notifies, what,
			&FixHint{Available: true, Summary: fmt.Sprintf("create rule lookout-ec2-state-change in %s with an SNS target (--sns-topic-arn or --notify-email)", r.Name)})}
	})
}
