package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/report"
)

func TestMarkdownSummary(t *testing.T) {
	const acct = "123456789012"
	crit := finding("cloudtrail-logging", checks.Critical, checks.Fail, acct, "us-east-1", "arn:aws:cloudtrail:us-east-1:"+acct+":trail/main", "trail main is not logging")
	crit.Fix = &checks.FixHint{Available: true, Summary: "cloudtrail:StartLogging on trail main in us-east-1"}
	low := finding("ec2-rule", checks.Low, checks.Fail, acct, "us-west-2", "i-0abc", "no rule | pipe <b>bold</b> *star* `tick`")
	low.Fix = &checks.FixHint{Available: false, Summary: "create the rule"}
	waived := finding("ec2-rule", checks.Low, checks.Waived, acct, "eu-west-1", "i-0def", "no rule")
	waived.Waiver = &checks.WaiverNote{Reason: "sandbox, torn down in Q1", Expires: "2027-03-31"}
	errf := finding("cloudtrail-logging", checks.Critical, checks.Error, acct, "eu-west-1", "arn:aws:cloudtrail:eu-west-1:"+acct+":trail/*", "could not read: AccessDenied")
	pass := finding("cloudtrail-logging", checks.Critical, checks.Pass, acct, "us-west-2", "arn:aws:cloudtrail:us-west-2:"+acct+":trail/main", "ok")
	r := report.New([]checks.Finding{low, waived, errf, pass, crit}, report.Scope{Accounts: []string{acct}, Regions: []string{"us-east-1"}}, t0)

	var buf bytes.Buffer
	if err := report.WriteMarkdown(&buf, r, report.MarkdownOptions{Notes: []string{"waivers.yml:3 (x) expired on 2026-01-01"}}); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"## lookout: 2 FAIL, 1 ERROR, 1 PASS, 1 WAIVED",
		"| FAIL | 1 | 0 | 0 | 1 | 2 |", // counts by status and severity
		"| ERROR | 1 | 0 | 0 | 0 | 1 |",
		"The scan is incomplete",
		"`lookout fix --checks cloudtrail-logging --apply`",  // the fix command for a fixable check
		"cloudtrail:StartLogging on trail main in us-east-1", // the finding's fix hint
		"by hand: create the rule",
		"sandbox, torn down in Q1 | 2027-03-31",
		"expired on 2026-01-01",
		`no rule \| pipe &lt;b&gt;bold&lt;/b&gt; \*star\* \` + "`tick\\`", // escaped, one cell
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	// The critical check's group comes before the low one.
	if i, j := strings.Index(md, "#### `cloudtrail-logging`"), strings.Index(md, "#### `ec2-rule`"); i < 0 || j < 0 || i > j {
		t.Errorf("failure groups not ordered by severity (%d, %d):\n%s", i, j, md)
	}
	// Every table row has the same number of cells as its header.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") {
			cells := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
			if cells < 5 {
				t.Errorf("row %q has %d separators", line, cells)
			}
		}
	}
}

func TestMarkdownCapsRows(t *testing.T) {
	var fs []checks.Finding
	for i := 0; i < 30; i++ {
		fs = append(fs, finding("ec2-rule", checks.Low, checks.Fail, "123456789012", "us-east-1", "i-"+strings.Repeat("0", i+1), "m"))
	}
	var buf bytes.Buffer
	if err := report.WriteMarkdown(&buf, report.New(fs, report.Scope{}, t0), report.MarkdownOptions{MaxRows: 10}); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	if n := strings.Count(md, "| 123456789012 |"); n != 10 {
		t.Errorf("%d rows, want 10", n)
	}
	if !strings.Contains(md, "…and 20 more for this check") {
		t.Errorf("the cap does not say how many were left out:\n%s", md)
	}
}

func TestMarkdownAllClear(t *testing.T) {
	var buf bytes.Buffer
	pass := finding("cloudtrail-logging", checks.Critical, checks.Pass, "123456789012", "us-east-1", "x", "ok")
	if err := report.WriteMarkdown(&buf, report.New([]checks.Finding{pass}, report.Scope{}, t0), report.MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if md := buf.String(); !strings.Contains(md, "No unwaived failures.") || strings.Contains(md, "incomplete") {
		t.Errorf("all-clear summary:\n%s", md)
	}
}

// TestMarkdownOverview: a scan of several accounts gets the checks × accounts overview the
// HTML report draws (worst status per cell, counts, "–" where nothing was judged); one of a
// single account gets none; past eight accounts each check counts accounts by worst status.
func TestMarkdownOverview(t *testing.T) {
	write := func(fs []checks.Finding, accounts []string) string {
		var buf bytes.Buffer
		if err := report.WriteMarkdown(&buf, report.New(fs, report.Scope{Accounts: accounts}, t0), report.MarkdownOptions{}); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	a, b := "111111111111", "222222222222"
	fs := []checks.Finding{
		finding("cloudtrail-logging", checks.Critical, checks.Fail, a, "us-east-1", "t1", "not logging"),
		finding("cloudtrail-logging", checks.Critical, checks.Fail, a, "us-west-2", "t2", "not logging"),
		finding("cloudtrail-logging", checks.Critical, checks.Pass, b, "us-east-1", "t3", "logging"),
		finding("ec2-rule", checks.Low, checks.Error, a, "us-east-1", "r", "could not read"),
		finding("ec2-rule", checks.Low, checks.Pass, a, "us-west-2", "r", "ok"),
	}
	md := write(fs, []string{a, b})
	for _, want := range []string{
		"### Overview: checks × accounts",
		"| Check | 111111111111 | 222222222222 |",
		"| `cloudtrail-logging` | FAIL ×2 | PASS |",
		"| `ec2-rule` | ERROR | – |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("overview lacks %q:\n%s", want, md)
		}
	}
	if md := write(fs[:2], []string{a}); strings.Contains(md, "Overview") {
		t.Errorf("a single account got an overview:\n%s", md)
	}
	var many []checks.Finding
	var accounts []string
	for i := 0; i < 10; i++ {
		acct := strings.Repeat(string(rune('0'+i)), 12)
		accounts = append(accounts, acct)
		st := checks.Pass
		if i < 3 {
			st = checks.Fail
		}
		many = append(many, finding("cloudtrail-logging", checks.Critical, st, acct, "us-east-1", "t", "m"))
	}
	md = write(many, accounts)
	if !strings.Contains(md, "10 accounts: each row counts the accounts") || !strings.Contains(md, "| `cloudtrail-logging` | 3 | 0 | 0 | 7 | 0 |") {
		t.Errorf("folded overview:\n%s", md)
	}
}

// A failure or ERROR whose evidence names a broken link shows its path under its sentence, up
// to the broken hop (undecided for an ERROR); one without a broken link shows none.
func TestMarkdownPath(t *testing.T) {
	const acct = "123456789012"
	fail := finding("cloudtrail-stoplogging-remediation", checks.High, checks.Fail, acct, "us-east-1", "arn:aws:cloudtrail:us-east-1:"+acct+":trail/main", "trail main is not protected")
	fail.Evidence = &route.RuleEvidence{ChainBreak: route.ChainBreak{Broken: &route.BrokenLink{Link: route.LinkTarget, Hop: route.HopRolePolicy}}}
	errf := finding("cloudwatch-root-usage-alarm", checks.High, checks.Error, acct, "us-east-1", acct, "root account usage: cannot tell whether monitored")
	errf.Evidence = &route.RuleEvidence{ChainBreak: route.ChainBreak{Broken: &route.BrokenLink{Link: route.LinkMetricFilter}}}
	plain := finding("cloudtrail-logging", checks.Critical, checks.Fail, acct, "us-east-1", "arn:aws:cloudtrail:us-east-1:"+acct+":trail/x", "trail x is not logging")
	var buf bytes.Buffer
	if err := report.WriteMarkdown(&buf, report.New([]checks.Finding{fail, errf, plain}, report.Scope{Accounts: []string{acct}}, t0), report.MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"trail main is not protected<br>path: ✓ trail → ✓ EventBridge rule → ✗ rule target (role policy) |",
		"cannot tell whether monitored<br>path: ✓ trail → ✓ log group → ? metric filter |",
		"trail x is not logging |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
