package collect

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// collectCloudWatch reads the region's metric alarms (composite alarms cannot watch a metric
// filter's metric directly, so they are not read).
func collectCloudWatch(ctx context.Context, c *regionClients, r *snapshot.Region) {
	d := &snapshot.CloudWatchData{Alarms: []snapshot.Alarm{}}
	r.CloudWatch = d
	p := cloudwatch.NewDescribeAlarmsPaginator(c.cloudwatch, &cloudwatch.DescribeAlarmsInput{
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm},
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			d.Error = readError("cloudwatch:DescribeAlarms", err)
			return
		}
		for _, a := range out.MetricAlarms {
			d.Alarms = append(d.Alarms, alarmFromAPI(a))
		}
	}
	sort.Slice(d.Alarms, func(i, j int) bool { return d.Alarms[i].Name < d.Alarms[j].Name })
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
	}
	if len(a.Dimensions) > 0 {
		out.Dimensions = map[string]string{}
		for _, d := range a.Dimensions {
			out.Dimensions[aws.ToString(d.Name)] = aws.ToString(d.Value)
		}
	}
	return out
}
