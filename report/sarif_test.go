package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/report"
	"github.com/lookout-audit/lookout/report/sariftest"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func finding(check string, sev checks.Severity, status checks.Status, account, region, resource, msg string) checks.Finding {
	return checks.Finding{CheckID: check, Title: "Title of " + check, Severity: sev, Status: status,
		Account: account, Region: region, Resource: resource, Message: msg}
}

func writeSARIF(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteSARIF(&buf, r, report.SARIFOptions{}); err != nil {
		t.Fatalf("WriteSARIF: %v", err)
	}
	return buf.Bytes()
}

// A mixed report: only FAIL findings become results, each valid for GitHub.
func TestSARIFOnlyFailResults(t *testing.T) {
	const acct = "123456789012"
	trail := "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/main"
	fs := []checks.Finding{
		finding("cloudtrail-logging", checks.Critical, checks.Fail, acct, "us-east-1", trail, "trail main covers us-east-1 but is not logging"),
		finding("cloudtrail-logging", checks.Critical, checks.Pass, acct, "us-west-2", trail, "trail main is logging"),
		finding("cloudtrail-logging", checks.Critical, checks.Error, acct, "eu-west-1", "arn:aws:cloudtrail:eu-west-1:"+acct+":trail/*", "could not read the trails: AccessDenied"),
		func() checks.Finding {
			f := finding("cloudtrail-logging", checks.Critical, checks.Waived, acct, "ap-northeast-2", trail, "not logging")
			f.Waiver = &checks.WaiverNote{Reason: "migration", Expires: "2027-01-01"}
			return f
		}(),
		// A check this build does not know (a report merged from another version) still gets a rule.
		finding("future-check", checks.Low, checks.Fail, acct, "global", "i-0abc", "something is off"),
	}
	log := sariftest.Check(t, writeSARIF(t, report.New(fs, report.Scope{Accounts: []string{acct}}, t0)))
	run := log.Runs[0]
	if len(run.Results) != 2 {
		t.Fatalf("got %d results, want 2 (the FAIL findings only)", len(run.Results))
	}
	got := map[string]string{}
	logical := map[string]string{}
	for _, r := range run.Results {
		got[r.RuleID] = r.Locations[0].PhysicalLocation.ArtifactLocation.URI
		for _, ll := range r.Locations[0].LogicalLocations {
			logical[r.RuleID] = ll.FullyQualifiedName
		}
	}
	if got["cloudtrail-logging"] != "aws/123456789012/us-east-1/cloudtrail/trail/main" {
		t.Errorf("cloudtrail-logging uri = %q", got["cloudtrail-logging"])
	}
	if got["future-check"] != "aws/123456789012/global/unknown/i-0abc" {
		t.Errorf("future-check uri = %q", got["future-check"])
	}
	if logical["cloudtrail-logging"] != trail {
		t.Errorf("logical location = %q, want the ARN %s", logical["cloudtrail-logging"], trail)
	}
	// The ERROR makes the run unsuccessful and is told as a notification, not a result.
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || len(inv.Notifications) != 1 || !strings.Contains(inv.Notifications[0].Message.Text, "AccessDenied") {
		t.Errorf("invocation = %+v, want executionSuccessful false and one notification naming AccessDenied", inv)
	}
	if run.AutomationDetails.ID != "lookout/123456789012/" {
		t.Errorf("automationDetails.id = %q", run.AutomationDetails.ID)
	}
}

// Every registered check has a complete rule: help with the remediation and the fix command,
// a helpUri anchored at the check id, a string security-severity in the right GitHub band.
func TestSARIFRules(t *testing.T) {
	log := sariftest.Check(t, writeSARIF(t, report.New(nil, report.Scope{Accounts: []string{"123456789012"}}, t0)))
	rules := log.Runs[0].Tool.Driver.Rules
	all := checks.All()
	if len(rules) != len(all) {
		t.Fatalf("%d rules for %d checks", len(rules), len(all))
	}
	band := map[checks.Severity][2]float64{checks.Critical: {9, 10}, checks.High: {7, 8.9}, checks.Medium: {4, 6.9}, checks.Low: {0.1, 3.9}}
	for i, c := range all {
		r := rules[i]
		if r.ID != c.ID || r.ShortDescription.Text != c.Title {
			t.Errorf("rule %d = %s %q, want %s %q", i, r.ID, r.ShortDescription.Text, c.ID, c.Title)
		}
		if r.HelpURI != "https://github.com/lookout-audit/lookout#"+c.ID {
			t.Errorf("%s: helpUri %q", c.ID, r.HelpURI)
		}
		if c.Remediation != "" && (!strings.Contains(r.Help.Text, c.Remediation) || !strings.Contains(r.Help.Markdown, c.Remediation)) {
			t.Errorf("%s: help lacks the remediation", c.ID)
		}
		if c.FixSummary != "" && !strings.Contains(r.Help.Markdown, "lookout fix --checks "+c.ID) {
			t.Errorf("%s: help.markdown lacks the fix command:\n%s", c.ID, r.Help.Markdown)
		}
		var sev float64
		fmt.Sscan(r.Properties.SecuritySeverity.(string), &sev)
		if b := band[c.Severity]; sev < b[0] || sev > b[1] {
			t.Errorf("%s (%s): security-severity %v outside GitHub's band %v", c.ID, c.Severity, sev, b)
		}
	}
}

// Resource ids that would break a URI are escaped; "."/".." and empty segments never appear.
func TestLocationURI(t *testing.T) {
	cases := []struct {
		name, region, service, resource, want string
	}{
		{"trail ARN keeps its path", "us-east-1", "cloudtrail", "arn:aws:cloudtrail:us-east-1:123456789012:trail/main", "aws/123456789012/us-east-1/cloudtrail/trail/main"},
		{"wildcard resource", "us-east-1", "cloudtrail", "arn:aws:cloudtrail:us-east-1:123456789012:trail/*", "aws/123456789012/us-east-1/cloudtrail/trail/%2A"},
		{"instance id", "ap-northeast-2", "ssm", "i-0123456789abcdef0", "aws/123456789012/ap-northeast-2/ssm/i-0123456789abcdef0"},
		{"space, colon and unicode", "us-east-1", "logs", "arn:aws:logs:us-east-1:123456789012:log-group:/var/log/secure logs:한글", "aws/123456789012/us-east-1/logs/log-group%3A/var/log/secure%20logs%3A%ED%95%9C%EA%B8%80"},
		{"dot segments and empty segments", "global", "s3", "a/../b//.", "aws/123456789012/global/s3/a/%2E%2E/b/-/%2E"},
		{"empty resource", "global", "iam", "", "aws/123456789012/global/iam/-"},
		{"service from the ARN when the check has none", "us-east-1", "", "arn:aws-cn:sns:cn-north-1:123456789012:alerts", "aws/123456789012/us-east-1/sns/alerts"},
		{"a trail found by a cloudwatch check is filed under cloudtrail", "us-east-1", "cloudwatch", "arn:aws:cloudtrail:us-east-1:123456789012:trail/main", "aws/123456789012/us-east-1/cloudtrail/trail/main"},
		{"GovCloud ARN, service from the ARN", "us-gov-west-1", "", "arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/aws/cloudtrail", "aws/123456789012/us-gov-west-1/logs/log-group%3A/aws/cloudtrail"},
		{"non-ARN with a colon", "global", "iam", "root:account", "aws/123456789012/global/iam/root%3Aaccount"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := finding("x", checks.High, checks.Fail, "123456789012", c.region, c.resource, "m")
			got := report.LocationURI(f, c.service)
			if got != c.want {
				t.Errorf("LocationURI = %q, want %q", got, c.want)
			}
			if p := sariftest.URIProblem(got); p != "" {
				t.Errorf("GitHub would reject %q: %s", got, p)
			}
		})
	}
}

// The fingerprint depends on (check, account, region, resource) only.
func TestFingerprintStable(t *testing.T) {
	base := finding("cloudtrail-logging", checks.Critical, checks.Fail, "123456789012", "us-east-1", "arn:aws:cloudtrail:us-east-1:123456789012:trail/main", "not logging")
	fp := report.Fingerprint(base)
	same := base
	same.Message, same.Severity, same.Title = "not logging (StopLogging at 2026-11-21T00:00:00Z)", checks.Low, "renamed"
	same.Evidence = checks.TrailsEvidence{TrailsSeen: []string{"x"}}
	same.Fix = &checks.FixHint{Available: true, Summary: "start it"}
	if got := report.Fingerprint(same); got != fp {
		t.Errorf("fingerprint changed with message/severity/title/evidence: %s vs %s", got, fp)
	}
	for name, mutate := range map[string]func(*checks.Finding){
		"check":     func(f *checks.Finding) { f.CheckID = "other" },
		"account":   func(f *checks.Finding) { f.Account = "210987654321" },
		"region":    func(f *checks.Finding) { f.Region = "us-west-2" },
		"resource":  func(f *checks.Finding) { f.Resource = "arn:aws:cloudtrail:us-east-1:123456789012:trail/other" },
		"partition": func(f *checks.Finding) { f.Resource = "arn:aws-cn:cloudtrail:us-east-1:123456789012:trail/main" },
	} {
		f := base
		mutate(&f)
		if report.Fingerprint(f) == fp {
			t.Errorf("changing the %s kept the fingerprint", name)
		}
	}
	// Field boundaries are unambiguous: shifting text between fields changes the hash.
	a := finding("a", checks.High, checks.Fail, "1", "2|3", "4", "")
	b := finding("a", checks.High, checks.Fail, "1|2", "3", "4", "")
	if report.Fingerprint(a) == report.Fingerprint(b) {
		t.Errorf("fields %q and %q collide", "1,2|3", "1|2,3")
	}
}

// Same state, different time and message: byte-identical SARIF (it carries no timestamp).
func TestSARIFDeterministic(t *testing.T) {
	fs := []checks.Finding{
		finding("cloudtrail-logging", checks.Critical, checks.Fail, "222222222222", "us-east-1", "arn:aws:cloudtrail:us-east-1:222222222222:trail/b", "b"),
		finding("cloudtrail-logging", checks.Critical, checks.Fail, "111111111111", "us-east-1", "arn:aws:cloudtrail:us-east-1:111111111111:trail/a", "a"),
	}
	sc := report.Scope{Accounts: []string{"222222222222", "111111111111"}, Regions: []string{"us-east-1"}}
	one := writeSARIF(t, report.New(fs, sc, t0))
	reversed := []checks.Finding{fs[1], fs[0]}
	two := writeSARIF(t, report.New(reversed, sc, t0.Add(24*time.Hour)))
	if !bytes.Equal(one, two) {
		t.Errorf("two runs over the same state differ:\n%s\n---\n%s", one, two)
	}
}

func TestSARIFCategory(t *testing.T) {
	cases := []struct {
		name string
		sc   report.Scope
		want string
	}{
		{"one account", report.Scope{Accounts: []string{"123456789012"}}, "lookout/123456789012/"},
		{"one account, sharded", report.Scope{Accounts: []string{"123456789012"}, Shard: "2/4"}, "lookout/123456789012-shard-2-of-4/"},
		{"no account", report.Scope{}, "lookout/no-accounts/"},
	}
	for _, c := range cases {
		if got := report.SARIFCategory(c.sc); got != c.want {
			t.Errorf("%s: SARIFCategory = %q, want %q", c.name, got, c.want)
		}
	}
	ab := report.SARIFCategory(report.Scope{Accounts: []string{"111111111111", "222222222222"}})
	ba := report.SARIFCategory(report.Scope{Accounts: []string{"222222222222", "111111111111"}})
	abc := report.SARIFCategory(report.Scope{Accounts: []string{"111111111111", "222222222222", "333333333333"}})
	shard := report.SARIFCategory(report.Scope{Accounts: []string{"111111111111", "222222222222"}, Shard: "1/2"})
	if ab != ba {
		t.Errorf("account order changed the category: %s vs %s", ab, ba)
	}
	if !strings.HasPrefix(ab, "lookout/accounts-") || !strings.HasSuffix(ab, "/") {
		t.Errorf("multi-account category %q", ab)
	}
	if ab == abc || ab == shard {
		t.Errorf("different scopes share a category: %s %s %s", ab, abc, shard)
	}
	// Regions do not change the category: narrowing regions replaces the job's own picture.
	if r := report.SARIFCategory(report.Scope{Accounts: []string{"111111111111", "222222222222"}, Regions: []string{"us-east-1"}}); r != ab {
		t.Errorf("regions changed the category: %s vs %s", r, ab)
	}
}

// Over GitHub's hard limit nothing is written and the error says what to do; between the
// shown and hard limits the SARIF is written with a warning.
func TestSARIFLimits(t *testing.T) {
	many := func(n int) *report.Report {
		fs := make([]checks.Finding, n)
		for i := range fs {
			fs[i] = finding("cloudtrail-logging", checks.High, checks.Fail, "123456789012", "us-east-1", fmt.Sprintf("i-%08d", i), "m")
		}
		return report.New(fs, report.Scope{Accounts: []string{"123456789012"}}, t0)
	}
	var out, warn bytes.Buffer
	err := report.WriteSARIF(&out, many(report.SARIFMaxResults+1), report.SARIFOptions{Warnings: &warn})
	var lim *report.SARIFLimitError
	if !errors.As(err, &lim) || lim.Actual != report.SARIFMaxResults+1 {
		t.Fatalf("err = %v, want a SARIFLimitError for %d results", err, report.SARIFMaxResults+1)
	}
	if out.Len() != 0 {
		t.Errorf("%d bytes written despite the limit", out.Len())
	}
	if !strings.Contains(err.Error(), "--shard") {
		t.Errorf("error does not say how to split the scan: %v", err)
	}
	out.Reset()
	if err := report.WriteSARIF(&out, many(report.SARIFShownResults+1), report.SARIFOptions{Warnings: &warn}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warn.String(), "shows only the 5000") {
		t.Errorf("no warning past the shown limit; stderr: %q", warn.String())
	}
	log := sariftest.Check(t, out.Bytes())
	if len(log.Runs[0].Results) != report.SARIFShownResults+1 {
		t.Errorf("%d results written", len(log.Runs[0].Results))
	}
}

// The first sentence of a result message stands alone and names check, account and region.
func TestSARIFMessage(t *testing.T) {
	f := finding("cloudtrail-logging", checks.Critical, checks.Fail, "123456789012", "us-east-1",
		"arn:aws:cloudtrail:us-east-1:123456789012:trail/my.trail", "trail my.trail. covers us-east-1 but is not logging")
	f.Fix = &checks.FixHint{Available: true, Summary: "cloudtrail:StartLogging on trail my.trail in us-east-1"}
	log := sariftest.Check(t, writeSARIF(t, report.New([]checks.Finding{f}, report.Scope{Accounts: []string{"123456789012"}}, t0)))
	msg := log.Runs[0].Results[0].Message.Text
	first := sariftest.FirstSentence(msg)
	for _, want := range []string{"cloudtrail-logging", "123456789012", "us-east-1"} {
		if !strings.Contains(first, want) {
			t.Errorf("first sentence %q lacks %s", first, want)
		}
	}
	if !strings.Contains(msg, "StartLogging") || !strings.Contains(msg, "lookout fix --checks cloudtrail-logging") {
		t.Errorf("message lacks the fix: %q", msg)
	}
}

// The encoded document has no go-sarif "absent" placeholders but keeps an empty results
// array (which is what tells GitHub that everything was fixed).
func TestSARIFEmptyRunKeepsResults(t *testing.T) {
	data := writeSARIF(t, report.New(nil, report.Scope{Accounts: []string{"123456789012"}}, t0))
	sariftest.Check(t, data)
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	run := raw["runs"].([]any)[0].(map[string]any)
	if res, ok := run["results"].([]any); !ok || len(res) != 0 {
		t.Errorf("results = %#v, want an empty array", run["results"])
	}
	if bytes.Contains(data, []byte(": -1")) {
		t.Errorf("document still holds -1 placeholders")
	}
}

// Resources of the China and GovCloud partitions: the location, the logical location and the
// fingerprint are taken from the ARN itself, and the fingerprints are pinned (a changed one
// would close every alert of the partition and open it again).
func TestSARIFOtherPartitions(t *testing.T) {
	const acct = "123456789012"
	cases := []struct {
		region, resource, uri, name, fingerprint string
	}{
		{"cn-north-1", "arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/main",
			"aws/123456789012/cn-north-1/cloudtrail/trail/main", "trail/main", "85a36f55aa5f3cd51d934cf4dfbaaf36:1"},
		{"us-gov-west-1", "arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/aws/cloudtrail",
			"aws/123456789012/us-gov-west-1/logs/log-group%3A/aws/cloudtrail", "log-group:/aws/cloudtrail", "586f26cac67957d72250580594f2b487:1"},
		{"us-east-1", "arn:aws:cloudtrail:us-east-1:123456789012:trail/main",
			"aws/123456789012/us-east-1/cloudtrail/trail/main", "trail/main", "37d1968653e702f799a248b31d63dff5:1"},
		{"cn-north-1", "i-0123456789abcdef0",
			"aws/123456789012/cn-north-1/cloudtrail/i-0123456789abcdef0", "i-0123456789abcdef0", "4807980e3326d93f76e9636b06e97878:1"},
	}
	var fs []checks.Finding
	for _, c := range cases {
		fs = append(fs, finding("cloudtrail-logging", checks.Critical, checks.Fail, acct, c.region, c.resource, "not logging"))
	}
	results := sariftest.Check(t, writeSARIF(t, report.New(fs, report.Scope{Accounts: []string{acct}}, t0))).Runs[0].Results
	byResource := map[string]sariftest.Result{}
	for _, r := range results {
		byResource[r.Locations[0].LogicalLocations[0].FullyQualifiedName] = r
	}
	for i, c := range cases {
		if got := report.Fingerprint(fs[i]); got != c.fingerprint {
			t.Errorf("%s: fingerprint %s, want %s", c.resource, got, c.fingerprint)
		}
		r, ok := byResource[c.resource]
		if !ok {
			t.Errorf("%s: no result has it as its logical location", c.resource)
			continue
		}
		loc := r.Locations[0]
		if loc.PhysicalLocation.ArtifactLocation.URI != c.uri || loc.LogicalLocations[0].Name != c.name {
			t.Errorf("%s: uri %q name %q, want %q %q", c.resource, loc.PhysicalLocation.ArtifactLocation.URI, loc.LogicalLocations[0].Name, c.uri, c.name)
		}
		if r.PartialFingerprints["primaryLocationLineHash"] != c.fingerprint {
			t.Errorf("%s: primaryLocationLineHash %q, want %s", c.resource, r.PartialFingerprints["primaryLocationLineHash"], c.fingerprint)
		}
	}
	// The partition is part of the fingerprint: the same trail text in another partition is
	// another alert.
	other := fs[0]
	other.Resource = strings.Replace(other.Resource, "arn:aws-cn:", "arn:aws-us-gov:", 1)
	if report.Fingerprint(other) == report.Fingerprint(fs[0]) {
		t.Error("aws-cn and aws-us-gov trails share a fingerprint")
	}
}

// A result whose evidence names a broken link carries its path as a code flow (GitHub code
// scanning shows it as the alert's path): one location per hop in order, the broken hop
// essential with the delivery hop that stops it, the hops after it unimportant; the document
// stays valid for GitHub. A finding without a broken link has no code flow.
func TestSARIFPathAsCodeFlow(t *testing.T) {
	broken := finding("cloudwatch-root-usage-alarm", checks.High, checks.Fail, "123456789012", "us-east-1",
		"arn:aws:logs:us-east-1:123456789012:log-group:trail", "root account usage: not monitored")
	broken.Evidence = &route.RuleEvidence{ChainBreak: route.ChainBreak{Broken: &route.BrokenLink{Link: route.LinkTopic, Hop: route.HopKMSKey}}}
	plain := finding("cloudtrail-logging", checks.Critical, checks.Fail, "123456789012", "us-east-1",
		"arn:aws:cloudtrail:us-east-1:123456789012:trail/main", "trail main is not logging")
	data := writeSARIF(t, report.New([]checks.Finding{broken, plain}, report.Scope{Accounts: []string{"123456789012"}}, t0))
	sariftest.Check(t, data)
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				CodeFlows []struct {
					Message     struct{ Text string }
					ThreadFlows []struct {
						Locations []struct {
							Importance string
							Location   struct{ Message struct{ Text string } }
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, res := range doc.Runs[0].Results {
		if res.RuleID == "cloudtrail-logging" {
			if len(res.CodeFlows) != 0 {
				t.Errorf("a finding without a broken link has %d code flows", len(res.CodeFlows))
			}
			continue
		}
		if len(res.CodeFlows) != 1 || len(res.CodeFlows[0].ThreadFlows) != 1 {
			t.Fatalf("code flows %+v", res.CodeFlows)
		}
		var got []string
		for _, l := range res.CodeFlows[0].ThreadFlows[0].Locations {
			got = append(got, l.Importance+" "+l.Location.Message.Text)
		}
		want := []string{"important ✓ trail: holds", "important ✓ log group: holds", "important ✓ metric filter: holds",
			"important ✓ alarm: holds", "essential ✗ SNS topic (KMS key): broken", "unimportant · confirmed subscriber: not reached"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("path\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if m := res.CodeFlows[0].Message.Text; m != "path: ✓ trail → ✓ log group → ✓ metric filter → ✓ alarm → ✗ SNS topic (KMS key)" {
			t.Errorf("code flow message %q", m)
		}
	}
}
