package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

var sshNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func sshAgo(d time.Duration) *time.Time { t := sshNow.Add(-d); return &t }

func ubuntu(id string) snapshot.ManagedInstance {
	return snapshot.ManagedInstance{InstanceID: id, PingStatus: "Online", PlatformType: "Linux", PlatformName: "Ubuntu", PlatformVersion: "22.04",
		ComputerName: "ip-10-0-0-1.ec2.internal", IPAddress: "10.0.0.1"}
}

func amazonLinux(id string) snapshot.ManagedInstance {
	return snapshot.ManagedInstance{InstanceID: id, PingStatus: "Online", PlatformType: "Linux", PlatformName: "Amazon Linux", PlatformVersion: "2",
		ComputerName: "ip-10-0-0-2.ec2.internal", IPAddress: "10.0.0.2"}
}

func manageAgent(action, param string) map[string][]string {
	return map[string][]string{"action": {action}, "optionalConfigurationSource": {"ssm"}, "optionalConfigurationLocation": {param}}
}

func okCommand(id, inst, param string, ago time.Duration) snapshot.AgentCommand {
	return snapshot.AgentCommand{CommandID: id, InstanceID: inst, DocumentName: "AmazonCloudWatch-ManageAgent", Status: "Success",
		RequestedAt: sshAgo(ago), Parameters: manageAgent("configure", param)}
}

func cfg(param string, files ...snapshot.AgentLogFile) snapshot.AgentConfig {
	return snapshot.AgentConfig{Parameter: param, Type: "String", Files: files}
}

func file(path, group, stream string) snapshot.AgentLogFile {
	return snapshot.AgentLogFile{FilePath: path, LogGroupName: group, LogStreamName: stream}
}

func journal(group string, units ...string) snapshot.AgentJournalEntry {
	return snapshot.AgentJournalEntry{LogGroupName: group, LogStreamName: "{instance_id}", Units: units}
}

// al2023 makes baseSSH's Amazon Linux box Amazon Linux 2023; debian12 its Ubuntu box Debian 12.
func al2023(s *snapshot.SSMData) { s.ManagedInstances[1].PlatformVersion = "2023" }
func debian12(s *snapshot.SSMData) {
	s.ManagedInstances[0].PlatformName, s.ManagedInstances[0].PlatformVersion = "Debian GNU/Linux", "12"
}

func group(name string, wanted []string, streams ...snapshot.LogStream) snapshot.LogGroup {
	return snapshot.LogGroup{Name: name, Streams: streams, StreamsWanted: wanted}
}

func stream(name string, ago time.Duration) snapshot.LogStream {
	return snapshot.LogStream{Name: name, LastIngestionTime: sshAgo(ago), LastEventTimestamp: sshAgo(ago)}
}

func sshSnapshot(ssm *snapshot.SSMData, logs *snapshot.LogsData) *snapshot.Snapshot {
	return &snapshot.Snapshot{SchemaVersion: 1, CollectedAt: sshNow, Regions: []string{"ap-northeast-2"}, Accounts: []snapshot.Account{{
		ID: "111111111111", Regions: []snapshot.Region{{Name: "ap-northeast-2", SSM: ssm, Logs: logs}}}}}
}

// baseSSH is the auth.log SSH-login alarm design's agent setup on an Ubuntu box and the AWS
// Well-Architected security lab's (with {instance_id}) on Amazon Linux: both PASS. Each case
// below breaks one link.
func baseSSH() (*snapshot.SSMData, *snapshot.LogsData) {
	ssm := &snapshot.SSMData{
		ManagedInstances: []snapshot.ManagedInstance{ubuntu("i-ubuntu"), amazonLinux("i-amzn")},
		Commands: []snapshot.AgentCommand{
			okCommand("c-ubuntu", "i-ubuntu", "AmazonCloudWatch-ubuntu", 48*time.Hour),
			okCommand("c-amzn", "i-amzn", "AmazonCloudWatch-securitylab", 48*time.Hour),
		},
		AgentConfigs: []snapshot.AgentConfig{
			cfg("AmazonCloudWatch-ubuntu", file("/var/log/auth.log", "EC2-SSH-Logs", "{instance_id}")),
			cfg("AmazonCloudWatch-securitylab",
				file("/var/log/httpd/access_log", "securitylablogs", "apache-access-logs"),
				file("/var/log/secure", "securitylablogs", "{instance_id}-ssh")),
		},
	}
	logs := &snapshot.LogsData{LogGroups: []snapshot.LogGroup{
		group("EC2-SSH-Logs", []string{"i-ubuntu"}, stream("i-ubuntu", 10*time.Minute)),
		group("securitylablogs", []string{"i-amzn-ssh"}, stream("i-amzn-ssh", 2*time.Hour)),
	}}
	return ssm, logs
}

func TestSSMAgentSSHLogs(t *testing.T) {
	type want struct {
		status Status
		msg    string
	}
	tests := []struct {
		name   string
		mutate func(*snapshot.SSMData, *snapshot.LogsData)
		want   map[string]want // instance -> verdict
	}{
		{"auth.log design on Ubuntu and Well-Architected lab on Amazon Linux pass", func(*snapshot.SSMData, *snapshot.LogsData) {},
			map[string]want{"i-ubuntu": {Pass, "ships /var/log/auth.log to EC2-SSH-Logs/i-ubuntu"}, "i-amzn": {Pass, "ships /var/log/secure to securitylablogs/i-amzn-ssh"}}},
		{"windows instances get no finding", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.ManagedInstances = append(s.ManagedInstances, snapshot.ManagedInstance{InstanceID: "i-win", PingStatus: "Online", PlatformType: "Windows"})
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Pass, ""}}},
		{"instance not reporting to SSM", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.ManagedInstances[0].PingStatus = "ConnectionLost"
		}, map[string]want{"i-ubuntu": {Fail, "not reporting to SSM (ping status ConnectionLost"}, "i-amzn": {Pass, ""}}},
		{"instance with no agent config", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.Commands = s.Commands[1:]
		}, map[string]want{"i-ubuntu": {Fail, "not covered by any CloudWatch Agent configuration"}, "i-amzn": {Pass, ""}}},
		{"agent command failed", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.Commands[0].Status = "Failed"
		}, map[string]want{"i-ubuntu": {Fail, "the CloudWatch Agent command failed: command c-ubuntu"}, "i-amzn": {Pass, ""}}},
		{"config misses the path", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.AgentConfigs[1] = cfg("AmazonCloudWatch-ubuntu", file("/var/log/syslog", "EC2-SSH-Logs", "{instance_id}"))
			s.AgentConfigs[0], s.AgentConfigs[1] = s.AgentConfigs[1], cfg("AmazonCloudWatch-securitylab", file("/var/log/secure", "securitylablogs", "{instance_id}-ssh"))
		}, map[string]want{"i-ubuntu": {Fail, "misses the SSH log path: configuration AmazonCloudWatch-ubuntu (from command c-ubuntu) collects neither /var/log/auth.log nor sshd's journal entries (ssh.service) (it collects /var/log/syslog)"}, "i-amzn": {Pass, ""}}},
		{"wrong path for the platform: /var/log/secure on Ubuntu does not count", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.Commands[0].Parameters = manageAgent("configure", "AmazonCloudWatch-securitylab")
		}, map[string]want{"i-ubuntu": {Fail, "wrong SSH log path for the platform: configuration AmazonCloudWatch-securitylab collects /var/log/secure, but Ubuntu writes SSH logins to /var/log/auth.log"}, "i-amzn": {Pass, ""}}},
		{"glob paths are honoured", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			s.AgentConfigs[0].Files[0].FilePath = "/var/log/auth.log*"
			s.AgentConfigs[1].Files[1].FilePath = "/var/log/**/secure"
		}, map[string]want{"i-ubuntu": {Pass, "ships /var/log/auth.log* to"}, "i-amzn": {Pass, "ships /var/log/**/secure to"}}},
		{"a glob on the other platform's file is the wrong path", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.AgentConfigs[0].Files[0].FilePath = "/var/log/secure*"
		}, map[string]want{"i-ubuntu": {Fail, "wrong SSH log path"}, "i-amzn": {Pass, ""}}},
		{"stale stream", func(_ *snapshot.SSMData, l *snapshot.LogsData) {
			l.LogGroups[1].Streams[0] = stream("i-amzn-ssh", 72*time.Hour)
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Fail, "no data within 24h in stream securitylablogs/i-amzn-ssh: its last data came 3d before the scan (2026-11-19T10:00:00Z)"}}},
		{"no stream for this instance", func(_ *snapshot.SSMData, l *snapshot.LogsData) {
			l.LogGroups[0].Streams = nil
		}, map[string]want{"i-ubuntu": {Fail, "no data: log group EC2-SSH-Logs has no stream i-ubuntu for this instance"}, "i-amzn": {Pass, ""}}},
		{"log group does not exist", func(_ *snapshot.SSMData, l *snapshot.LogsData) {
			l.LogGroups = l.LogGroups[1:]
		}, map[string]want{"i-ubuntu": {Fail, "no data: log group EC2-SSH-Logs does not exist"}, "i-amzn": {Pass, ""}}},
		{"tag-targeted association covers an instance without commands", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.Commands = nil
			s.ManagedInstances[0].Tags = map[string]string{"ssh-logs": "auth"}
			s.ManagedInstances[1].Tags = map[string]string{"ssh-logs": "secure"}
			s.Associations = []snapshot.Association{
				{AssociationID: "a-auth", Name: "AmazonCloudWatch-ManageAgent", Status: "Success", Parameters: manageAgent("configure", "AmazonCloudWatch-ubuntu"),
					Targets: []snapshot.AssociationTarget{{Key: "tag:ssh-logs", Values: []string{"auth"}}}},
				{AssociationID: "a-secure", Name: "AmazonCloudWatch-ManageAgent", Status: "Success", Parameters: manageAgent("configure", "AmazonCloudWatch-securitylab"),
					Targets: []snapshot.AssociationTarget{{Key: "tag:ssh-logs", Values: []string{"secure"}}}},
			}
		}, map[string]want{"i-ubuntu": {Pass, "configured by association a-auth"}, "i-amzn": {Pass, "configured by association a-secure"}}},
		{"a failing association and no earlier configuration", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.Associations = []snapshot.Association{{AssociationID: "a-all", Name: "AmazonCloudWatch-ManageAgent", Status: "Failed",
				Parameters: manageAgent("configure", "AmazonCloudWatch-ubuntu"), Targets: []snapshot.AssociationTarget{{Key: "InstanceIds", Values: []string{"i-ubuntu"}}}}}
			var kept []snapshot.AgentCommand
			for _, c := range s.Commands {
				if c.InstanceID != "i-ubuntu" {
					kept = append(kept, c)
				}
			}
			s.Commands = kept
		}, map[string]want{"i-ubuntu": {Fail, "the CloudWatch Agent command failed: association a-all"}, "i-amzn": {Pass, ""}}},
		{"a failing association after a successful configure leaves that configuration running", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.Associations = []snapshot.Association{{AssociationID: "a-all", Name: "AmazonCloudWatch-ManageAgent", Status: "Failed", LastRun: sshAgo(time.Hour),
				Parameters: manageAgent("configure", "AmazonCloudWatch-ubuntu"), Targets: []snapshot.AssociationTarget{{Key: "InstanceIds", Values: []string{"i-ubuntu"}}}}}
		}, map[string]want{"i-ubuntu": {Pass, "configured by command c-ubuntu"}, "i-amzn": {Pass, ""}}},
		{"a configure command after the association replaces its configuration", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			old := sshNow.Add(-72 * time.Hour)
			s.Associations = []snapshot.Association{{AssociationID: "a-syslog", Name: "AmazonCloudWatch-ManageAgent", Status: "Success", LastRun: &old,
				Parameters: manageAgent("configure", "AmazonCloudWatch-ubuntu"), Targets: []snapshot.AssociationTarget{{Key: "InstanceIds", Values: []string{"i-ubuntu"}}}}}
		}, map[string]want{"i-ubuntu": {Pass, "configured by command c-ubuntu"}, "i-amzn": {Pass, ""}}},
		{"tags unreadable with a tag-targeted association: ERROR, not FAIL", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.ManagedInstances[0].TagsError = &snapshot.ReadError{Operation: "ec2:DescribeInstances", Code: "AccessDenied", Message: "denied"}
			s.Associations = []snapshot.Association{{AssociationID: "a-tag", Name: "AmazonCloudWatch-ManageAgent",
				Parameters: manageAgent("configure", "AmazonCloudWatch-ubuntu"), Targets: []snapshot.AssociationTarget{{Key: "tag:Env", Values: []string{"prod"}}}}}
			s.ManagedInstances[1].Tags = map[string]string{"Env": "dev"}
		}, map[string]want{"i-ubuntu": {Error, "cannot tell whether i-ubuntu is configured"}, "i-amzn": {Pass, ""}}},
		{"malformed configuration is an ERROR with its location", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.AgentConfigs[0] = snapshot.AgentConfig{Parameter: "AmazonCloudWatch-ubuntu", Error: &snapshot.ReadError{Operation: "ssm:GetParameters",
				Code: "MalformedAgentConfiguration", Message: "agent configuration: line 3, column 7: invalid JSON"}}
		}, map[string]want{"i-ubuntu": {Error, "line 3, column 7"}, "i-amzn": {Pass, ""}}},
		{"configuration parameter deleted", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			s.AgentConfigs[0] = snapshot.AgentConfig{Parameter: "AmazonCloudWatch-ubuntu", Error: &snapshot.ReadError{Operation: "ssm:GetParameters", Code: "ParameterNotFound", Message: "gone"}}
		}, map[string]want{"i-ubuntu": {Fail, "configuration parameter AmazonCloudWatch-ubuntu named by command c-ubuntu does not exist"}, "i-amzn": {Pass, ""}}},
		{"agent stopped after configure", func(s *snapshot.SSMData, _ *snapshot.LogsData) {
			stop := okCommand("c-stop", "i-ubuntu", "", time.Hour)
			stop.Parameters = map[string][]string{"action": {"stop"}}
			s.Commands = append(s.Commands, stop)
		}, map[string]want{"i-ubuntu": {Fail, "the CloudWatch Agent was stopped by command c-stop"}, "i-amzn": {Pass, ""}}},
		{"a stream shared by two instances proves nothing for either", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			s.ManagedInstances[0] = amazonLinux("i-amzn2")
			s.Commands[0] = okCommand("c-amzn2", "i-amzn2", "AmazonCloudWatch-securitylab", 48*time.Hour)
			s.AgentConfigs[1].Files[1].LogStreamName = "ssh-logs"
			l.LogGroups[1] = group("securitylablogs", []string{"ssh-logs"}, stream("ssh-logs", time.Minute))
		}, map[string]want{"i-amzn2": {Fail, "shared by 2 instances"}, "i-amzn": {Fail, "shared by 2 instances"}}},
		{"a fixed stream name used by one instance is its own", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			s.AgentConfigs[1].Files[1].LogStreamName = "ssh-logs"
			l.LogGroups[1] = group("securitylablogs", []string{"ssh-logs"}, stream("ssh-logs", time.Minute))
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Pass, "securitylablogs/ssh-logs"}}},
		{"{hostname} placeholder resolved from SSM's ComputerName", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			s.AgentConfigs[0].Files[0].LogStreamName = "{hostname}"
			l.LogGroups[0] = group("EC2-SSH-Logs", []string{"ip-10-0-0-1.ec2.internal"}, stream("ip-10-0-0-1.ec2.internal", time.Minute))
		}, map[string]want{"i-ubuntu": {Pass, "EC2-SSH-Logs/ip-10-0-0-1.ec2.internal"}, "i-amzn": {Pass, ""}}},
		{"streams not collected: ERROR, never PASS", func(_ *snapshot.SSMData, l *snapshot.LogsData) {
			l.LogGroups[0].StreamsWanted = nil
		}, map[string]want{"i-ubuntu": {Error, "was not collected"}, "i-amzn": {Pass, ""}}},
		{"Amazon Linux 2023 stale stream explains the journal", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			s.ManagedInstances[1].PlatformVersion = "2023"
			l.LogGroups[1].Streams[0] = stream("i-amzn-ssh", 30*time.Hour)
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Fail, "unless rsyslog is installed"}}},
		// The agent on journal-only distributions: the Amazon Linux box becomes AL2023 and the
		// Ubuntu box Debian 12, configured through the journal or through a file.
		{"AL2023 journald entry for sshd ships", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			al2023(s)
			s.AgentConfigs[1] = cfg("AmazonCloudWatch-securitylab", file("/var/log/httpd/access_log", "securitylablogs", "apache-access-logs"))
			s.AgentConfigs[1].Journal = []snapshot.AgentJournalEntry{journal("ssh-journal", "sshd")}
			l.LogGroups = append(l.LogGroups, group("ssh-journal", []string{"i-amzn"}, stream("i-amzn", time.Minute)))
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Pass, "ships the journal (units sshd) to ssh-journal/i-amzn"}}},
		{"AL2023 journald entry with a stale stream: no journal hint about rsyslog", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			al2023(s)
			s.AgentConfigs[1] = cfg("AmazonCloudWatch-securitylab")
			s.AgentConfigs[1].Journal = []snapshot.AgentJournalEntry{journal("ssh-journal", "sshd")}
			l.LogGroups = append(l.LogGroups, group("ssh-journal", []string{"i-amzn"}, stream("i-amzn", 30*time.Hour)))
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Fail, "no data within 24h in stream ssh-journal/i-amzn"}}},
		{"Debian 12 journald entry names the alias sshd: selects nothing", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			debian12(s)
			s.AgentConfigs[0] = cfg("AmazonCloudWatch-ubuntu")
			s.AgentConfigs[0].Journal = []snapshot.AgentJournalEntry{journal("ssh-journal", "sshd")}
			l.LogGroups = append(l.LogGroups, group("ssh-journal", []string{"i-ubuntu"}, stream("i-ubuntu", time.Minute)))
		}, map[string]want{"i-ubuntu": {Fail, "its units (sshd) do not include ssh.service"}, "i-amzn": {Pass, ""}}},
		{"Debian 12 journald entry for ssh ships", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			debian12(s)
			s.AgentConfigs[0] = cfg("AmazonCloudWatch-ubuntu")
			s.AgentConfigs[0].Journal = []snapshot.AgentJournalEntry{journal("ssh-journal", "ssh.service")}
			l.LogGroups = append(l.LogGroups, group("ssh-journal", []string{"i-ubuntu"}, stream("i-ubuntu", time.Minute)))
		}, map[string]want{"i-ubuntu": {Pass, "ships the journal (units ssh.service)"}, "i-amzn": {Pass, ""}}},
		{"a journald entry for other units does not count, however fresh its stream", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			al2023(s)
			s.AgentConfigs[1] = cfg("AmazonCloudWatch-securitylab")
			s.AgentConfigs[1].Journal = []snapshot.AgentJournalEntry{journal("app-journal", "nginx", "php-fpm")}
			l.LogGroups = append(l.LogGroups, group("app-journal", []string{"i-amzn"}, stream("i-amzn", time.Minute)))
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Fail, "collects neither /var/log/secure nor sshd's journal entries (sshd.service) (it collects the journal of nginx, php-fpm)"}}},
		{"a journald entry whose priority stops above info", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			al2023(s)
			e := journal("ssh-journal", "sshd")
			e.Priority = "warning"
			s.AgentConfigs[1] = cfg("AmazonCloudWatch-securitylab")
			s.AgentConfigs[1].Journal = []snapshot.AgentJournalEntry{e}
			l.LogGroups = append(l.LogGroups, group("ssh-journal", []string{"i-amzn"}, stream("i-amzn", time.Minute)))
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Fail, "priority warning collects only entries more severe than info"}}},
		{"a journald entry lookout cannot judge, fresh stream: ERROR", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			al2023(s)
			e := journal("ssh-journal")
			e.Matches = []map[string]string{{"_HOSTNAME": "bastion"}}
			s.AgentConfigs[1] = cfg("AmazonCloudWatch-securitylab")
			s.AgentConfigs[1].Journal = []snapshot.AgentJournalEntry{e}
			l.LogGroups = append(l.LogGroups, group("ssh-journal", []string{"i-amzn"}, stream("i-amzn", time.Minute)))
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Error, "_HOSTNAME=bastion"}}},
		{"AL2023 file entry, inventory lists no rsyslog: the file is never written", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			al2023(s)
			s.ManagedInstances[1].Syslog = &snapshot.SyslogInventory{CaptureTime: sshAgo(time.Hour)}
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Fail, "/var/log/secure is never written: Amazon Linux 2023 ships without a syslog daemon and SSM Inventory (AWS:Application, taken 2026-11-22T09:00:00Z) lists no rsyslog"}}},
		{"AL2023 file entry with rsyslog in the inventory: the stream decides", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			al2023(s)
			s.ManagedInstances[1].Syslog = &snapshot.SyslogInventory{CaptureTime: sshAgo(time.Hour), Daemons: []string{"rsyslog"}}
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Pass, "ships /var/log/secure"}}},
		{"AL2023 file entry without inventory: the stream decides", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			al2023(s)
			s.ManagedInstances[1].Syslog = &snapshot.SyslogInventory{}
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Pass, "ships /var/log/secure"}}},
		{"AL2023 file entry, inventory unreadable, fresh stream: ERROR", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			al2023(s)
			s.ManagedInstances[1].Syslog = &snapshot.SyslogInventory{Error: &snapshot.ReadError{Operation: "ssm:ListInventoryEntries", Code: "AccessDeniedException", Message: "no"}}
		}, map[string]want{"i-ubuntu": {Pass, ""}, "i-amzn": {Error, "could not be read from SSM Inventory"}}},
		{"Debian 12 file entry without rsyslog, journald entry beside it ships: one is enough", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			debian12(s)
			s.ManagedInstances[0].Syslog = &snapshot.SyslogInventory{CaptureTime: sshAgo(time.Hour)}
			s.AgentConfigs[0].Journal = []snapshot.AgentJournalEntry{journal("ssh-journal", "ssh")}
			l.LogGroups = append(l.LogGroups, group("ssh-journal", []string{"i-ubuntu"}, stream("i-ubuntu", time.Minute)))
		}, map[string]want{"i-ubuntu": {Pass, "ships the journal (units ssh)"}, "i-amzn": {Pass, ""}}},
		{"Ubuntu file entry whose exclude filter drops logins", func(s *snapshot.SSMData, l *snapshot.LogsData) {
			s.AgentConfigs[0].Files[0].Filters = []snapshot.AgentLogFilter{{Type: "exclude", Expression: "Accepted"}}
		}, map[string]want{"i-ubuntu": {Fail, `its exclude filter "Accepted" drops sshd's login lines`}, "i-amzn": {Pass, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ssm, logs := baseSSH()
			tt.mutate(ssm, logs)
			fs := Run(sshSnapshot(ssm, logs), []*Check{SSMAgentSSHLogs()}, Options{})
			if len(fs) != len(tt.want) {
				t.Fatalf("got %d findings, want %d: %+v", len(fs), len(tt.want), fs)
			}
			for _, f := range fs {
				w, ok := tt.want[f.Resource]
				if !ok {
					t.Errorf("unexpected finding for %s: %s %s", f.Resource, f.Status, f.Message)
					continue
				}
				if f.Status != w.status || !strings.Contains(f.Reasoning(), w.msg) {
					t.Errorf("%s: got %s %q\nwant %s containing %q", f.Resource, f.Status, f.Message, w.status, w.msg)
				}
				if f.Evidence == nil {
					t.Errorf("%s: no evidence", f.Resource)
				}
			}
		})
	}
}

func TestSSMAgentSSHLogsMaxAge(t *testing.T) {
	ssm, logs := baseSSH() // the Amazon Linux stream is 2h old
	for _, tc := range []struct {
		maxAge time.Duration
		want   Status
	}{{time.Hour, Fail}, {3 * time.Hour, Pass}} {
		fs := Run(sshSnapshot(ssm, logs), []*Check{SSMAgentSSHLogs()}, Options{SSHLogMaxAge: tc.maxAge})
		for _, f := range fs {
			if f.Resource == "i-amzn" && f.Status != tc.want {
				t.Errorf("max age %s: i-amzn is %s (%s), want %s", tc.maxAge, f.Status, f.Message, tc.want)
			}
		}
	}
}

func TestSSMAgentSSHLogsRegionErrors(t *testing.T) {
	fs := Run(sshSnapshot(nil, nil), []*Check{SSMAgentSSHLogs()}, Options{})
	if len(fs) != 1 || fs[0].Status != Error || !strings.Contains(fs[0].Reasoning(), "not collected") {
		t.Errorf("no SSM section: %+v, want one ERROR", fs)
	}
	fs = Run(sshSnapshot(&snapshot.SSMData{Error: &snapshot.ReadError{Operation: "ssm:DescribeInstanceInformation", Code: "AccessDeniedException", Message: "no"}}, nil), []*Check{SSMAgentSSHLogs()}, Options{})
	if len(fs) != 1 || fs[0].Status != Error || !strings.Contains(fs[0].Reasoning(), "AccessDeniedException") {
		t.Errorf("SSM unreadable: %+v, want one ERROR naming the failure", fs)
	}
	fs = Run(sshSnapshot(&snapshot.SSMData{ManagedInstances: []snapshot.ManagedInstance{}}, nil), []*Check{SSMAgentSSHLogs()}, Options{})
	if len(fs) != 0 {
		t.Errorf("no managed instances: %+v, want no finding", fs)
	}
}
