package scancmd_test

// End-to-end tests of what CI depends on: exit codes, SARIF, markdown and waivers, through the
// real command line (root.Main) on snapshot files.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/command/root"
	"github.com/lookout-audit/lookout/internal/snapshot"
	"github.com/lookout-audit/lookout/report"
	"github.com/lookout-audit/lookout/report/sariftest"
)

func lookout(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = root.Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

const acct = "123456789012"

func trailARN(region, name string) string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", region, acct, name)
}

// account builds one account whose regions each have a single-region trail homed there,
// logging or not; a region named in unreadable could not be read at all.
func account(logging map[string]bool, unreadable ...string) *snapshot.Snapshot {
	s := &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion,
		Tool:          snapshot.Tool{Name: "lookout", Version: "test"},
		CollectedAt:   time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
	}
	a := snapshot.Account{ID: acct, Partition: "aws"}
	includeGlobal := true
	for region, on := range logging {
		arn := trailARN(region, "main-"+region)
		a.Trails = append(a.Trails, snapshot.Trail{
			Name: "main-" + region, ARN: arn, HomeRegion: region,
			Status:    &snapshot.TrailStatus{IsLogging: on},
			Selectors: &snapshot.EventSelectors{Default: true},
			// CreateTrail's default: IAM, STS and sign-in events are recorded.
			IncludeGlobalServiceEvents: &includeGlobal,
		})
		a.Regions = append(a.Regions, snapshot.Region{Name: region, CloudTrail: &snapshot.CloudTrailView{TrailARNs: []string{arn}}})
		s.Regions = append(s.Regions, region)
	}
	for _, region := range unreadable {
		a.Regions = append(a.Regions, snapshot.Region{Name: region, CloudTrail: &snapshot.CloudTrailView{
			Error: &snapshot.ReadError{Operation: "cloudtrail:DescribeTrails", Code: "AccessDenied", Message: "not authorized"}}})
		s.Regions = append(s.Regions, region)
	}
	s.Accounts = []snapshot.Account{a}
	s.Sort()
	return s
}

func write(t *testing.T, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func snapshotFile(t *testing.T, s *snapshot.Snapshot) string {
	t.Helper()
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	return write(t, "snapshot.json", buf.Bytes())
}

// only restricts a scan to the check these snapshots hold data for, so that checks added to
// the registry later do not turn these cases into ERROR.
var only = []string{"--checks", "cloudtrail-logging"}

func TestExitCodes(t *testing.T) {
	pass := snapshotFile(t, account(map[string]bool{"us-east-1": true, "us-west-2": true}))
	fail := snapshotFile(t, account(map[string]bool{"us-east-1": true, "us-west-2": false}))
	failAndError := snapshotFile(t, account(map[string]bool{"us-west-2": false}, "eu-west-1"))
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format("2006-01-02") }
	waiveWest := write(t, "w.yml", []byte(fmt.Sprintf("waivers:\n  - check: cloudtrail-logging\n    region: us-west-2\n    reason: r\n    expires: %s\n", day(30))))
	malformed := write(t, "bad.yml", []byte("waivers:\n  - check: cloudtrail-logging\n    region: us-west-2\n    expires: 2027-01-01\n"))
	typo := write(t, "typo.yml", []byte("waivers:\n  - check: cloudtrail-loging\n    reason: r\n    expires: 2027-01-01\n"))

	cases := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"all pass", []string{"--snapshot", pass}, 0, ""},
		{"critical FAIL at default --fail-on high", []string{"--snapshot", fail}, 1, ""},
		{"critical FAIL at --fail-on critical", []string{"--snapshot", fail, "--fail-on", "critical"}, 1, ""},
		{"critical FAIL at --fail-on low", []string{"--snapshot", fail, "--fail-on", "low"}, 1, ""},
		{"critical FAIL at --fail-on none", []string{"--snapshot", fail, "--fail-on", "none"}, 0, ""},
		{"the only FAIL waived", []string{"--snapshot", fail, "--waivers", waiveWest}, 0, ""},
		{"ERROR outranks FAIL", []string{"--snapshot", failAndError}, 2, ""},
		{"ERROR even with --fail-on none", []string{"--snapshot", failAndError, "--fail-on", "none"}, 2, ""},
		{"ERROR with the FAIL waived", []string{"--snapshot", failAndError, "--waivers", waiveWest}, 2, ""},
		{"ERROR with SARIF output", []string{"--snapshot", failAndError, "--format", "sarif"}, 2, ""},
		{"bad --fail-on", []string{"--snapshot", pass, "--fail-on", "severe"}, 3, "--fail-on"},
		{"bad --format", []string{"--snapshot", pass, "--format", "xml"}, 3, "--format"},
		{"missing snapshot", []string{"--snapshot", filepath.Join(t.TempDir(), "nope.json")}, 3, "nope.json"},
		{"missing waivers file", []string{"--snapshot", pass, "--waivers", filepath.Join(t.TempDir(), "nope.yml")}, 3, "nope.yml"},
		{"malformed waivers file", []string{"--snapshot", fail, "--waivers", malformed}, 3, "bad.yml:2: waivers[0].reason: missing"},
		{"waiver for an unknown check", []string{"--snapshot", fail, "--waivers", typo}, 3, `typo.yml:2: waivers[0].check: unknown check id "cloudtrail-loging"`},
		// A file that never ends is read through a limit, not until the runtime dies.
		{"endless waivers file", []string{"--snapshot", pass, "--waivers", "/dev/zero"}, 3, "larger than 4 MiB"},
		// A snapshot of nothing is not "every check passed".
		{"snapshot without accounts", []string{"--snapshot", write(t, "empty.json", []byte(`{"schema_version":1}`))}, 3, "holds no account"},
		{"snapshot with a wrongly typed field", []string{"--snapshot", write(t, "typed.json", []byte(`{"schema_version":1,"accounts":[{"id":"123456789012","regions":"us-east-1"}]}`))},
			3, "accounts.regions: expected a JSON array, found a JSON string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"scan"}, only...), c.args...)
			code, stdout, stderr := lookout(t, args...)
			if code != c.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.want, stdout, stderr)
			}
			if c.wantStderr != "" && !strings.Contains(stderr, c.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr, c.wantStderr)
			}
		})
	}
}

// A scan with ERROR findings still writes a complete, valid SARIF file (exit 2 lets the
// workflow decline to upload it); the unreadable region is a notification, not an alert.
func TestSARIFWrittenWhenIncomplete(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lookout.sarif")
	code, _, stderr := lookout(t, append(append([]string{"scan"}, only...),
		"--snapshot", snapshotFile(t, account(map[string]bool{"us-west-2": false}, "eu-west-1")), "--format", "sarif", "--output", out)...)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr: %s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	log := sariftest.Check(t, data)
	run := log.Runs[0]
	if len(run.Results) != 1 || run.Invocations[0].ExecutionSuccessful || len(run.Invocations[0].Notifications) != 1 {
		t.Errorf("results %d, invocation %+v; want 1 result and an unsuccessful run with 1 notification", len(run.Results), run.Invocations[0])
	}
}

func demoFixture(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "fixtures", "demo-org.json")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("demo fixture: %v", err)
	}
	return p
}

// The acceptance test of issue #6: the demo organisation's SARIF is valid for the schema and
// GitHub, has one alert per failing (check, account, region, resource), and the same
// fingerprints on a second run.
func TestDemoSARIF(t *testing.T) {
	demo := demoFixture(t)
	code, jsonOut, stderr := lookout(t, "scan", "--snapshot", demo, "--format", "json", "--fail-on", "none")
	rep, err := report.ReadJSON(strings.NewReader(jsonOut))
	if err != nil {
		t.Fatalf("JSON report (exit %d, stderr %s): %v", code, stderr, err)
	}
	type key struct{ check, account, region, resource string }
	failing := map[key]bool{}
	for _, f := range rep.Findings {
		if f.Status == checks.Fail {
			failing[key{f.CheckID, f.Account, f.Region, f.Resource}] = true
		}
	}
	if len(failing) == 0 {
		t.Fatal("the demo organisation has no FAIL finding; the SARIF test would be vacuous")
	}

	var runs [2]string
	for i := range runs {
		c, sarifOut, stderr := lookout(t, "scan", "--snapshot", demo, "--format", "sarif", "--fail-on", "none")
		if c != code {
			t.Fatalf("SARIF run exit %d, JSON run exit %d; stderr %s", c, code, stderr)
		}
		runs[i] = sarifOut
	}
	log := sariftest.Check(t, []byte(runs[0]))
	got := map[key]bool{}
	fingerprints := map[string]string{}
	for _, r := range log.Runs[0].Results {
		fqn := r.Locations[0].LogicalLocations[0].FullyQualifiedName
		uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI
		segs := strings.Split(uri, "/")
		k := key{r.RuleID, segs[1], segs[2], fqn}
		if got[k] {
			t.Errorf("two alerts for %+v", k)
		}
		got[k] = true
		fingerprints[r.PartialFingerprints["primaryLocationLineHash"]] = uri
	}
	for k := range failing {
		if !got[k] {
			t.Errorf("no alert for failing %+v", k)
		}
	}
	for k := range got {
		if !failing[k] {
			t.Errorf("alert %+v is not a FAIL finding", k)
		}
	}
	second := sariftest.Check(t, []byte(runs[1]))
	for _, r := range second.Runs[0].Results {
		if _, ok := fingerprints[r.PartialFingerprints["primaryLocationLineHash"]]; !ok {
			t.Errorf("fingerprint of %s changed on the second run", r.Locations[0].PhysicalLocation.ArtifactLocation.URI)
		}
	}
	if runs[0] != runs[1] {
		t.Error("two SARIF runs over the same snapshot differ")
	}
}

// Waivers end to end: a valid, an expired and an unmatched entry.
func TestWaiversEndToEnd(t *testing.T) {
	snap := snapshotFile(t, account(map[string]bool{"us-east-1": false, "us-west-2": false, "ap-northeast-2": true}))
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format("2006-01-02") }
	waivers := write(t, "waivers.yml", []byte(fmt.Sprintf(`waivers:
  - check: cloudtrail-logging
    account: "%[1]s"
    region: us-east-1
    reason: trail moves to the org trail in Q1
    expires: %[2]s
  - check: cloudtrail-logging
    region: us-west-2
    reason: was being migrated
    expires: %[3]s
  - check: cloudtrail-logging
    region: ap-northeast-2
    reason: fixed long ago
    expires: %[2]s
`, acct, day(90), day(-1))))

	code, stdout, stderr := lookout(t, append(append([]string{"scan"}, only...), "--snapshot", snap, "--waivers", waivers, "--format", "json")...)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the expired waiver's FAIL counts again); stderr: %s", code, stderr)
	}
	rep, err := report.ReadJSON(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]checks.Finding{}
	for _, f := range rep.Findings {
		status[f.Region] = f
	}
	if f := status["us-east-1"]; f.Status != checks.Waived || f.Waiver == nil || f.Waiver.Reason != "trail moves to the org trail in Q1" {
		t.Errorf("us-east-1 = %s %+v, want WAIVED with the reason", f.Status, f.Waiver)
	}
	if f := status["us-west-2"]; f.Status != checks.Fail {
		t.Errorf("us-west-2 = %s, want FAIL (its waiver expired)", f.Status)
	}
	if rep.Summary.Waived != 1 || rep.Summary.Fail != 1 {
		t.Errorf("summary = %+v", rep.Summary)
	}
	for _, want := range []string{
		"lookout: warning: waiver " + waivers + ":7 (cloudtrail-logging, region us-west-2) expired on " + day(-1),
		"lookout: warning: waiver " + waivers + ":11 (cloudtrail-logging, region ap-northeast-2) matches no FAIL finding",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	// SARIF has only the unwaived FAIL; markdown lists the waived one and the waivers to review.
	_, sarifOut, _ := lookout(t, append(append([]string{"scan"}, only...), "--snapshot", snap, "--waivers", waivers, "--format", "sarif")...)
	log := sariftest.Check(t, []byte(sarifOut))
	if n := len(log.Runs[0].Results); n != 1 || !strings.Contains(log.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI, "/us-west-2/") {
		t.Errorf("SARIF results = %+v, want only us-west-2", log.Runs[0].Results)
	}
	_, md, _ := lookout(t, append(append([]string{"scan"}, only...), "--snapshot", snap, "--waivers", waivers, "--format", "markdown")...)
	for _, want := range []string{"### Waived", "trail moves to the org trail in Q1", "### Waivers to review", "expired on " + day(-1), "matches no FAIL finding"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// Machine formats on stdout are only the document: warnings go to stderr.
func TestMachineFormatsStayClean(t *testing.T) {
	snap := snapshotFile(t, account(map[string]bool{"us-east-1": false}))
	waivers := write(t, "w.yml", []byte("waivers:\n  - check: cloudtrail-logging\n    region: eu-west-1\n    reason: r\n    expires: 2020-01-01\n"))
	for _, format := range []string{"json", "sarif"} {
		_, stdout, stderr := lookout(t, append(append([]string{"scan"}, only...), "--snapshot", snap, "--waivers", waivers, "--format", format)...)
		if !json.Valid([]byte(stdout)) {
			t.Errorf("%s on stdout is not one JSON document:\n%s", format, stdout)
		}
		if !strings.Contains(stderr, "expired on 2020-01-01") {
			t.Errorf("%s: the warning is not on stderr: %q", format, stderr)
		}
	}
}

// TestFramework: --framework runs exactly that framework's checks, and every finding carries
// the framework's control id.
func TestFramework(t *testing.T) {
	snap := "../../../fixtures/demo-org.json"
	for _, fw := range checks.FrameworkIDs() {
		t.Run(fw, func(t *testing.T) {
			code, stdout, stderr := lookout(t, "scan", "--snapshot", snap, "--framework", fw, "--format", "json")
			if code == 3 {
				t.Fatalf("exit 3: %s", stderr)
			}
			var rep struct {
				Findings []checks.Finding `json:"findings"`
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatal(err)
			}
			want, _ := checks.ForFramework(fw)
			ids := map[string]bool{}
			for _, c := range want {
				ids[c.ID] = true
			}
			seen := map[string]bool{}
			for _, f := range rep.Findings {
				if !ids[f.CheckID] {
					t.Errorf("%s: finding of %s, which is not in the framework", fw, f.CheckID)
				}
				if f.Frameworks[fw] == "" {
					t.Errorf("%s: finding of %s has no control id", fw, f.CheckID)
				}
				seen[f.CheckID] = true
			}
			if len(seen) == 0 {
				t.Errorf("%s: no findings", fw)
			}
		})
	}
	if code, _, stderr := lookout(t, "scan", "--snapshot", snap, "--framework", "cis-aws-9.9"); code != 3 || !strings.Contains(stderr, "known: cis-aws-1.4") {
		t.Errorf("unknown framework: exit %d, stderr %q", code, stderr)
	}
}
