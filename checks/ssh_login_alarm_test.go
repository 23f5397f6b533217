package checks

import (
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

const sshTopic = "arn:aws:sns:ap-northeast-2:111111111111:ssh-alerts"

// sshAlarmSnapshot is baseSSH (Ubuntu to EC2-SSH-Logs, Amazon Linux to securitylablogs) with
// the auth.log SSH-login alarm design's filter, alarm and confirmed subscriber on both groups.
func sshAlarmSnapshot() *snapshot.Snapshot {
	ssm, logs := baseSSH()
	s := sshSnapshot(ssm, logs)
	r := &s.Accounts[0].Regions[0]
	for _, g := range []string{"EC2-SSH-Logs", "securitylablogs"} {
		logs.MetricFilters = append(logs.MetricFilters, snapshot.MetricFilter{Name: "ssh-login-" + g, LogGroupName: g, Pattern: `"Accepted publickey for"`,
			Transformations: []snapshot.MetricTransformation{{MetricName: "SSHLoginEvents-" + g, MetricNamespace: "EC2/SSHMonitor", MetricValue: "1"}}})
		r.CloudWatch = appendAlarm(r.CloudWatch, snapshot.Alarm{Name: "ssh-login-" + g, ARN: "arn:aws:cloudwatch:ap-northeast-2:111111111111:alarm:ssh-login-" + g,
			MetricName: "SSHLoginEvents-" + g, Namespace: "EC2/SSHMonitor", Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Threshold: 1,
			ComparisonOperator: "GreaterThanOrEqualToThreshold", ActionsEnabled: true, AlarmActions: []string{sshTopic}})
	}
	r.SNS = &snapshot.SNSData{Topics: []snapshot.Topic{{ARN: sshTopic, Policy: defaultTopicPolicy(sshTopic), Subscriptions: []snapshot.Subscription{
		{ARN: sshTopic + ":0b5c", Protocol: "email", Confirmed: true, AttrsRead: true}}}}}
	return s
}

// journalFedSecurityLab makes the Amazon Linux 2023 instance's configuration ship sshd's
// journal entries to securitylablogs instead of /var/log/secure.
func journalFedSecurityLab(r *snapshot.Region) {
	r.SSM.ManagedInstances[1].PlatformVersion = "2023"
	cfg := &r.SSM.AgentConfigs[1]
	cfg.Files = cfg.Files[:1]
	cfg.Journal = []snapshot.AgentJournalEntry{{LogGroupName: "securitylablogs", LogStreamName: "{instance_id}-ssh", Units: []string{"sshd"}}}
}

func appendAlarm(d *snapshot.CloudWatchData, a snapshot.Alarm) *snapshot.CloudWatchData {
	if d == nil {
		d = &snapshot.CloudWatchData{}
	}
	d.Alarms = append(d.Alarms, a)
	return d
}

func TestSSHLoginAlarm(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*snapshot.Region)
		status Status
		msg    string
	}{
		{"auth.log design filter, alarm and confirmed subscriber on both SSH groups", func(*snapshot.Region) {}, Pass, "log group EC2-SSH-Logs"},
		{"reordered terms that detect the same lines still pass", func(r *snapshot.Region) {
			r.Logs.MetricFilters[0].Pattern = `ssh2 "Accepted publickey"`
		}, Pass, ""},
		{"a space-delimited pattern misses journald-style lines", func(r *snapshot.Region) {
			r.Logs.MetricFilters[0].Pattern = `[month, day, time, host, process, verb = "Accepted", method = "publickey", ...]`
		}, Fail, "its pattern misses"},
		// securitylablogs fed by the journal (the agent's JSON documents) instead of /var/log/secure.
		{"a journal-fed group: a JSON pattern on the entry's MESSAGE detects", func(r *snapshot.Region) {
			journalFedSecurityLab(r)
			r.Logs.MetricFilters[1].Pattern = `{ $.body.MESSAGE = "Accepted publickey for *" }`
		}, Pass, ""},
		{"a journal-fed group: the auth.log design's term pattern still detects", journalFedSecurityLab, Pass, ""},
		{"a journal-fed group: a pattern on the syslog line's sshd[ prefix misses", func(r *snapshot.Region) {
			journalFedSecurityLab(r)
			r.Logs.MetricFilters[1].Pattern = `"sshd[" "Accepted publickey"`
		}, Fail, "log group securitylablogs: broken link: metric filter"},
		{"a group fed by file and journal: a JSON-only pattern misses the file's lines", func(r *snapshot.Region) {
			journalFedSecurityLab(r)
			cfg := &r.SSM.AgentConfigs[1]
			cfg.Files = append(cfg.Files, file("/var/log/secure", "securitylablogs", "{instance_id}-ssh"))
			r.Logs.MetricFilters[1].Pattern = `{ $.body.MESSAGE = "Accepted publickey for *" }`
		}, Fail, "log group securitylablogs: broken link: metric filter"},
		{"filter on failed passwords does not detect logins", func(r *snapshot.Region) {
			r.Logs.MetricFilters[0].Pattern = `"Failed password"`
		}, Fail, "log group EC2-SSH-Logs: broken link: metric filter"},
		{"filter on every sshd line also matches disconnects", func(r *snapshot.Region) {
			r.Logs.MetricFilters[1].Pattern = `sshd`
		}, Fail, "log group securitylablogs: broken link: metric filter"},
		{"filter on another group does not count", func(r *snapshot.Region) {
			r.Logs.MetricFilters[1].LogGroupName = "other"
		}, Fail, "log group securitylablogs: broken link: metric filter"},
		{"alarm without a confirmed subscriber", func(r *snapshot.Region) {
			r.SNS.Topics[0].Subscriptions[0].Confirmed = false
			r.SNS.Topics[0].Subscriptions[0].ARN = "PendingConfirmation"
		}, Fail, "broken link: confirmed subscriber"},
		{"alarms unreadable: ERROR", func(r *snapshot.Region) {
			r.CloudWatch.Error = &snapshot.ReadError{Operation: "cloudwatch:DescribeAlarms", Code: "AccessDenied", Message: "no"}
		}, Error, "could not be read"},
		// Reads that decide where the check applies: their failure is ERROR, never silence.
		{"managed instances unreadable", func(r *snapshot.Region) {
			r.SSM.Error = &snapshot.ReadError{Operation: "ssm:DescribeInstanceInformation", Code: "AccessDenied", Message: "no"}
		}, Error, "cannot tell which log groups of ap-northeast-2 hold SSH logs: the SSM managed instances could not be read"},
		{"ManageAgent commands unreadable", func(r *snapshot.Region) {
			r.SSM.Commands, r.SSM.CommandsError = nil, &snapshot.ReadError{Operation: "ssm:ListCommands", Code: "AccessDenied", Message: "no"}
		}, Error, "ssm:ListCommands"},
		{"an agent configuration unreadable", func(r *snapshot.Region) {
			for i := range r.SSM.AgentConfigs {
				r.SSM.AgentConfigs[i].Files = nil
				r.SSM.AgentConfigs[i].Error = &snapshot.ReadError{Operation: "ssm:GetParameters", Code: "AccessDenied", Message: "no"}
			}
		}, Error, "ssm:GetParameters"},
		{"SSM not collected", func(r *snapshot.Region) { r.SSM = nil }, Error, "Systems Manager was not collected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sshAlarmSnapshot()
			tt.mutate(&s.Accounts[0].Regions[0])
			fs := Run(s, []*Check{SSHLoginAlarm()}, Options{})
			if len(fs) != 1 {
				t.Fatalf("got %d findings, want one for the region: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.Status != tt.status || !strings.Contains(f.Reasoning(), tt.msg) || f.Region != "ap-northeast-2" {
				t.Errorf("got %s %s %q, want %s containing %q", f.Status, f.Region, f.Message, tt.status, tt.msg)
			}
		})
	}
}

func TestSSHLoginAlarmScope(t *testing.T) {
	// No managed instance ships SSH logs: no SSH log group, no finding.
	ssm, logs := baseSSH()
	ssm.Commands = nil
	if fs := Run(sshSnapshot(ssm, logs), []*Check{SSHLoginAlarm()}, Options{}); len(fs) != 0 {
		t.Errorf("no SSH log group: %+v, want no finding", fs)
	}
	// The configured group does not exist: the region holds no SSH log group.
	ssm, logs = baseSSH()
	logs.LogGroups = nil
	if fs := Run(sshSnapshot(ssm, logs), []*Check{SSHLoginAlarm()}, Options{}); len(fs) != 0 {
		t.Errorf("configured groups absent: %+v, want no finding", fs)
	}
	// Without alarms collected at all the verdict is ERROR, never PASS.
	ssm, logs = baseSSH()
	logs.MetricFilters = []snapshot.MetricFilter{{Name: "f", LogGroupName: "EC2-SSH-Logs", Pattern: `"Accepted publickey for"`,
		Transformations: []snapshot.MetricTransformation{{MetricName: "m", MetricNamespace: "n", MetricValue: "1"}}}}
	fs := Run(sshSnapshot(ssm, logs), []*Check{SSHLoginAlarm()}, Options{})
	if len(fs) != 1 || fs[0].Status == Pass {
		t.Errorf("alarms not collected: %+v, want one non-PASS finding", fs)
	}
}
