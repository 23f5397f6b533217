package drill

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"golang.org/x/sync/errgroup"
)

// CloudWatchAPI is what an alarm drill calls (a *cloudwatch.Client).
type CloudWatchAPI interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	SetAlarmState(ctx context.Context, in *cloudwatch.SetAlarmStateInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.SetAlarmStateOutput, error)
	DescribeAlarmHistory(ctx context.Context, in *cloudwatch.DescribeAlarmHistoryInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmHistoryOutput, error)
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// DefaultDeadline is how long a drill watches for what it set off.
const DefaultDeadline = 15 * time.Minute

// DefaultPollInterval is how often a drill reads what AWS recorded.
const DefaultPollInterval = 5 * time.Second

// Options are Exercise's.
type Options struct {
	ID string
	// Deadline bounds the watch of each chain (DefaultDeadline when zero).
	Deadline time.Duration
	// PollInterval is the wait between two reads of a chain's record (DefaultPollInterval).
	PollInterval time.Duration
	// Now and Sleep are the clock (time.Now and a context-aware sleep when nil); tests give a
	// clock that Sleep advances.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// CloudWatch, CloudTrail, S3, Events, SSM and Logs return the clients for an account and
	// region.
	CloudWatch func(account, region string) (CloudWatchAPI, error)
	CloudTrail func(account, region string) (CloudTrailAPI, error)
	S3         func(account, region string) (S3API, error)
	Events     func(account, region string) (EventsAPI, error)
	SSM        func(account, region string) (SSMAPI, error)
	Logs       func(account, region string) (LogsAPI, error)
	// Concurrency bounds the chains exercised at once (4 when zero).
	Concurrency int
	// Progress, if set, is told when a chain's drill ends (called from several goroutines).
	Progress func(r *Result)
}

func (o *Options) defaults() {
	if o.Deadline <= 0 {
		o.Deadline = DefaultDeadline
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
}

// Exercise runs the drill of every result that has one (in place) and returns what the drills
// created (each removed or not). Results without a drill keep their plan's SKIPPED. A
// cancelled ctx ends each running drill as ERROR (interrupted); what it created is removed
// all the same.
func Exercise(ctx context.Context, results []Result, o Options) []Created {
	o.defaults()
	var mu sync.Mutex
	created := []Created{}
	add := func(c Created) {
		mu.Lock()
		defer mu.Unlock()
		created = append(created, c)
	}
	var g errgroup.Group
	g.SetLimit(o.Concurrency)
	for i := range results {
		r := &results[i]
		if r.alarm == nil && r.canary == nil && r.patterns == nil && r.ssh == nil && r.target == nil {
			continue
		}
		g.Go(func() error {
			switch {
			case r.alarm != nil:
				exerciseAlarm(ctx, r, o)
			case r.target != nil && o.CloudTrail == nil:
				r.Status, r.Message = Error, "no CloudTrail client to drill the trail with"
			case r.target != nil:
				exerciseTarget(ctx, r, o)
			case r.ssh != nil:
				exerciseSSHLog(ctx, r, o)
			case r.patterns != nil:
				if o.Events == nil {
					return nil
				}
				askPatterns(ctx, r, o)
			case o.CloudTrail == nil || o.S3 == nil:
				r.Status, r.Message = Error, "no CloudTrail or S3 client to run the canary with"
			default:
				exerciseCanary(ctx, r, o, add)
			}
			if o.Progress != nil {
				o.Progress(r)
			}
			return nil
		})
	}
	_ = g.Wait()
	slices.SortFunc(created, func(a, b Created) int { return strings.Compare(a.ARN, b.ARN) })
	return created
}

// actionRecord is the HistoryData of an Action item of the alarm history.
type actionRecord struct {
	ActionState          string `json:"actionState"`
	NotificationResource string `json:"notificationResource"`
	StateUpdateTimestamp int64  `json:"stateUpdateTimestamp"`
	Error                string `json:"error"`
}

// clockSkew is how far before the drill's own clock an item of its transition may be stamped
// (AWS's clock and this machine's differ).
const clockSkew = 5 * time.Second

func exerciseAlarm(ctx context.Context, r *Result, o Options) {
	a := r.alarm
	step := func(name string, st Status, at time.Time, detail string) { r.addStep(at, name, st, detail) }
	end := r.end
	cw, err := o.CloudWatch(r.Account, r.Region)
	if err != nil {
		end(Error, false, fmt.Sprintf("no CloudWatch client for %s %s: %v", r.Account, r.Region, err))
		return
	}

	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{a.Name}, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
	now := o.Now()
	switch {
	case err != nil:
		step(StepReadAlarm, Error, now, err.Error())
		end(Error, false, interrupted(ctx, fmt.Sprintf("could not read alarm %s: %v", a.Name, err)))
		return
	case len(out.MetricAlarms) == 0:
		step(StepReadAlarm, Error, now, "cloudwatch:DescribeAlarms does not list it")
		end(Error, false, fmt.Sprintf("alarm %s no longer exists (it did when the scan read it)", a.Name))
		return
	}
	alarm := out.MetricAlarms[0]
	period := aws.ToInt32(alarm.Period)
	topics := snsActions(alarm.AlarmActions)
	step(StepReadAlarm, Pass, now, fmt.Sprintf("state %s, actions %s, %d SNS action(s): %s", alarm.StateValue, enabled(aws.ToBool(alarm.ActionsEnabled)), len(topics), strings.Join(topics, ", ")))
	if alarm.StateValue == cwtypes.StateValueAlarm {
		end(Skipped, false, fmt.Sprintf("not exercised: alarm %s is already in ALARM, so setting it to ALARM is no transition and CloudWatch would run no action", a.Name))
		return
	}

	at := o.Now()
	_, err = cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String(a.Name), StateValue: cwtypes.StateValueAlarm,
		StateReason:     aws.String(Reason(o.ID)),
		StateReasonData: aws.String(fmt.Sprintf(`{"lookout_drill":%q}`, o.ID)),
	})
	if err != nil {
		step(StepSetState, Error, at, err.Error())
		end(Error, false, interrupted(ctx, fmt.Sprintf("cloudwatch:SetAlarmState on %s failed: %v", a.Name, err)))
		return
	}
	step(StepSetState, Pass, at, fmt.Sprintf("from %s to ALARM; CloudWatch returns it to its real state at its next evaluation (period %ds)", alarm.StateValue, period))
	switch {
	case !aws.ToBool(alarm.ActionsEnabled):
		end(Fail, true, fmt.Sprintf("alarm %s went to ALARM and ran nothing: its actions are disabled", a.Name))
		return
	case len(topics) == 0:
		end(Fail, true, fmt.Sprintf("alarm %s went to ALARM and has no SNS action to notify anyone", a.Name))
		return
	}

	// The transition's own time, as CloudWatch stamps it (and repeats in each of its Action
	// items' stateUpdateTimestamp), tells its items from those of earlier transitions.
	transition := time.Time{}
	if after, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{a.Name}, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}}); err == nil &&
		len(after.MetricAlarms) == 1 && aws.ToString(after.MetricAlarms[0].StateReason) == Reason(o.ID) {
		transition = aws.ToTime(after.MetricAlarms[0].StateUpdatedTimestamp)
	}
	st, msg := r.alarmActions(ctx, cw, a.Name, topics, at, transition, "SetAlarmState", o)
	end(st, true, msg)
}

// alarmActions watches the Action items of alarm name's transition to ALARM at at (whose own
// stamp is transition, when known) for each SNS topic, records one step per topic and returns
// the verdict and sentence; since names what at is ("SetAlarmState").
func (r *Result) alarmActions(ctx context.Context, cw CloudWatchAPI, name string, topics []string, at, transition time.Time, since string, o Options) (Status, string) {
	found, err := watchActions(ctx, cw, name, topics, at, transition, o)
	var failed, missing []string
	slowest := time.Duration(0)
	for _, t := range topics {
		rec, ok := found[t]
		switch {
		case !ok && err != nil:
			r.addStep(o.Now(), StepAlarmAction, Error, fmt.Sprintf("SNS topic %s: %v", resourceName(t), err))
			missing = append(missing, resourceName(t))
		case !ok:
			r.addStep(o.Now(), StepAlarmAction, Fail, fmt.Sprintf("SNS topic %s: no Action item within %s", resourceName(t), o.Deadline))
			missing = append(missing, resourceName(t))
		case rec.record.ActionState == "Succeeded":
			after := rec.at.Sub(at).Round(time.Second)
			slowest = max(slowest, after)
			r.addStep(rec.at, StepAlarmAction, Pass, fmt.Sprintf("SNS topic %s: %s (%s after %s)", resourceName(t), rec.summary, after, since))
		default:
			r.addStep(rec.at, StepAlarmAction, Fail, fmt.Sprintf("SNS topic %s: %s", resourceName(t), rec.summary))
			failed = append(failed, fmt.Sprintf("%s (%s)", resourceName(t), cmp.Or(rec.record.Error, rec.record.ActionState)))
		}
	}
	var undelivered []string
	if err == nil && len(failed) == 0 && len(missing) == 0 {
		undelivered = r.watchDeliveries(ctx, cw, topics, at, o)
	}
	switch {
	case err != nil && len(failed) == 0:
		return Error, interrupted(ctx, fmt.Sprintf("could not read the history of alarm %s: %v", name, err))
	case len(undelivered) > 0:
		return Fail, fmt.Sprintf("alarm %s's SNS action ran, but SNS failed to deliver to subscribers of %s", name, strings.Join(undelivered, ", "))
	case len(failed) > 0:
		return Fail, fmt.Sprintf("CloudWatch failed to execute the SNS action of alarm %s: %s", name, strings.Join(failed, ", "))
	case len(missing) > 0:
		return Fail, fmt.Sprintf("alarm %s went to ALARM, but no action was recorded for SNS topic %s within %s", name, strings.Join(missing, ", "), o.Deadline)
	case len(topics) == 1:
		return Pass, fmt.Sprintf("the alarm's SNS action succeeded %s after %s", slowest, since)
	}
	return Pass, fmt.Sprintf("the alarm's %d SNS actions succeeded within %s of %s", len(topics), slowest, since)
}

// recorded is an Action item of the drill's transition.
type recorded struct {
	record  actionRecord
	summary string
	at      time.Time
}

// watchActions reads the alarm's Action items from the transition at on, until every topic
// has one or the deadline passes; it returns what it found and the error that stopped it.
//
// An item is the transition's when its stateUpdateTimestamp is the transition's (when known),
// else when it is stamped no earlier than the drill's call, give or take clockSkew.
func watchActions(ctx context.Context, cw CloudWatchAPI, name string, topics []string, at, transition time.Time, o Options) (map[string]recorded, error) {
	found := map[string]recorded{}
	deadline := at.Add(o.Deadline)
	for {
		in := &cloudwatch.DescribeAlarmHistoryInput{
			AlarmName: aws.String(name), HistoryItemType: cwtypes.HistoryItemTypeAction,
			StartDate: aws.Time(at.Add(-clockSkew)), ScanBy: cwtypes.ScanByTimestampAscending,
		}
		p := cloudwatch.NewDescribeAlarmHistoryPaginator(cw, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return found, err
			}
			for _, item := range page.AlarmHistoryItems {
				var rec actionRecord
				if json.Unmarshal([]byte(aws.ToString(item.HistoryData)), &rec) != nil || rec.NotificationResource == "" {
					continue
				}
				// An item of an earlier transition (another drill, a real alarm) is not ours.
				switch {
				case !transition.IsZero() && rec.StateUpdateTimestamp != 0:
					if rec.StateUpdateTimestamp != transition.UnixMilli() {
						continue
					}
				case rec.StateUpdateTimestamp != 0:
					if time.UnixMilli(rec.StateUpdateTimestamp).Before(at.Add(-clockSkew)) {
						continue
					}
				case aws.ToTime(item.Timestamp).Before(at.Add(-clockSkew)):
					continue
				}
				if _, dup := found[rec.NotificationResource]; dup {
					continue
				}
				found[rec.NotificationResource] = recorded{record: rec, summary: aws.ToString(item.HistorySummary), at: aws.ToTime(item.Timestamp)}
			}
		}
		done := true
		for _, t := range topics {
			if _, ok := found[t]; !ok {
				done = false
			}
		}
		if done || !o.Now().Before(deadline) {
			return found, nil
		}
		if err := o.Sleep(ctx, min(o.PollInterval, deadline.Sub(o.Now()))); err != nil {
			return found, err
		}
	}
}

// interrupted replaces msg when ctx was cancelled (Ctrl-C, the deadline of the whole run).
func interrupted(ctx context.Context, msg string) string {
	if err := ctx.Err(); err != nil {
		if errors.Is(err, context.Canceled) {
			return "interrupted before AWS's record was read: " + msg
		}
		return "stopped by " + err.Error() + ": " + msg
	}
	return msg
}

func enabled(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}
