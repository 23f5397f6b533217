package checks

import (
	"fmt"
	"sort"

	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// cisAlarmFix is what lookout creates for one CIS alarm check: a metric filter with the reference
// pattern (the AWS CloudTrail guide's alarm examples) publishing 1 per match to a metric in
// lookout's own namespace (so it never adds to a metric of the user's), and an alarm on it.
type cisAlarmFix struct {
	filter, metric, alarm, pattern, what string
}

// fixMetricNamespace is where lookout's metric filters publish.
const fixMetricNamespace = "lookout/CloudTrail"

// planCISAlarm completes the chain trail → log group → metric filter → alarm → SNS topic →
// subscriber on the log group of a logging trail of the account. It does not reconfigure
// trails: with no logging trail delivering to CloudWatch Logs, it plans nothing and says so
// (cloudtrail-logging's fix creates such a trail when the account has none, and runs first).
func planCISAlarm(spec cisAlarmFix) PlanFunc {
	return func(s *snapshot.Snapshot, f Finding, o FixOptions) ([]plan.Action, string, error) {
		a, err := fixAccount(s, f.Account)
		if err != nil {
			return nil, "", err
		}
		lg, ok := cisLogGroup(a)
		if !ok {
			return nil, "no logging trail of account " + a.ID + " delivers to a CloudWatch Logs log group in the account: " +
				"lookout does not reconfigure trails (send one to CloudWatch Logs, or let 'lookout fix' create its trail where none covers a region)", nil
		}
		region := lg.Region
		r, err := fixRegion(a, region)
		if err != nil {
			return nil, "", err
		}
		topic, actions, note, ok := notifyTopic(a, region, o)
		if !ok {
			return nil, note, nil
		}
		p := fixPartition(a)
		if !hasMetricFilter(r, lg.Name, spec.filter) {
			actions = append(actions, plan.Action{
				Region: region, Target: fixARN(p, "logs", region, a.ID, "log-group:"+lg.Name) + " filter " + spec.filter, Effect: plan.Change,
				Params: fixMetricFilter(lg.Name, spec.filter, spec.pattern, spec.metric, fixMetricNamespace),
				Why:    fmt.Sprintf("counts %s in the trail's log group %s (a filter added to the group; its other filters are untouched)", spec.what, lg.Name),
			})
		}
		alarmARN := fixARN(p, "cloudwatch", region, a.ID, "alarm:"+spec.alarm)
		if !hasAlarm(r, spec.alarm) {
			actions = append(actions, plan.Action{
				Region: region, Target: alarmARN, Effect: plan.Create,
				Params: fixAlarmOnFirst(spec.alarm, "lookout: "+spec.what+" (CIS)", spec.metric, fixMetricNamespace, 300, topic),
				Why:    "goes off on one matching event: Sum >= 1 over 5 minutes, 1 of 1 datapoints, notifying " + topic,
			})
		}
		if len(actions) == 0 {
			return nil, "lookout's filter, alarm and topic are in place, yet the check fails: see the finding", nil
		}
		return actions, note, nil
	}
}

// cisLogGroup picks the log group lookout wires alarms to: that of a trail that passes
// cloudtrail-logging in its home region and delivers to CloudWatch Logs in this account without
// a delivery error, is multi-region and includes global service events, preferring lookout's
// own, then by ARN.
func cisLogGroup(a *snapshot.Account) (route.LogGroupRef, bool) {
	var cands []*snapshot.Trail
	for i := range a.Trails {
		t := &a.Trails[i]
		if t.CloudWatchLogsLogGroupARN == "" || judgeTrail(t, t.HomeRegion).status != Pass {
			continue
		}
		// The chain needs a trail that sees the whole account (see judgeTrailChain): alarms
		// wired to any other trail's group would still leave the check failing.
		if st, _ := includesGlobalEvents(t); !t.IsMultiRegion || st != Pass {
			continue
		}
		if t.Status.LatestCloudWatchLogsDeliveryError != "" {
			continue
		}
		lg, err := route.LogGroupFromARN(t.CloudWatchLogsLogGroupARN)
		if err != nil || lg.Account != a.ID || a.Region(lg.Region) == nil {
			continue
		}
		cands = append(cands, t)
	}
	if len(cands) == 0 {
		return route.LogGroupRef{}, false
	}
	sort.SliceStable(cands, func(i, j int) bool {
		x, y := cands[i], cands[j]
		if x.IsMultiRegion != y.IsMultiRegion {
			return x.IsMultiRegion
		}
		if (x.Name == fixTrailName) != (y.Name == fixTrailName) {
			return x.Name == fixTrailName
		}
		return x.ARN < y.ARN
	})
	lg, _ := route.LogGroupFromARN(cands[0].CloudWatchLogsLogGroupARN)
	return lg, true
}

func hasMetricFilter(r *snapshot.Region, group, name string) bool {
	if r.Logs == nil {
		return false
	}
	for _, f := range r.Logs.MetricFilters {
		if f.LogGroupName == group && f.Name == name {
			return true
		}
	}
	return false
}

func hasAlarm(r *snapshot.Region, name string) bool {
	if r.CloudWatch == nil {
		return false
	}
	for _, al := range r.CloudWatch.Alarms {
		if al.Name == name {
			return true
		}
	}
	return false
}
