package checks

import (
	"testing"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// TestCompositeAlarmPaths: a metric alarm with no action of its own still notifies through a
// composite alarm whose rule one matching event turns TRUE (every other metric alarm OK).
func TestCompositeAlarmPaths(t *testing.T) {
	c := byID("cloudwatch-root-usage-alarm")
	const rootARN = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:RootAccountUsage"
	silent := func(s *snapshot.Snapshot) {
		for i := range east(s).CloudWatch.Alarms {
			if a := &east(s).CloudWatch.Alarms[i]; a.Name == "RootAccountUsage" {
				a.ActionsEnabled, a.AlarmActions = false, nil
			}
		}
	}
	composite := func(name, rule string, actions bool, extra ...func(*snapshot.CompositeAlarm)) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) {
			ca := snapshot.CompositeAlarm{Name: name, ARN: "arn:aws:cloudwatch:us-east-1:111111111111:alarm:" + name, AlarmRule: rule, ActionsEnabled: true}
			if actions {
				ca.AlarmActions = []string{ctlTopic}
			}
			for _, f := range extra {
				f(&ca)
			}
			east(s).CloudWatch.CompositeAlarms = append(east(s).CloudWatch.CompositeAlarms, ca)
		}
	}
	runControlCases(t, c, []controlCase{
		{name: "metric alarm with actions disabled and no composite", status: Fail, mutate: silent, want: []string{"its actions are disabled"}},
		{name: "OR composite with an SNS action notifies", status: Pass,
			mutate: both(silent, composite("security", "ALARM(RootAccountUsage) OR ALARM(ApiActivityWithoutMFA)", true)),
			want:   []string{"raises composite alarm security"}},
		{name: "composite naming the alarm by ARN", status: Pass, mutate: both(silent, composite("security", `ALARM("`+rootARN+`")`, true))},
		{name: "AND with an unrelated alarm: one event cannot raise it", status: Fail,
			mutate: both(silent, composite("security", "ALARM(RootAccountUsage) AND ALARM(ApiActivityWithoutMFA)", true))},
		{name: "AND NOT of an unrelated alarm in OK", status: Pass,
			mutate: both(silent, composite("security", "ALARM(RootAccountUsage) AND NOT ALARM(ApiActivityWithoutMFA)", true))},
		{name: "nested: a composite without actions raises one that notifies", status: Pass,
			mutate: both(silent, composite("inner", "ALARM(RootAccountUsage)", false), composite("outer", "ALARM(inner) OR ALARM(ApiActivityWithoutMFA)", true)),
			want:   []string{"raises composite alarm outer"}},
		{name: "nested AND above: fails", status: Fail,
			mutate: both(silent, composite("inner", "ALARM(RootAccountUsage)", false), composite("outer", "ALARM(inner) AND ALARM(ApiActivityWithoutMFA)", true))},
		{name: "composite with actions disabled", status: Fail,
			mutate: both(silent, composite("security", "ALARM(RootAccountUsage)", true, func(c *snapshot.CompositeAlarm) { c.ActionsEnabled = false })),
			want:   []string{"composite alarm security", "its actions are disabled"}},
		{name: "composite whose suppressor is the alarm itself", status: Fail,
			mutate: both(silent, composite("security", "ALARM(RootAccountUsage)", true, func(c *snapshot.CompositeAlarm) { c.ActionsSuppressor = "RootAccountUsage" })),
			want:   []string{"holds its actions back"}},
		{name: "composite whose action topic does not exist", status: Fail,
			mutate: both(silent, composite("security", "ALARM(RootAccountUsage)", true, func(c *snapshot.CompositeAlarm) {
				c.AlarmActions = []string{"arn:aws:sns:us-east-1:111111111111:gone"}
			}))},
		{name: "composite TRUE whatever happens never changes state", status: Fail,
			mutate: both(silent, composite("security", "TRUE OR ALARM(RootAccountUsage)", true))},
		{name: "composite AND an alarm lookout did not read is ERROR", status: Error,
			mutate: both(silent, composite("security", "ALARM(RootAccountUsage) AND OK(elsewhere)", true))},
	})
}
