package checks

import (
	"testing"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

func TestEC2StateChangeRule(t *testing.T) {
	ec2Rule := func(f func(r *snapshot.Rule)) func(*snapshot.Snapshot) {
		return mutateRule("us-east-1", "ec2_state_change", f)
	}
	runControlCases(t, EC2StateChangeRule(), []controlCase{
		{name: "pass state-change rule with SNS target", region: "us-east-1", status: Pass,
			want: []string{"rule ec2_state_change (ENABLED)", "SNS topic security-alerts (1 confirmed subscription(s): email)"}},
		{name: "pass rule on every state (no state filter)", region: "us-east-1", status: Pass,
			mutate: ec2Rule(func(r *snapshot.Rule) {
				r.EventPattern = `{"detail-type":["EC2 Instance State-change Notification"],"source":["aws.ec2"]}`
			})},
		{name: "no finding in a region without instances", region: "us-west-2", none: true},
		{name: "no finding when only terminated instances remain", region: "us-east-1", none: true,
			mutate: func(s *snapshot.Snapshot) { east(s).EC2.Instances[0].State = "terminated" }},
		{name: "fail rule only on running misses stopped and terminated", region: "us-east-1", status: Fail,
			want: []string{"misses [EC2 instance state-change: stopped]", "terminated"},
			mutate: ec2Rule(func(r *snapshot.Rule) {
				r.EventPattern = `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["running"]}}`
			})},
		{name: "fail SNS subscriber pending confirmation", region: "us-east-1", status: Fail, want: []string{"no confirmed subscription"},
			mutate: ec2Rule(func(r *snapshot.Rule) { r.Targets = []snapshot.Target{{ID: "1", ARN: ctlPending}} })},
		{name: "fail target topic deleted", region: "us-east-1", status: Fail, want: []string{"does not exist"},
			mutate: func(s *snapshot.Snapshot) { east(s).SNS.Topics = east(s).SNS.Topics[1:] }},
		{name: "fail rule disabled", region: "us-east-1", status: Fail, want: []string{"DISABLED"},
			mutate: ec2Rule(func(r *snapshot.Rule) { r.State = "DISABLED" })},
		{name: "fail no rule", region: "us-east-1", status: Fail, want: []string{"no EventBridge rule", "1 instance(s)"},
			mutate: func(s *snapshot.Snapshot) { east(s).EventBridge.Rules = east(s).EventBridge.Rules[:2] }},
		{name: "error EC2 instances not collected", region: "us-east-1", status: Error, want: []string{"EC2 instances were not collected"},
			mutate: func(s *snapshot.Snapshot) { east(s).EC2 = nil }},
		{name: "error EC2 unreadable", region: "us-east-1", status: Error, want: []string{"ec2:DescribeInstances"},
			mutate: func(s *snapshot.Snapshot) {
				east(s).EC2 = &snapshot.EC2Data{Error: &snapshot.ReadError{Operation: "ec2:DescribeInstances", Code: "UnauthorizedOperation", Message: "denied"}}
			}},
	})
}
