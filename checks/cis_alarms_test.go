package checks

import (
	"testing"

	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// alarmOf returns the named alarm of us-east-1.
func alarmOf(s *snapshot.Snapshot, name string) *snapshot.Alarm {
	return find(east(s).CloudWatch.Alarms, func(a *snapshot.Alarm) bool { return a.Name == name }, "alarm "+name)
}

func filterOf(s *snapshot.Snapshot, name string) *snapshot.MetricFilter {
	return find(east(s).Logs.MetricFilters, func(f *snapshot.MetricFilter) bool { return f.Name == name }, "filter "+name)
}

func TestRootUsageAlarm(t *testing.T) {
	alarm := func(f func(a *snapshot.Alarm)) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) { f(alarmOf(s, "RootAccountUsage")) }
	}
	filter := func(f func(m *snapshot.MetricFilter)) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) { f(filterOf(s, "RootAccountUsage")) }
	}
	trail := func(f func(t *snapshot.Trail)) func(*snapshot.Snapshot) {
		return func(s *snapshot.Snapshot) { f(&s.Accounts[0].Trails[0]) }
	}
	readErr := &snapshot.ReadError{Operation: "x:Y", Code: "AccessDenied", Message: "denied"}
	runControlCases(t, RootUsageAlarm(), []controlCase{
		{name: "pass AWS guide chain", status: Pass,
			want: []string{"trail main delivers to log group cloudtrail-logs (account 111111111111, us-east-1)",
				"metric filter RootAccountUsage", "alarm RootAccountUsage (Sum >= 1 over 300s, 1 of 1)", "which notifies SNS topic security-alerts (1 confirmed subscription(s): email)"}},
		{name: "pass reordered clauses with parentheses", status: Pass,
			mutate: filter(func(m *snapshot.MetricFilter) {
				m.Pattern = `{ ($.eventType != "AwsServiceEvent") && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type = "Root") }`
			})},
		{name: "pass SampleCount > 0", status: Pass,
			mutate: alarm(func(a *snapshot.Alarm) {
				a.Statistic, a.ComparisonOperator, a.Threshold = "SampleCount", "GreaterThanThreshold", 0
			})},
		{name: "pass 1 of 3 datapoints", status: Pass,
			mutate: alarm(func(a *snapshot.Alarm) { a.EvaluationPeriods, a.DatapointsToAlarm = 3, 1 })},
		{name: "pass any complete chain among several trails", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				broken := s.Accounts[0].Trails[0]
				broken.Name, broken.ARN, broken.CloudWatchLogsLogGroupARN = "aaa-no-logs", "arn:aws:cloudtrail:us-east-1:111111111111:trail/aaa-no-logs", ""
				s.Accounts[0].Trails = append([]snapshot.Trail{broken}, s.Accounts[0].Trails...)
			}},
		{name: "fail lower-case root", status: Fail, broken: route.BrokenLink{Link: route.LinkMetricFilter}, want: []string{"RootAccountUsage (matches 0 of 3 positives, 0 of 5 negatives)"},
			mutate: filter(func(m *snapshot.MetricFilter) {
				m.Pattern = `{ $.userIdentity.type = "root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`
			})},
		{name: "fail pattern without the service clauses fires on AWS service actions", status: Fail, want: []string{"also matches [root action invoked by an AWS service"},
			mutate: filter(func(m *snapshot.MetricFilter) { m.Pattern = `{ $.userIdentity.type = "Root" }` })},
		{name: "fail no metric filter on the log group", status: Fail, want: []string{"has no metric filter"},
			mutate: func(s *snapshot.Snapshot) { east(s).Logs.MetricFilters = nil }},
		{name: "fail filter publishes 0", status: Fail, want: []string{"gets 0 per matching event"},
			mutate: filter(func(m *snapshot.MetricFilter) { m.Transformations[0].MetricValue = "0" })},
		{name: "fail alarm on another namespace", status: Fail,
			broken: route.BrokenLink{Link: route.LinkAlarm}, want: []string{"no alarm in account 111111111111, us-east-1 watches that metric", "alarm RootAccountUsage watches LogMetrics/RootAccountUsageCount"},
			mutate: alarm(func(a *snapshot.Alarm) { a.Namespace = "LogMetrics" })},
		{name: "fail alarm on other dimensions", status: Fail, want: []string{"a different metric"},
			mutate: alarm(func(a *snapshot.Alarm) { a.Dimensions = map[string]string{"Account": "111111111111"} })},
		{name: "fail threshold > 1", status: Fail, want: []string{"one event gives Sum 1, which does not meet > 1"},
			mutate: alarm(func(a *snapshot.Alarm) { a.ComparisonOperator = "GreaterThanThreshold" })},
		{name: "fail 3 of 3 datapoints", status: Fail, want: []string{"needs 3 of 3 datapoints"},
			mutate: alarm(func(a *snapshot.Alarm) { a.EvaluationPeriods = 3 })},
		{name: "fail LessThan comparison", status: Fail, want: []string{"does not go off when events are counted"},
			mutate: alarm(func(a *snapshot.Alarm) { a.ComparisonOperator = "LessThanThreshold" })},
		{name: "fail Average diluted by default value", status: Fail, want: []string{"diluted by the filter's default value 0"},
			mutate: func(s *snapshot.Snapshot) {
				zero := 0.0
				filterOf(s, "RootAccountUsage").Transformations[0].DefaultValue = &zero
				alarmOf(s, "RootAccountUsage").Statistic = "Average"
			}},
		{name: "fail default value already breaching", status: Fail, want: []string{"stays in ALARM"},
			mutate: func(s *snapshot.Snapshot) {
				filterOf(s, "RootAccountUsage").Transformations[0].DefaultValue = one()
			}},
		{name: "fail missing data breaching", status: Fail, want: []string{"treats missing data as breaching"},
			mutate: alarm(func(a *snapshot.Alarm) { a.TreatMissingData = "breaching" })},
		{name: "fail sub-minute period", status: Fail, want: []string{"period 10s"},
			mutate: alarm(func(a *snapshot.Alarm) { a.Period = 10 })},
		{name: "fail actions disabled", status: Fail, want: []string{"its actions are disabled"},
			mutate: alarm(func(a *snapshot.Alarm) { a.ActionsEnabled = false })},
		{name: "fail no SNS action", status: Fail, broken: route.BrokenLink{Link: route.LinkTopic, Hop: route.HopTarget}, want: []string{"notifies no SNS topic"},
			mutate: alarm(func(a *snapshot.Alarm) { a.AlarmActions = nil })},
		{name: "fail SNS topic deleted", status: Fail, broken: route.BrokenLink{Link: route.LinkTopic, Hop: route.HopTarget}, want: []string{"security-alerts does not exist"},
			mutate: func(s *snapshot.Snapshot) { east(s).SNS.Topics = east(s).SNS.Topics[1:] }},
		{name: "fail subscription pending confirmation", status: Fail, broken: route.BrokenLink{Link: route.LinkSubscriber, Hop: route.HopSubscription}, want: []string{"1 PendingConfirmation"},
			mutate: alarm(func(a *snapshot.Alarm) { a.AlarmActions = []string{ctlPending} })},
		{name: "fail log group missing, same-named group elsewhere does not count", status: Fail,
			broken: route.BrokenLink{Link: route.LinkLogGroup}, want: []string{"cloudtrail-logs (account 111111111111, us-east-1) does not exist"},
			mutate: func(s *snapshot.Snapshot) {
				// The complete chain moved to us-west-2, under the same group name.
				west(s).Logs, west(s).CloudWatch = east(s).Logs, east(s).CloudWatch
				east(s).Logs = &snapshot.LogsData{LogGroups: []snapshot.LogGroup{}, MetricFilters: []snapshot.MetricFilter{}}
				east(s).CloudWatch = &snapshot.CloudWatchData{Alarms: []snapshot.Alarm{}}
			}},
		{name: "fail trail without CloudWatch Logs", status: Fail, broken: route.BrokenLink{Link: route.LinkTrail}, want: []string{"does not deliver to CloudWatch Logs"},
			mutate: trail(func(t *snapshot.Trail) { t.CloudWatchLogsLogGroupARN = "" })},
		{name: "fail trail CloudWatch Logs delivery error", status: Fail, want: []string{"cannot deliver to CloudWatch Logs", "AccessDenied"},
			mutate: trail(func(t *snapshot.Trail) { t.Status.LatestCloudWatchLogsDeliveryError = "AccessDenied" })},
		{name: "fail trail not logging", status: Fail, broken: route.BrokenLink{Link: route.LinkTrail}, want: []string{"is not logging"},
			mutate: trail(func(t *snapshot.Trail) { t.Status.IsLogging = false })},
		{name: "fail no trail at all", status: Fail, region: "global", want: []string{"no trail records account 111111111111's activity"},
			mutate: func(s *snapshot.Snapshot) { s.Accounts[0].Trails = nil }},
		{name: "error log groups not collected", status: Error, want: []string{"CloudWatch Logs was not collected"},
			mutate: func(s *snapshot.Snapshot) { east(s).Logs = nil }},
		{name: "error metric filters unreadable", status: Error, want: []string{"metric filters of log group cloudtrail-logs could not be read"},
			mutate: func(s *snapshot.Snapshot) { east(s).Logs.MetricFiltersError = readErr }},
		{name: "error alarms unreadable", status: Error, want: []string{"alarms of us-east-1 could not be read"},
			mutate: func(s *snapshot.Snapshot) { east(s).CloudWatch = &snapshot.CloudWatchData{Error: readErr} }},
		{name: "error subscribers unreadable", status: Error, want: []string{"subscribers of SNS topic security-alerts cannot be verified"},
			mutate: func(s *snapshot.Snapshot) { east(s).SNS.Topics[0].SubscriptionsError = readErr }},
		{name: "error log group in an account outside the scan", status: Error, want: []string{"account 999999999999 is not in this scan"},
			mutate: trail(func(t *snapshot.Trail) {
				t.CloudWatchLogsLogGroupARN = "arn:aws:logs:us-east-1:999999999999:log-group:org-trail-logs:*"
			})},
	})
}

func TestMFAAlarms(t *testing.T) {
	runControlCases(t, APIWithoutMFAAlarm(), []controlCase{
		{name: "pass AWS guide API without MFA", status: Pass, want: []string{"metric filter ApiActivityWithoutMFA"}},
		{name: "fail pattern on the wrong value", status: Fail, want: []string{"misses"},
			mutate: func(s *snapshot.Snapshot) {
				filterOf(s, "ApiActivityWithoutMFA").Pattern = `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "true" }`
			}},
	})
	runControlCases(t, ConsoleSigninWithoutMFAAlarm(), []controlCase{
		{name: "pass AWS guide MFAUsed = No", status: Pass, want: []string{"metric filter ConsoleSignInWithoutMfa"}},
		{name: "pass CIS MFAUsed != Yes", status: Pass,
			mutate: func(s *snapshot.Snapshot) {
				filterOf(s, "ConsoleSignInWithoutMfa").Pattern = `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`
			}},
		{name: "fail pattern counts every console login", status: Fail, want: []string{"also matches [IAM user console login, success, MFAUsed Yes]"},
			mutate: func(s *snapshot.Snapshot) {
				filterOf(s, "ConsoleSignInWithoutMfa").Pattern = `{ $.eventName = "ConsoleLogin" }`
			}},
		{name: "fail alarm watches the root metric", status: Fail, broken: route.BrokenLink{Link: route.LinkAlarm}, want: []string{},
			mutate: func(s *snapshot.Snapshot) {
				alarmOf(s, "ConsoleSignInWithoutMfa").MetricName = "RootAccountUsageCount2"
			}},
	})
}

// TestOrganizationTrailChainInManagementAccount: a member account's events reach the
// organization trail's log group in the management account; the chain there counts for the
// member, and only there.
func TestOrganizationTrailChainInManagementAccount(t *testing.T) {
	s := controlsFixture()
	s.Accounts[0].Trails[0].IsOrganizationTrail = true
	member := snapshot.Account{ID: "222222222222", Trails: []snapshot.Trail{s.Accounts[0].Trails[0]},
		Regions: []snapshot.Region{{Name: "us-east-1", CloudTrail: &snapshot.CloudTrailView{TrailARNs: []string{ctlTrail}},
			Logs: &snapshot.LogsData{LogGroups: []snapshot.LogGroup{}, MetricFilters: []snapshot.MetricFilter{}}}}}
	s.Accounts = append(s.Accounts, member)
	var got *Finding
	for _, f := range Run(s, []*Check{RootUsageAlarm()}, Options{}) {
		if f.Account == "222222222222" {
			got = &f
		}
	}
	if got == nil || got.Status != Pass || got.Region != "us-east-1" {
		t.Fatalf("member account finding = %+v, want PASS through the management account's chain", got)
	}
	s.Accounts = s.Accounts[1:]
	for _, f := range Run(s, []*Check{RootUsageAlarm()}, Options{}) {
		if f.Status != Error {
			t.Errorf("without the management account the chain cannot be judged: got %s %s", f.Status, f.Message)
		}
	}
}
