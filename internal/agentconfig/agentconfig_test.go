package agentconfig

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// authLogConfig is the configuration of the auth.log SSH-login alarm design (Ubuntu, one
// stream per instance).
const authLogConfig = `{
"logs": {
"logs_collected": {
"files": {
"collect_list": [
{
"file_path": "/var/log/auth.log",
"log_group_name": "EC2-SSH-Logs",
"log_stream_name": "{instance_id}"
}
]
}
}
}
}`

// labConfig is the AWS Well-Architected security lab's configuration, abridged: fixed stream
// names.
const labConfig = `{
"agent": {"metrics_collection_interval": 60, "run_as_user": "root"},
"logs": {"logs_collected": {"files": {"collect_list": [
 {"file_path": "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log", "log_group_name": "securitylablogs", "log_stream_name": "cw-agent-logs"},
 {"file_path": "/var/log/secure", "log_group_name": "securitylablogs", "log_stream_name": "ssh-logs"}
]}}},
"metrics": {"namespace": "SecurityCWLab-Metrics", "metrics_collected": {"mem": {"measurement": ["mem_used_percent"]}}}
}`

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []snapshot.AgentLogFile
	}{
		{"auth.log design: auth.log per instance", authLogConfig, []snapshot.AgentLogFile{
			{FilePath: "/var/log/auth.log", LogGroupName: "EC2-SSH-Logs", LogStreamName: "{instance_id}"}}},
		{"Well-Architected lab: fixed stream names kept as written", labConfig, []snapshot.AgentLogFile{
			{FilePath: "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log", LogGroupName: "securitylablogs", LogStreamName: "cw-agent-logs"},
			{FilePath: "/var/log/secure", LogGroupName: "securitylablogs", LogStreamName: "ssh-logs"}}},
		{"stream name defaults to {instance_id}",
			`{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/secure","log_group_name":"g"}]}}}}`,
			[]snapshot.AgentLogFile{{FilePath: "/var/log/secure", LogGroupName: "g", LogStreamName: "{instance_id}"}}},
		{"stream name defaults to the logs section's",
			`{"logs":{"log_stream_name":"{hostname}","logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/secure","log_group_name":"g"}]}}}}`,
			[]snapshot.AgentLogFile{{FilePath: "/var/log/secure", LogGroupName: "g", LogStreamName: "{hostname}"}}},
		{"group name defaults to the path up to the last dot",
			`{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/auth.log"},{"file_path":"/var/log/secure"}]}}}}`,
			[]snapshot.AgentLogFile{
				{FilePath: "/var/log/auth.log", LogGroupName: "/var/log/auth", LogStreamName: "{instance_id}"},
				{FilePath: "/var/log/secure", LogGroupName: "/var/log/secure", LogStreamName: "{instance_id}"}}},
		{"metrics only: no files", `{"metrics":{"metrics_collected":{"mem":{}}}}`, nil},
		{"windows events only: no files", `{"logs":{"logs_collected":{"windows_events":{"collect_list":[]}}}}`, nil},
		{"null sections", `{"logs":null}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(got.Files) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got.Files, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseErrorsSayWhere(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"syntax error with line and column", "{\n\"logs\": {\n\"logs_collected\": [,]\n}}", "line 3, column 20"},
		{"truncated", `{"logs": {`, "truncated"},
		{"empty", "", "empty"},
		{"not an object", `["/var/log/secure"]`, "$: must be a JSON object, found an array"},
		{"collect_list not an array", `{"logs":{"logs_collected":{"files":{"collect_list":{}}}}}`, "collect_list: must be an array"},
		{"file_path missing", `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/a"},{"log_group_name":"g"}]}}}}`, "collect_list[1].file_path: is required"},
		{"file_path a number", `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":7}]}}}}`, "collect_list[0].file_path: must be a string, found a number"},
		{"trailing data", `{} {}`, "trailing data"},
		{"file filter of another type", `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/a","filters":[{"type":"drop","expression":"x"}]}]}}}}`, "collect_list[0].filters[0].type: must be include or exclude"},
		{"file filter not a regular expression", `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/a","filters":[{"type":"include","expression":"(sshd"}]}]}}}}`, "filters[0].expression: not a regular expression"},
		{"journal entry without a log group", `{"logs":{"logs_collected":{"journald":{"collect_list":[{"units":["sshd"]}]}}}}`, "journald.collect_list[0].log_group_name: is required"},
		{"journal units not an array", `{"logs":{"logs_collected":{"journald":{"collect_list":[{"log_group_name":"g","units":"sshd"}]}}}}`, "collect_list[0].units: must be an array, found a string"},
		{"journal units empty", `{"logs":{"logs_collected":{"journald":{"collect_list":[{"log_group_name":"g","units":[]}]}}}}`, "units: must name at least one unit"},
		{"journal unit twice", `{"logs":{"logs_collected":{"journald":{"collect_list":[{"log_group_name":"g","units":["sshd","sshd"]}]}}}}`, `units[1]: "sshd" is listed twice`},
		{"journal priority unknown", `{"logs":{"logs_collected":{"journald":{"collect_list":[{"log_group_name":"g","priority":"verbose"}]}}}}`, `priority: "verbose" is not a journal priority`},
		{"journal priority a range", `{"logs":{"logs_collected":{"journald":{"collect_list":[{"log_group_name":"g","priority":"0..6"}]}}}}`, "is not a journal priority"},
		{"journal match as FIELD=value text", `{"logs":{"logs_collected":{"journald":{"collect_list":[{"log_group_name":"g","matches":["_SYSTEMD_UNIT=sshd.service"]}]}}}}`, "matches[0]: must be an object of journal fields"},
		{"journal match value a number", `{"logs":{"logs_collected":{"journald":{"collect_list":[{"log_group_name":"g","matches":[{"_UID":0}]}]}}}}`, "matches[0]._UID: must be a string, found a number"},
		{"too large", "{" + strings.Repeat(" ", MaxConfigBytes) + "}", "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// journalConfig is the shape of the agent's own journald samples: sshd by unit, defaults
// elsewhere, next to a file entry.
const journalConfig = `{"logs": {"log_stream_name": "shared", "logs_collected": {
 "files": {"collect_list": [{"file_path": "/var/log/cloud-init.log", "log_group_name": "boot", "filters": [{"type": "exclude", "expression": "DEBUG"}]}]},
 "journald": {"collect_list": [
  {"log_group_name": "ssh", "units": ["sshd"]},
  {"log_group_name": "system", "log_stream_name": "{hostname}", "units": ["systemd", "ssh.service"], "priority": "warning",
   "matches": [{"_UID": "0"}, {"_TRANSPORT": "kernel"}], "filters": [{"type": "include", "expression": "Accepted"}]}
 ]}}}}`

func TestParseJournal(t *testing.T) {
	got, err := Parse([]byte(journalConfig))
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []snapshot.AgentLogFile{{FilePath: "/var/log/cloud-init.log", LogGroupName: "boot", LogStreamName: "shared",
		Filters: []snapshot.AgentLogFilter{{Type: "exclude", Expression: "DEBUG"}}}}
	wantJournal := []snapshot.AgentJournalEntry{
		// The journald pipeline does not read logs.log_stream_name: {instance_id} is its default.
		{LogGroupName: "ssh", LogStreamName: "{instance_id}", Units: []string{"sshd"}},
		{LogGroupName: "system", LogStreamName: "{hostname}", Units: []string{"systemd", "ssh.service"}, Priority: "warning",
			Matches: []map[string]string{{"_UID": "0"}, {"_TRANSPORT": "kernel"}},
			Filters: []snapshot.AgentLogFilter{{Type: "include", Expression: "Accepted"}}},
	}
	if !reflect.DeepEqual(got.Files, wantFiles) {
		t.Errorf("files = %+v\nwant %+v", got.Files, wantFiles)
	}
	if !reflect.DeepEqual(got.Journal, wantJournal) {
		t.Errorf("journal = %+v\nwant %+v", got.Journal, wantJournal)
	}
}

func TestMatchPath(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"/var/log/secure", "/var/log/secure", true},
		{"/var/log/secure*", "/var/log/secure", true},
		{"/var/log/auth.log*", "/var/log/auth.log", true},
		{"/var/log/*.log", "/var/log/auth.log", true},
		{"/var/log/*", "/var/log/secure", true},
		{"/var/log/**", "/var/log/secure", true},
		{"/var/**/secure", "/var/log/secure", true},
		{"/var/log/**/secure", "/var/log/secure", true}, // ** matches no element too
		{"/var/log/s?cure", "/var/log/secure", true},
		{"/var/log/[sa]ecure", "/var/log/secure", true},
		{"/var/log/*.log", "/var/log/secure", false},
		{"/var/log/secure.log", "/var/log/secure", false},
		{"/var/*", "/var/log/secure", false}, // * stays within one element
		{"/var/log/auth.log", "/var/log/secure", false},
		{"/var/log/[", "/var/log/[", false}, // malformed pattern selects nothing
		{"var/log/secure", "/var/log/secure", false},
	}
	for _, tt := range tests {
		if got := MatchPath(tt.pattern, tt.name); got != tt.want {
			t.Errorf("MatchPath(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestSSHLogPath(t *testing.T) {
	tests := []struct {
		platform string
		want     string
		known    bool
	}{
		{"Ubuntu", AuthLog, true},
		{"Debian GNU/Linux", AuthLog, true},
		{"Amazon Linux", Secure, true},
		{"Red Hat Enterprise Linux Server", Secure, true},
		{"CentOS Linux", Secure, true},
		{"Rocky Linux", Secure, true},
		{"SLES", Messages, true},
		{"Gentoo", "", false},
	}
	for _, tt := range tests {
		got, known := SSHLogPath(tt.platform)
		if got != tt.want || known != tt.known {
			t.Errorf("SSHLogPath(%q) = %q, %v; want %q, %v", tt.platform, got, known, tt.want, tt.known)
		}
	}
}

func TestExpand(t *testing.T) {
	mi := &snapshot.ManagedInstance{InstanceID: "i-0abc", ComputerName: "ip-10-0-0-5.ec2.internal", IPAddress: "10.0.0.5"}
	tests := []struct{ in, want, err string }{
		{"{instance_id}", "i-0abc", ""},
		{"ssh-{instance_id}-{hostname}", "ssh-i-0abc-ip-10-0-0-5.ec2.internal", ""},
		{"{ip_address}_{local_hostname}", "10.0.0.5_ip-10-0-0-5.ec2.internal", ""},
		{"ssh-logs", "ssh-logs", ""},
		{"odd{brace", "odd{brace", ""},
		{"{date}", "", "unknown placeholder {date}"},
	}
	for _, tt := range tests {
		got, err := Expand(tt.in, mi)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Expand(%q) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := Expand("{hostname}", &snapshot.ManagedInstance{InstanceID: "i-1"}); err == nil {
		t.Error("Expand({hostname}) without a ComputerName should fail, not guess")
	}
	if PerInstance("ssh-logs") || !PerInstance("x-{instance_id}") {
		t.Error("PerInstance: a fixed name is shared, a placeholder name is per instance")
	}
}
