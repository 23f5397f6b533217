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
	return Plan(checks.Run(s, checks.All(), checks.Options{}), "d-20261207-0412-5f3a")
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
	for _, k := range []string{"alarm", "not drillable", "not exercised", "no alarm to exercise"} {
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
