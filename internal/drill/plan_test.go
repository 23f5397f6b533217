package drill

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

func demoPlan(t *testing.T) []Result {
	t.Helper()
	s, err := snapshot.Load("../../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	return Plan(checks.Run(s, checks.All(), checks.Options{}), PlanOptions{ID: "d-20261207-0412-5f3a"})
}

// The plan of the demo organisation: every chain the scan judged, none exercised; each alarm
// once, with what it would do, who receives what and the permissions; the chains it cannot
// drill with the reason; checks that judge no chain absent.
func TestPlanOfTheDemo(t *testing.T) {
	results := demoPlan(t)
	if len(results) == 0 {
		t.Fatal("no drill planned for the demo organisation")
	}
	alarms := map[string]bool{}
	kinds := map[string]int{}
	for _, r := range results {
		if r.Status != Skipped || r.Exercised || len(r.Steps) != 0 {
			t.Errorf("%s %s: a plan result %s exercised=%t with %d steps", r.CheckID, r.Resource, r.Status, r.Exercised, len(r.Steps))
		}
		if r.Message == "" {
			t.Errorf("%s %s: no message", r.CheckID, r.Resource)
		}
		switch r.CheckID {
		case "cloudtrail-logging", "ec2-instance-ssm-managed", "ec2-ssh-open-to-internet":
			t.Errorf("%s judges no chain, yet has a drill", r.CheckID)
		}
		if r.ssh != nil {
			kinds["ssh log"]++
			if !strings.Contains(r.Plan[0], "ssm:SendCommand AWS-RunShellScript on instance "+r.ssh.Instance+": logger -i -p authpriv.info -t sshd 'Accepted publickey for lookout-drill from 192.0.2.1") ||
				!strings.Contains(r.Plan[1], `"SHA256:lookout-drill-d-20261207-0412-5f3a"`) || !strings.Contains(strings.Join(r.Permissions, ","), "ssm:SendCommand") {
				t.Errorf("SSH log drill %+v", r)
			}
			continue
		}
		if r.alarm == nil {
			kinds[strings.SplitN(r.Message, ":", 2)[0]]++
			continue
		}
		kinds["alarm"]++
		if alarms[r.Resource] {
			t.Errorf("alarm %s drilled twice", r.Resource)
		}
		alarms[r.Resource] = true
		if !strings.HasPrefix(r.Resource, "arn:aws:cloudwatch:") || r.Region == "global" || len(r.Plan) != 3 || r.Receives == "" ||
			strings.Join(r.Permissions, ",") != "cloudwatch:DescribeAlarms,cloudwatch:SetAlarmState,cloudwatch:DescribeAlarmHistory" {
			t.Errorf("alarm drill %+v", r)
		}
		if !strings.Contains(r.Plan[0], `reason "lookout drill d-20261207-0412-5f3a: this is a test"`) {
			t.Errorf("plan %q does not give the reason", r.Plan[0])
		}
	}
	for _, k := range []string{"alarm", "ssh log", "not drillable", "no alarm to exercise", "no log shipping to exercise"} {
		if kinds[k] == 0 {
			t.Errorf("the demo's plan has no %q result (%v)", k, kinds)
		}
	}
}

// An alarm is drilled only for a chain whose events reach it.
func TestReachesAlarm(t *testing.T) {
	for _, tc := range []struct {
		broken *route.BrokenLink
		want   bool
	}{
		{nil, true},
		{&route.BrokenLink{Link: route.LinkTrail}, false},
		{&route.BrokenLink{Link: route.LinkLogGroup}, false},
		{&route.BrokenLink{Link: route.LinkMetricFilter}, false},
		{&route.BrokenLink{Link: route.LinkAlarm}, true},
		{&route.BrokenLink{Link: route.LinkTopic, Hop: route.HopKMSKey}, true},
		{&route.BrokenLink{Link: route.LinkSubscriber}, true},
		{&route.BrokenLink{Link: route.LinkRule}, false},
	} {
		if got := reachesAlarm(tc.broken); got != tc.want {
			t.Errorf("reachesAlarm(%v) = %t", tc.broken, got)
		}
	}
}

// Every format parses: JSON as the contract's shape, JUnit as XML counting the results, the
// table and markdown naming every result.
func TestWriteFormats(t *testing.T) {
	rep := NewReport("d-20261207-0412-5f3a", false, demoPlan(t), nil)
	for _, format := range Formats {
		var buf bytes.Buffer
		if err := Write(&buf, rep, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		switch format {
		case "json":
			var doc struct {
				SchemaVersion int    `json:"schema_version"`
				DrillID       string `json:"drill_id"`
				Applied       *bool  `json:"applied"`
				Results       []struct {
					CheckID   string     `json:"check_id"`
					Exercised *bool      `json:"exercised"`
					Status    string     `json:"status"`
					Steps     []struct{} `json:"steps"`
				} `json:"results"`
				Created []struct{}     `json:"created"`
				Summary map[string]int `json:"summary"`
			}
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.SchemaVersion != 1 || doc.Applied == nil || *doc.Applied || doc.Created == nil || len(doc.Results) != len(rep.Results) ||
				doc.Summary["SKIPPED"] != len(rep.Results) || doc.Summary["PASS"] != 0 || doc.Results[0].Steps == nil || doc.Results[0].Exercised == nil {
				t.Errorf("json %s", buf.String()[:min(400, buf.Len())])
			}
		case "junit":
			var doc struct {
				Tests   int `xml:"tests,attr"`
				Skipped int `xml:"skipped,attr"`
				Suites  []struct {
					Cases []struct {
						Skipped *struct{} `xml:"skipped"`
					} `xml:"testcase"`
				} `xml:"testsuite"`
			}
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Tests != len(rep.Results) || doc.Skipped != len(rep.Results) || len(doc.Suites) != 1 || doc.Suites[0].Cases[0].Skipped == nil {
				t.Errorf("junit: %d tests, %d skipped", doc.Tests, doc.Skipped)
			}
		default:
			for _, r := range rep.Results {
				if !strings.Contains(buf.String(), r.CheckID) {
					t.Errorf("%s lacks %s", format, r.CheckID)
				}
			}
		}
	}
	if err := Write(&bytes.Buffer{}, rep, "sarif"); err == nil {
		t.Error("an unknown format was accepted")
	}
}

func TestNewID(t *testing.T) {
	id := NewID(time.Date(2026, 12, 7, 4, 12, 0, 0, time.UTC))
	if !strings.HasPrefix(id, "d-20261207-0412-") || len(id) != len("d-20261207-0412-5f3a") {
		t.Errorf("id %q", id)
	}
}

// Which SSH-log findings are drilled, and why the others are not: one Online instance per
// log group, through a stream the scan passed that the drill's line can reach.
func TestSSHPlans(t *testing.T) {
	online := checks.ManagedInstanceSummary{ID: "i-1", PingStatus: "Online"}
	file := checks.StreamEvidence{LogGroup: "ssh", LogStream: "i-1", FilePath: "/var/log/secure", Verdict: checks.Pass}
	finding := func(st checks.Status, e checks.SSHLogsEvidence) checks.Finding {
		return checks.Finding{CheckID: sshLogsCheck, Status: st, Account: "123456789012", Region: "us-east-1", Resource: e.Instance.ID, Evidence: e}
	}
	with := func(id string, streams ...checks.StreamEvidence) checks.SSHLogsEvidence {
		mi := online
		mi.ID = id
		return checks.SSHLogsEvidence{Instance: mi, Streams: streams}
	}
	journal := func(units ...string) checks.StreamEvidence {
		return checks.StreamEvidence{LogGroup: "ssh", LogStream: "i-1", Journal: &checks.JournalEntryEvidence{Units: units}, Verdict: checks.Pass}
	}
	stale := file
	stale.Verdict = checks.Fail
	offline := with("i-9", file)
	offline.Instance.PingStatus = "ConnectionLost"
	alarm := checks.Finding{CheckID: sshAlarmCheck, Account: "123456789012", Region: "us-east-1", Evidence: checks.LogGroupChainsEvidence{
		LogGroups: []checks.LogGroupChainEvidence{{AlarmChainEvidence: &route.AlarmChainEvidence{LogGroup: "arn:aws:logs:us-east-1:123456789012:log-group:ssh:*",
			Alarms: []route.AlarmEvidence{{Name: "SSHLogins", ARN: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:SSHLogins", ActionsEnabled: true}}}}}}}
	for _, tc := range []struct {
		name    string
		finding checks.Finding
		drilled bool
		says    string
	}{
		{"a file entry the scan passed", finding(checks.Pass, with("i-1", file)), true, "plan: log a marked SSH login line on i-1"},
		{"a journald entry for every unit", finding(checks.Pass, with("i-1", journal())), true, "(fed from the journal)"},
		{"a journald entry for sshd's unit only", finding(checks.Pass, with("i-1", journal("sshd.service"))), false,
			"not drillable: the agent ships the journal of sshd.service only"},
		{"a stale stream only", finding(checks.Pass, with("i-1", stale)), false, "names no stream that holds"},
		{"an instance whose agent is offline", finding(checks.Pass, offline), false, "SSM agent is ConnectionLost"},
		{"a chain the scan failed", finding(checks.Fail, with("i-1", file)), false, "no log shipping to exercise"},
		{"a chain the scan could not judge", finding(checks.Error, with("i-1", file)), false, "could not judge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plans, covered := sshPlans([]checks.Finding{alarm, tc.finding}, "d-1")
			r := plans[1]
			if (r.ssh != nil) != tc.drilled || !strings.Contains(r.Message+strings.Join(r.Plan, " "), tc.says) {
				t.Errorf("drilled %t: %q %q", r.ssh != nil, r.Message, r.Plan)
			}
			if tc.drilled && (!covered["arn:aws:cloudwatch:us-east-1:123456789012:alarm:SSHLogins"] || len(r.ssh.Alarms) != 1 ||
				strings.Join(r.AlsoChecks, ",") != sshAlarmCheck) {
				t.Errorf("the group's alarm is not drilled by the line: %v %+v", covered, r)
			}
			if !tc.drilled && len(covered) != 0 {
				t.Errorf("an undrilled group's alarm is taken from SetAlarmState: %v", covered)
			}
		})
	}
	// Two instances of one group: the first drills it.
	plans, _ := sshPlans([]checks.Finding{finding(checks.Pass, with("i-1", file)), finding(checks.Pass, with("i-2", file))}, "d-1")
	if plans[0].ssh == nil || plans[1].ssh != nil || !strings.Contains(plans[1].Message, "instance i-1 drills log group ssh (one instance per group)") {
		t.Errorf("two instances of one group: %q / %q", plans[0].Message, plans[1].Message)
	}
	// The alarm's own plan leaves out an alarm the line drills.
	all := Plan([]checks.Finding{alarm, finding(checks.Pass, with("i-1", file))}, PlanOptions{ID: "d-1"})
	if len(all) != 1 || all[0].ssh == nil {
		t.Errorf("plan with the line drilling the alarm: %+v", all)
	}
}
