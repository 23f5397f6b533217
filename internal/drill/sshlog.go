package drill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/route"
)

// The SSH log drill: on one SSM-managed instance per (account, region, log group), Run Command
// (AWS-RunShellScript) logs a line shaped like sshd's login line with logger(1) at
// authpriv.info, marked with the drill id; logs:FilterLogEvents then watches the stream the
// instance's agent configuration ships its SSH log to for the marker, and, where the scan
// found an SSH-login alarm on that group, the alarm's history for the transition to ALARM its
// metric filter's count sets off and for that transition's SNS actions.
//
// Such an alarm is drilled by the line, not by SetAlarmState: the line exercises the whole
// path (syslog, agent, log group, metric filter, alarm, SNS), and setting the alarm to ALARM
// beside it would leave no transition for the line's datapoint to make.
//
// What the line cannot exercise is said, not guessed: a journald entry that selects sshd's
// unit does not ship it (systemd gives a line the unit of the process that wrote it, and the
// drill's runs in the SSM agent's), and an instance whose SSM agent is not Online cannot run it.

// Steps of an SSH log drill.
const (
	StepSendCommand   = "send-command"
	StepCommandResult = "command-result"
	StepMarkerShipped = "marker-shipped"
	StepAlarmState    = "alarm-state"
)

// sshLogsCheck and sshAlarmCheck are the checks an SSH log drill exercises.
const (
	sshLogsCheck  = "ssm-cloudwatch-agent-ssh-logs"
	sshAlarmCheck = "cloudwatch-ssh-login-alarm"
)

// SSHLogPermissions are the IAM actions an SSH log drill calls (the alarm's, AlarmPermissions,
// besides when it watches an alarm).
var SSHLogPermissions = []string{"ssm:SendCommand", "ssm:GetCommandInvocation", "logs:FilterLogEvents"}

// SSMAPI is what an SSH log drill calls on Systems Manager (a *ssm.Client).
type SSMAPI interface {
	SendCommand(ctx context.Context, in *ssm.SendCommandInput, opts ...func(*ssm.Options)) (*ssm.SendCommandOutput, error)
	GetCommandInvocation(ctx context.Context, in *ssm.GetCommandInvocationInput, opts ...func(*ssm.Options)) (*ssm.GetCommandInvocationOutput, error)
}

// LogsAPI is what an SSH log drill calls on CloudWatch Logs (a *cloudwatchlogs.Client).
type LogsAPI interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// sshTarget is the SSH log drill of one log group.
type sshTarget struct {
	Instance, Group, Stream string
	// Carrier says what ships the line: the file entry's path, or "the journal".
	Carrier string
	// Alarms are the SSH-login alarms on the group whose chain the scan found reaching them.
	Alarms []route.AlarmEvidence
}

// Marker is the text that tells the drill's line from every other in the log group.
func Marker(id string) string { return "SHA256:lookout-drill-" + id }

// MarkerLine is the line the drill logs: sshd's "Accepted publickey" line for user
// lookout-drill from 192.0.2.1 (TEST-NET-1, an address that is never a real peer, RFC 5737),
// its key fingerprint replaced by the marker.
func MarkerLine(id string) string {
	return "Accepted publickey for lookout-drill from 192.0.2.1 port 22 ssh2: ED25519 " + Marker(id)
}

// LoggerCommand is the shell command the drill runs on the instance: logger(1) writes the line
// to syslog at authpriv.info, tagged sshd with its pid, as sshd writes its own.
func LoggerCommand(id string) string {
	return "logger -i -p authpriv.info -t sshd '" + MarkerLine(id) + "'"
}

// groupKey names a log group of an account and region.
type groupKey struct{ account, region, group string }

// sshPlans are the SSH log drills of the findings, by the finding's index: one instance per log
// group drills it (the first the scan passed whose agent is Online), the others say which
// does. covered are the alarms those drills watch, which are not also set to ALARM.
func sshPlans(fs []checks.Finding, id string) (plans map[int]Result, covered map[string]bool) {
	alarms := sshAlarmsByGroup(fs)
	plans, covered = map[int]Result{}, map[string]bool{}
	drilledBy := map[groupKey]string{}
	for i, f := range fs {
		if f.CheckID != sshLogsCheck {
			continue
		}
		r := base(f)
		t, why := drillableStream(f)
		if t == nil {
			r.Message = why
			plans[i] = r
			continue
		}
		k := groupKey{f.Account, f.Region, t.Group}
		if other, ok := drilledBy[k]; ok {
			r.Message = fmt.Sprintf("not exercised: instance %s drills log group %s (one instance per group)", other, t.Group)
			plans[i] = r
			continue
		}
		drilledBy[k] = t.Instance
		t.Alarms = alarms[k]
		for _, a := range t.Alarms {
			covered[a.ARN] = true
		}
		plans[i] = sshPlan(r, t, id)
	}
	return plans, covered
}

// sshAlarmsByGroup are the alarms of the SSH-login alarm findings' chains that reach an alarm,
// by log group.
func sshAlarmsByGroup(fs []checks.Finding) map[groupKey][]route.AlarmEvidence {
	out := map[groupKey][]route.AlarmEvidence{}
	for _, f := range fs {
		if f.CheckID != sshAlarmCheck {
			continue
		}
		var e checks.LogGroupChainsEvidence
		switch x := f.Evidence.(type) {
		case checks.LogGroupChainsEvidence:
			e = x
		case *checks.LogGroupChainsEvidence:
			if x == nil {
				continue
			}
			e = *x
		default:
			continue
		}
		for _, g := range e.LogGroups {
			if g.AlarmChainEvidence == nil || !reachesAlarm(g.Broken) {
				continue
			}
			k := groupKey{f.Account, f.Region, logGroupName(g.LogGroup)}
			for _, a := range g.Alarms {
				if a.ARN != "" {
					out[k] = append(out[k], a)
				}
			}
		}
	}
	return out
}

// logGroupName is a log group's name, given its name or ARN
// (arn:aws:logs:REGION:ACCOUNT:log-group:NAME, with or without ":*").
func logGroupName(group string) string {
	p, ok := awsarn.Parse(group)
	if !ok || p.Service != "logs" {
		return group
	}
	name, found := strings.CutPrefix(p.Resource, "log-group:")
	if !found {
		return group
	}
	return strings.TrimSuffix(name, ":*")
}

// drillableStream is the stream of an SSH-log finding the drill's line would reach, or nil and
// why the finding is not drilled.
func drillableStream(f checks.Finding) (*sshTarget, string) {
	var e checks.SSHLogsEvidence
	switch x := f.Evidence.(type) {
	case checks.SSHLogsEvidence:
		e = x
	case *checks.SSHLogsEvidence:
		if x == nil {
			return nil, "no log shipping to exercise: the scan's evidence names no instance"
		}
		e = *x
	default:
		return nil, "no log shipping to exercise: the scan's evidence names no instance"
	}
	switch {
	case f.Status == checks.Error:
		return nil, "not exercised: the scan could not judge this instance's log shipping"
	case f.Status != checks.Pass:
		if b := f.Broken(); b != nil {
			return nil, fmt.Sprintf("no log shipping to exercise: the scan found the chain broken at %s", b)
		}
		return nil, "no log shipping to exercise: the scan found that the instance's SSH log is not shipped"
	case e.Instance.PingStatus != "Online":
		return nil, fmt.Sprintf("not exercised: instance %s's SSM agent is %s, and Run Command needs it Online", e.Instance.ID, e.Instance.PingStatus)
	}
	var journalUnits []string
	for _, s := range e.Streams {
		if s.Verdict != checks.Pass {
			continue
		}
		t := &sshTarget{Instance: e.Instance.ID, Group: s.LogGroup, Stream: s.LogStream}
		switch {
		case s.FilePath != "":
			t.Carrier = s.FilePath
			return t, ""
		case s.Journal != nil && len(s.Journal.Units) == 0:
			t.Carrier = "the journal"
			return t, ""
		case s.Journal != nil:
			journalUnits = append(journalUnits, s.Journal.Units...)
		}
	}
	if len(journalUnits) > 0 {
		return nil, fmt.Sprintf("not drillable: the agent ships the journal of %s only, and a line the drill logs through Run Command belongs to the SSM agent's unit", strings.Join(journalUnits, ", "))
	}
	return nil, "no log shipping to exercise: the scan's evidence names no stream that holds"
}

// sshPlan is the drill of one log group through instance t.Instance.
func sshPlan(r Result, t *sshTarget, id string) Result {
	r.ssh = t
	r.Permissions = SSHLogPermissions
	r.Plan = []string{
		fmt.Sprintf("ssm:SendCommand AWS-RunShellScript on instance %s: %s", t.Instance, LoggerCommand(id)),
		fmt.Sprintf("watch log group %s, stream %s (fed from %s), for %q with logs:FilterLogEvents, until the deadline", t.Group, t.Stream, t.Carrier, Marker(id)),
	}
	r.Receives = "nothing from this drill alone: no SSH-login alarm on the group"
	if len(t.Alarms) > 0 {
		r.Permissions = append(append([]string(nil), SSHLogPermissions...), "cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory")
		r.AlsoChecks = []string{sshAlarmCheck}
		names := make([]string, len(t.Alarms))
		for i, a := range t.Alarms {
			names[i] = a.Name
		}
		r.Plan = append(r.Plan, fmt.Sprintf("watch cloudwatch:DescribeAlarmHistory of alarm %s for the transition to ALARM the line's datapoint sets off, and its SNS actions", strings.Join(names, ", ")))
		r.Receives = fmt.Sprintf("the subscribers of alarm %s's SNS actions: a real ALARM notification for a login of lookout-drill from 192.0.2.1", strings.Join(names, ", "))
	}
	r.Message = fmt.Sprintf("plan: log a marked SSH login line on %s and watch log group %s for it (run with --apply)", t.Instance, t.Group)
	return r
}

// exerciseSSHLog runs one SSH log drill.
func exerciseSSHLog(ctx context.Context, r *Result, o Options) {
	t := r.ssh
	if o.SSM == nil || o.Logs == nil {
		r.end(Error, false, "no Systems Manager or CloudWatch Logs client to run the SSH log drill with")
		return
	}
	sm, err := o.SSM(r.Account, r.Region)
	var logs LogsAPI
	if err == nil {
		logs, err = o.Logs(r.Account, r.Region)
	}
	var cw CloudWatchAPI
	if err == nil && len(t.Alarms) > 0 {
		cw, err = o.CloudWatch(r.Account, r.Region)
	}
	if err != nil {
		r.end(Error, false, fmt.Sprintf("no client for %s %s: %v", r.Account, r.Region, err))
		return
	}
	// An alarm already in ALARM makes no transition for the line's datapoint.
	inAlarm := map[string]bool{}
	for _, a := range t.Alarms {
		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{a.Name}, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
		if err != nil {
			r.addStep(o.Now(), StepReadAlarm, Error, err.Error())
			r.end(Error, false, interrupted(ctx, fmt.Sprintf("could not read alarm %s: %v", a.Name, err)))
			return
		}
		if len(out.MetricAlarms) == 1 && out.MetricAlarms[0].StateValue == cwtypes.StateValueAlarm {
			inAlarm[a.Name] = true
		}
	}

	at := o.Now()
	deadline := at.Add(o.Deadline)
	sent, err := sm.SendCommand(ctx, &ssm.SendCommandInput{
		DocumentName: aws.String("AWS-RunShellScript"), InstanceIds: []string{t.Instance},
		Comment:        aws.String(Reason(o.ID)),
		Parameters:     map[string][]string{"commands": {LoggerCommand(o.ID)}},
		TimeoutSeconds: aws.Int32(60),
	})
	if err != nil {
		r.addStep(at, StepSendCommand, Error, err.Error())
		r.end(Error, false, interrupted(ctx, fmt.Sprintf("ssm:SendCommand on %s failed: %v", t.Instance, err)))
		return
	}
	commandID := aws.ToString(sent.Command.CommandId)
	r.addStep(at, StepSendCommand, Pass, fmt.Sprintf("command %s on %s: %s", commandID, t.Instance, LoggerCommand(o.ID)))

	if st, msg, done := watchCommand(ctx, sm, commandID, t.Instance, at, deadline, r, o); done {
		r.end(st, true, msg)
		return
	}
	ingested, err := watchMarker(ctx, logs, t, at, deadline, o)
	switch {
	case err != nil:
		r.addStep(o.Now(), StepMarkerShipped, Error, err.Error())
		r.end(Error, true, interrupted(ctx, fmt.Sprintf("could not read log group %s: %v", t.Group, err)))
		return
	case ingested.IsZero():
		r.addStep(o.Now(), StepMarkerShipped, Fail, fmt.Sprintf("no event with %q in %s/%s within %s", Marker(o.ID), t.Group, t.Stream, o.Deadline))
		r.end(Fail, true, fmt.Sprintf("the marked line logged on %s did not reach log group %s within %s", t.Instance, t.Group, o.Deadline))
		return
	}
	took := ingested.Sub(at).Round(time.Second)
	r.addStep(ingested, StepMarkerShipped, Pass, fmt.Sprintf("in %s/%s from %s, ingested %s after SendCommand", t.Group, t.Stream, t.Carrier, took))
	shipped := fmt.Sprintf("the marked line reached log group %s %s after SendCommand", t.Group, took)
	if len(t.Alarms) == 0 {
		r.end(Pass, true, shipped)
		return
	}
	var unexercised []string
	for _, a := range t.Alarms {
		if inAlarm[a.Name] {
			r.addStep(o.Now(), StepAlarmState, Skipped, fmt.Sprintf("alarm %s was already in ALARM, so the line's datapoint makes no transition", a.Name))
			unexercised = append(unexercised, a.Name)
			continue
		}
		went, err := watchTransition(ctx, cw, a.Name, at, deadline, o)
		switch {
		case err != nil:
			r.addStep(o.Now(), StepAlarmState, Error, err.Error())
			r.end(Error, true, interrupted(ctx, fmt.Sprintf("could not read the history of alarm %s: %v", a.Name, err)))
			return
		case went.IsZero():
			r.addStep(o.Now(), StepAlarmState, Fail, fmt.Sprintf("alarm %s did not go to ALARM within %s of SendCommand", a.Name, o.Deadline))
			r.end(Fail, true, shipped+fmt.Sprintf(", but alarm %s did not go to ALARM within %s", a.Name, o.Deadline))
			return
		}
		r.addStep(went, StepAlarmState, Pass, fmt.Sprintf("alarm %s went to ALARM %s after the line was ingested", a.Name, went.Sub(ingested).Round(time.Second)))
		topics := snsActions(a.AlarmActions)
		if !a.ActionsEnabled || len(topics) == 0 {
			r.end(Fail, true, shipped+fmt.Sprintf(" and alarm %s went to ALARM, but it has no enabled SNS action", a.Name))
			return
		}
		if st, msg := r.alarmActions(ctx, cw, a.Name, topics, went, time.Time{}, "the alarm went to ALARM", o); st != Pass {
			r.end(st, true, msg)
			return
		}
	}
	if len(unexercised) > 0 {
		r.end(Pass, true, shipped+fmt.Sprintf("; alarm %s was already in ALARM, so it was not exercised", strings.Join(unexercised, ", ")))
		return
	}
	r.end(Pass, true, shipped+" and the SSH-login alarm notified its SNS topic")
}

// watchCommand waits for the command's invocation on the instance to end; done is true when
// the drill ends there (the command did not succeed, or the watch failed).
func watchCommand(ctx context.Context, sm SSMAPI, commandID, instance string, at, deadline time.Time, r *Result, o Options) (Status, string, bool) {
	for {
		inv, err := sm.GetCommandInvocation(ctx, &ssm.GetCommandInvocationInput{CommandId: aws.String(commandID), InstanceId: aws.String(instance)})
		var notYet *ssmtypes.InvocationDoesNotExist
		switch {
		case errors.As(err, &notYet):
			// AWS: the invocation may not exist for a moment after SendCommand.
		case err != nil:
			r.addStep(o.Now(), StepCommandResult, Error, err.Error())
			return Error, interrupted(ctx, fmt.Sprintf("could not read command %s on %s: %v", commandID, instance, err)), true
		case inv.Status == ssmtypes.CommandInvocationStatusSuccess:
			r.addStep(o.Now(), StepCommandResult, Pass, fmt.Sprintf("Success (%s)", cmp0(inv.StatusDetails)))
			return "", "", false
		case inv.Status != ssmtypes.CommandInvocationStatusPending && inv.Status != ssmtypes.CommandInvocationStatusInProgress && inv.Status != ssmtypes.CommandInvocationStatusDelayed:
			detail := fmt.Sprintf("%s (%s)", inv.Status, cmp0(inv.StatusDetails))
			if s := strings.TrimSpace(aws.ToString(inv.StandardErrorContent)); s != "" {
				detail += ": " + s
			}
			r.addStep(o.Now(), StepCommandResult, Fail, detail)
			return Fail, fmt.Sprintf("the drill's command did not run on %s: %s", instance, inv.Status), true
		}
		if !o.Now().Before(deadline) {
			r.addStep(o.Now(), StepCommandResult, Fail, fmt.Sprintf("command %s had not ended within %s", commandID, o.Deadline))
			return Fail, fmt.Sprintf("the drill's command had not run on %s within %s", instance, o.Deadline), true
		}
		if err := o.Sleep(ctx, min(o.PollInterval, deadline.Sub(o.Now()))); err != nil {
			r.addStep(o.Now(), StepCommandResult, Error, err.Error())
			return Error, interrupted(ctx, "stopped waiting for the drill's command: "+err.Error()), true
		}
	}
}

func cmp0(s *string) string {
	if v := aws.ToString(s); v != "" {
		return v
	}
	return "no details"
}

// watchMarker reads the stream for the marker until it arrives or the deadline passes; it
// returns when CloudWatch Logs ingested it (zero: not within the deadline).
func watchMarker(ctx context.Context, logs LogsAPI, t *sshTarget, at, deadline time.Time, o Options) (time.Time, error) {
	for {
		p := cloudwatchlogs.NewFilterLogEventsPaginator(logs, &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName: aws.String(t.Group), LogStreamNames: []string{t.Stream},
			StartTime:     aws.Int64(at.Add(-clockSkew).UnixMilli()),
			FilterPattern: aws.String(`"` + Marker(o.ID) + `"`),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return time.Time{}, err
			}
			for _, e := range page.Events {
				if strings.Contains(aws.ToString(e.Message), Marker(o.ID)) {
					return time.UnixMilli(aws.ToInt64(e.IngestionTime)), nil
				}
			}
		}
		if !o.Now().Before(deadline) {
			return time.Time{}, nil
		}
		if err := o.Sleep(ctx, min(o.PollInterval, deadline.Sub(o.Now()))); err != nil {
			return time.Time{}, err
		}
	}
}

// stateRecord is the HistoryData of a StateUpdate item of the alarm history.
type stateRecord struct {
	NewState struct {
		StateValue  string `json:"stateValue"`
		StateReason string `json:"stateReason"`
	} `json:"newState"`
}

// watchTransition reads the alarm's StateUpdate items from at on until one is a transition to
// ALARM that CloudWatch's evaluation made (a drill's own SetAlarmState is not it) or the
// deadline passes; it returns the transition's time (zero: none within the deadline).
func watchTransition(ctx context.Context, cw CloudWatchAPI, name string, at, deadline time.Time, o Options) (time.Time, error) {
	for {
		p := cloudwatch.NewDescribeAlarmHistoryPaginator(cw, &cloudwatch.DescribeAlarmHistoryInput{
			AlarmName: aws.String(name), HistoryItemType: cwtypes.HistoryItemTypeStateUpdate,
			StartDate: aws.Time(at.Add(-clockSkew)), ScanBy: cwtypes.ScanByTimestampAscending,
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return time.Time{}, err
			}
			for _, item := range page.AlarmHistoryItems {
				var rec stateRecord
				if json.Unmarshal([]byte(aws.ToString(item.HistoryData)), &rec) != nil {
					continue
				}
				if rec.NewState.StateValue == string(cwtypes.StateValueAlarm) && !strings.HasPrefix(rec.NewState.StateReason, "lookout drill ") {
					return aws.ToTime(item.Timestamp), nil
				}
			}
		}
		if !o.Now().Before(deadline) {
			return time.Time{}, nil
		}
		if err := o.Sleep(ctx, min(o.PollInterval, deadline.Sub(o.Now()))); err != nil {
			return time.Time{}, err
		}
	}
}
