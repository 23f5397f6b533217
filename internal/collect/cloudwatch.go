package collect

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// observationWindow is how far back what AWS recorded of deliveries is read: the alarm action
// history and the delivery metrics (collectActivity). Two weeks covers an alarm that fires
// weekly (or was tested once after it was set up) while keeping the read short; an attempt
// older than that says little about whether delivery works today.
const observationWindow = 14 * 24 * time.Hour

// alarmHistoryMaxPages caps the DescribeAlarmHistory pages read per region (100 items each).
// A noisy alarm that flaps every few minutes leaves thousands of Action items in the window,
// and it must not cost a scan hundreds of calls per region. The pages are read newest first
// (ScanBy TimestampDescending), so what the cap drops is only older items: the latest action
// of every alarm that acted within the newest 1,000 items is kept. An alarm whose latest
// action lies beyond the cap has no record, as if it had not acted in the window.
const alarmHistoryMaxPages = 10

// alarmHistoryPageSize is DescribeAlarmHistory's MaxRecords, the largest it accepts. A
// variable only so that a test can prove the page cap with a dozen items.
var alarmHistoryPageSize int32 = 100

// collectCloudWatch reads the region's metric and composite alarms in one listing (a metric
// alarm without actions of its own may notify through a composite alarm whose rule it
// raises), then what CloudWatch recorded of their actions.
func collectCloudWatch(ctx context.Context, c *regionClients, r *snapshot.Region) {
	d := &snapshot.CloudWatchData{Alarms: []snapshot.Alarm{}}
	r.CloudWatch = d
	p := cloudwatch.NewDescribeAlarmsPaginator(c.cloudwatch, &cloudwatch.DescribeAlarmsInput{
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
	})
	if d.Error = pages(ctx, p.HasMorePages, p.NextPage, "cloudwatch:DescribeAlarms", func(out *cloudwatch.DescribeAlarmsOutput) {
		for _, a := range out.MetricAlarms {
			d.Alarms = append(d.Alarms, alarmFromAPI(a))
		}
		for _, a := range out.CompositeAlarms {
			d.CompositeAlarms = append(d.CompositeAlarms, snapshot.CompositeAlarm{
				Name: aws.ToString(a.AlarmName), ARN: aws.ToString(a.AlarmArn), AlarmRule: aws.ToString(a.AlarmRule),
				ActionsEnabled: aws.ToBool(a.ActionsEnabled), AlarmActions: a.AlarmActions, StateValue: string(a.StateValue),
				ActionsSuppressor: aws.ToString(a.ActionsSuppressor),
			})
		}
	}); d.Error != nil {
		return
	}
	sort.Slice(d.Alarms, func(i, j int) bool { return d.Alarms[i].Name < d.Alarms[j].Name })
	sort.Slice(d.CompositeAlarms, func(i, j int) bool { return d.CompositeAlarms[i].Name < d.CompositeAlarms[j].Name })
	names := make([]string, 0, len(d.Alarms)+len(d.CompositeAlarms))
	for _, a := range d.Alarms {
		names = append(names, a.Name)
	}
	for _, a := range d.CompositeAlarms {
		names = append(names, a.Name)
	}
	d.LastActions, d.HistoryError = lastAlarmActions(ctx, c, names)
}

// lastAlarmActions reads the Action items of the region's alarm history within
// observationWindow, newest first, and keeps the latest one of each alarm in alarms (the
// history outlives deleted alarms, which no check judges). A region without alarms
// costs no call: there is no action to look for.
func lastAlarmActions(ctx context.Context, c *regionClients, alarms []string) ([]snapshot.AlarmActionRecord, *snapshot.ReadError) {
	if len(alarms) == 0 {
		return nil, nil
	}
	known := make(map[string]bool, len(alarms))
	for _, a := range alarms {
		known[a] = true
	}
	latest := map[string]snapshot.AlarmActionRecord{}
	p := cloudwatch.NewDescribeAlarmHistoryPaginator(c.cloudwatch, &cloudwatch.DescribeAlarmHistoryInput{
		AlarmTypes:      []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
		HistoryItemType: cwtypes.HistoryItemTypeAction,
		StartDate:       aws.Time(c.scanTime().Add(-observationWindow)),
		// The API reference names no default order: ask for newest first, so that the page
		// cap drops only the oldest items.
		ScanBy:     cwtypes.ScanByTimestampDescending,
		MaxRecords: aws.Int32(alarmHistoryPageSize),
	})
	read := 0
	more := func() bool { return read < alarmHistoryMaxPages && p.HasMorePages() }
	if err := pages(ctx, more, p.NextPage, "cloudwatch:DescribeAlarmHistory", func(out *cloudwatch.DescribeAlarmHistoryOutput) {
		read++
		for _, it := range out.AlarmHistoryItems {
			name := aws.ToString(it.AlarmName)
			if !known[name] || it.Timestamp == nil {
				continue
			}
			rec := snapshot.AlarmActionRecord{
				AlarmName: name,
				Action:    actionARN(aws.ToString(it.HistorySummary)),
				Timestamp: it.Timestamp.UTC(),
				Summary:   aws.ToString(it.HistorySummary),
				Failed:    actionFailed(aws.ToString(it.HistoryData), aws.ToString(it.HistorySummary)),
			}
			// One record per (alarm, action): a failure of one action says nothing of another.
			// Newest first, but compare anyway: the order is the API's promise, the result
			// must not depend on it.
			key := name + "\x00" + rec.Action
			if prev, ok := latest[key]; !ok || rec.Timestamp.After(prev.Timestamp) {
				latest[key] = rec
			}
		}
	}); err != nil {
		return nil, err
	}
	out := make([]snapshot.AlarmActionRecord, 0, len(latest))
	for _, rec := range latest {
		out = append(out, rec)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].AlarmName != out[j].AlarmName {
			return out[i].AlarmName < out[j].AlarmName
		}
		return out[i].Action < out[j].Action
	})
	return out, nil
}

// actionARNRe finds the action an Action history item is about, in AWS's summary: "Failed to
// execute action arn:aws:sns:…:topic. Received error: …" or "Successfully executed action
// arn:aws:sns:…:topic".
var actionARNRe = regexp.MustCompile(`action (arn:[^\s]+)`)

func actionARN(summary string) string {
	m := actionARNRe.FindStringSubmatch(summary)
	if m == nil {
		return ""
	}
	return strings.TrimSuffix(m[1], ".")
}

// actionFailed tells a failed action from its history item: HistoryData's actionState is
// "Failed", or (for items whose data says nothing) the summary is AWS's failure text.
func actionFailed(data, summary string) bool {
	var d struct {
		ActionState string `json:"actionState"`
	}
	if json.Unmarshal([]byte(data), &d) == nil && d.ActionState == "Failed" {
		return true
	}
	return strings.HasPrefix(summary, "Failed to execute action")
}

func alarmFromAPI(a cwtypes.MetricAlarm) snapshot.Alarm {
	out := snapshot.Alarm{
		Name:               aws.ToString(a.AlarmName),
		ARN:                aws.ToString(a.AlarmArn),
		MetricName:         aws.ToString(a.MetricName),
		Namespace:          aws.ToString(a.Namespace),
		Statistic:          string(a.Statistic),
		ExtendedStatistic:  aws.ToString(a.ExtendedStatistic),
		Period:             aws.ToInt32(a.Period),
		EvaluationPeriods:  aws.ToInt32(a.EvaluationPeriods),
		DatapointsToAlarm:  aws.ToInt32(a.DatapointsToAlarm),
		Threshold:          aws.ToFloat64(a.Threshold),
		ComparisonOperator: string(a.ComparisonOperator),
		TreatMissingData:   aws.ToString(a.TreatMissingData),
		ActionsEnabled:     aws.ToBool(a.ActionsEnabled),
		AlarmActions:       a.AlarmActions,
		StateValue:         string(a.StateValue),
		UsesMetricMath:     len(a.Metrics) > 0,
		Unit:               string(a.Unit),
	}
	out.Dimensions = dimensionMap(a.Dimensions)
	for _, q := range a.Metrics {
		aq := snapshot.AlarmQuery{
			ID:         aws.ToString(q.Id),
			Expression: aws.ToString(q.Expression),
			// As DescribeAlarms answers it: for an alarm, exactly one query is true.
			ReturnData: aws.ToBool(q.ReturnData),
			Period:     aws.ToInt32(q.Period),
		}
		if ms := q.MetricStat; ms != nil {
			st := &snapshot.MetricStat{
				Period: aws.ToInt32(ms.Period),
				Stat:   aws.ToString(ms.Stat),
				Unit:   string(ms.Unit),
			}
			if ms.Metric != nil {
				st.MetricName = aws.ToString(ms.Metric.MetricName)
				st.Namespace = aws.ToString(ms.Metric.Namespace)
				st.Dimensions = dimensionMap(ms.Metric.Dimensions)
			}
			aq.MetricStat = st
		}
		out.Metrics = append(out.Metrics, aq)
	}
	return out
}

// dimensionMap turns CloudWatch dimensions into a map, nil when there are none.
func dimensionMap(dims []cwtypes.Dimension) map[string]string {
	if len(dims) == 0 {
		return nil
	}
	m := make(map[string]string, len(dims))
	for _, d := range dims {
		m[aws.ToString(d.Name)] = aws.ToString(d.Value)
	}
	return m
}
