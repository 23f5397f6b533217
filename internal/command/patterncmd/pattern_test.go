package patterncmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/exitcode"
)

const cisRoot = `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`

// writeEvents writes the named corpus events of a detection into dir and returns their paths
// by event name.
func writeEvents(t *testing.T, events ...detection.Event) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, e := range events {
		p := filepath.Join(dir, strings.NewReplacer(" ", "-", "/", "-", ",", "", "(", "", ")", "", ":", "", `"`, "").Replace(e.Name)+".event")
		if len(p) > 200 {
			p = filepath.Join(dir, "event"+string(rune('a'+i)))
		}
		if err := os.WriteFile(p, e.Body, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func find(t *testing.T, events []detection.Event, substr string) detection.Event {
	t.Helper()
	for _, e := range events {
		if strings.Contains(e.Name, substr) {
			return e
		}
	}
	t.Fatalf("no event named like %q", substr)
	return detection.Event{}
}

func run(t *testing.T, stdin string, args ...string) (string, int, error) {
	t.Helper()
	cmd := NewCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(append([]string{"test"}, args...))
	err := cmd.Execute()
	return out.String(), exitcode.Code(err), err
}

func TestFilterPattern(t *testing.T) {
	root := detection.RootUsage()
	login := find(t, root.Positives, "root console login, MFA used")
	service := find(t, root.Negatives, "invoked by an AWS service")
	paths := writeEvents(t, login, service)

	out, code, err := run(t, "", "--filter-pattern", cisRoot, paths[0])
	if code != 0 {
		t.Fatalf("root login: exit %d (%v)\n%s", code, err, out)
	}
	if !strings.Contains(out, "MATCH     "+paths[0]) || !strings.Contains(out, `$.userIdentity.type = "Root"`) || !strings.Contains(out, "1 of 1 events matched") {
		t.Errorf("output:\n%s", out)
	}

	out, code, _ = run(t, "", "--filter-pattern", cisRoot, paths[1])
	if code != 1 {
		t.Fatalf("service-invoked root event: exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "NO MATCH  "+paths[1]) {
		t.Errorf("output:\n%s", out)
	}

	out, code, _ = run(t, "", "--filter-pattern", cisRoot, paths[0], paths[1])
	if code != 1 || !strings.Contains(out, "1 of 2 events matched") {
		t.Errorf("mixed: exit %d\n%s", code, out)
	}
}

func TestExitCodes(t *testing.T) {
	paths := writeEvents(t, detection.SSHLogin().Positives[0])
	cases := []struct {
		name    string
		stdin   string
		args    []string
		code    int
		outHas  string
		errHas  string
		noPrint bool
	}{
		{name: "malformed filter pattern", args: []string{"--filter-pattern", `{ $.userIdentity.type "Root" }`, paths[0]}, code: 3, errHas: "filter pattern: at column 23", noPrint: true},
		{name: "malformed event pattern", args: []string{"--event-pattern", `{"source":"aws.ec2"}`, paths[0]}, code: 3, errHas: "event pattern: source:", noPrint: true},
		{name: "missing file", args: []string{"--filter-pattern", `ERROR`, "/nonexistent/event.json"}, code: 3, errHas: "cannot read event file", noPrint: true},
		{name: "no pattern", args: []string{paths[0]}, code: 3, errHas: "exactly one of"},
		{name: "both patterns", args: []string{"--filter-pattern", "a", "--event-pattern", "{}", paths[0]}, code: 3, errHas: "exactly one of"},
		{name: "no files", args: []string{"--filter-pattern", "a"}, code: 3, errHas: "at least one EVENT_FILE"},
		{name: "ssh line matches", args: []string{"--filter-pattern", `"Accepted publickey for"`, paths[0]}, code: 0, outHas: "MATCH"},
		{name: "stdin", stdin: "Nov 20 sshd[1]: Failed password for root\n", args: []string{"--filter-pattern", `"Accepted publickey for"`, "-"}, code: 1, outHas: "NO MATCH  -"},
		{name: "event file not JSON", args: []string{"--event-pattern", `{"source":["aws.ec2"]}`, paths[0]}, code: 3, errHas: "is not an EventBridge event", noPrint: true},
		{name: "metric value with event pattern", args: []string{"--event-pattern", `{"a":["b"]}`, "--metric-value", "1", paths[0]}, code: 3, errHas: "--metric-value"},
		{name: "bad metric value", args: []string{"--filter-pattern", "a", "--metric-value", "one", paths[0]}, code: 3, errHas: "neither a number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, code, err := run(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d (err %v)\n%s", code, tc.code, err, out)
			}
			if tc.outHas != "" && !strings.Contains(out, tc.outHas) {
				t.Errorf("output lacks %q:\n%s", tc.outHas, out)
			}
			if tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)) {
				t.Errorf("error = %v, want containing %q", err, tc.errHas)
			}
			if tc.noPrint && strings.Contains(out, "MATCH") {
				t.Errorf("printed results before failing:\n%s", out)
			}
		})
	}
}

func TestEventPattern(t *testing.T) {
	d := detection.StopLogging(detection.Trail{Name: "main", Region: "us-east-1", Account: "123456789012"})
	paths := writeEvents(t, d.Positives[0], d.Positives[1], d.Negatives[1])
	rule := `{"source":["aws.cloudtrail"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["cloudtrail.amazonaws.com"],"eventName":["StopLogging"]}}`

	out, code, err := run(t, "", "--event-pattern", rule, paths[0], paths[1])
	if code != 0 || strings.Count(out, "MATCH     ") != 2 {
		t.Fatalf("exit %d (%v)\n%s", code, err, out)
	}

	ruleFile := filepath.Join(t.TempDir(), "rule.json")
	if err := os.WriteFile(ruleFile, []byte(rule), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code, _ = run(t, "", "--event-pattern", "@"+ruleFile, paths[0], paths[2])
	if code != 1 || !strings.Contains(out, "NO MATCH  "+paths[2]) || !strings.Contains(out, "1 of 2 events matched") {
		t.Errorf("custom lookalike: exit %d\n%s", code, out)
	}

	_, code, err = run(t, "", "--event-pattern", "@/nonexistent/rule.json", paths[0])
	if code != 3 || !strings.Contains(err.Error(), "cannot read event pattern file") {
		t.Errorf("missing rule file: exit %d, %v", code, err)
	}
}

func TestMetricValueOutput(t *testing.T) {
	dir := t.TempDir()
	line := filepath.Join(dir, "access.log")
	if err := os.WriteFile(line, []byte(`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code, err := run(t, "", "--filter-pattern", `[ip, user, ..., status = 4*, bytes]`, "--metric-value", "$bytes", line)
	if code != 0 {
		t.Fatalf("exit %d (%v)\n%s", code, err, out)
	}
	for _, want := range []string{`$bytes = "1534"`, `$status = "404"`, "metric value: 1534"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestHelpTeaches(t *testing.T) {
	cmd := NewCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"test", "--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--filter-pattern", "--event-pattern", "@FILE", "Exit status", "NOT EXISTS", "Examples:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

// TestCatalogue: --catalogue lists what else in the AWS API catalogue a pattern fires on,
// exit 1 when it fires on a call no CIS control watches, 0 when it fires on none.
func TestCatalogue(t *testing.T) {
	tests := []struct {
		name string
		o    testOptions
		code int
		want []string
	}{
		{"wildcard catches a read", testOptions{filterPattern: `{ $.eventName = *Trail }`, catalogue: true}, exitcode.Findings, []string{"cloudtrail:GetTrail  (read-only)", "1 unwatched call(s)"}},
		{"exact event pattern is quiet", testOptions{eventPattern: `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"]}}`, catalogue: true}, 0, []string{"0 unwatched call(s)"}},
		{"malformed pattern is usage", testOptions{filterPattern: `{ $.x = `, catalogue: true}, exitcode.Usage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runTest(context.Background(), &out, strings.NewReader(""), tt.o, nil)
			if got := exitcode.Code(err); (err == nil && tt.code != 0) || (err != nil && got != tt.code) {
				t.Fatalf("exit %d (err %v), want %d; output:\n%s", got, err, tt.code, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
