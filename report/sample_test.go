package report_test

import (
	"strings"

	"github.com/rivo/uniseg"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/snapshot"
	"github.com/lookout-audit/lookout/report"
)

// sampleReport holds one finding of every kind the writers must render: each status, a waiver,
// evidence, framework ids, an account that could not be read at all (one ERROR per check),
// a long ARN without spaces, wide (CJK) characters, and text that is hostile to HTML, CSV,
// XML and terminals.
func sampleReport() *report.Report {
	const a, b, dead = "111111111111", "222222222222", "999999999999"
	cis := map[string]string{"cis-aws-1.4": "3.1", "cis-aws-7.0": "4.1", "aws-securityhub": "CloudTrail.1"}
	alarm := map[string]string{"cis-aws-7.0": "5.3", "aws-securityhub": "CloudWatch.1"}
	fs := []checks.Finding{
		{CheckID: "cloudtrail-logging", Title: "CloudTrail is logging in this region", Severity: checks.Critical, Status: checks.Fail,
			Account: a, Region: "us-east-1", Resource: "arn:aws:cloudtrail:us-east-1:" + a + ":trail/main",
			Message:    "trail main covers us-east-1 but is not logging (StopLogging at 2026-11-20T03:12:00Z)",
			Evidence:   checks.TrailsEvidence{TrailsSeen: []string{"main"}},
			Fix:        &checks.FixHint{Available: true, Summary: "cloudtrail:StartLogging on trail main in us-east-1"},
			Frameworks: cis},
		{CheckID: "cloudtrail-logging", Title: "CloudTrail is logging in this region", Severity: checks.Critical, Status: checks.Pass,
			Account: a, Region: "us-west-2", Resource: "arn:aws:cloudtrail:us-west-2:" + a + ":trail/main",
			Message: "trail main is logging", Frameworks: cis},
		{CheckID: "cloudwatch-root-usage-alarm", Title: "Root account usage is alarmed", Severity: checks.High, Status: checks.Fail,
			Account: b, Region: "eu-central-1",
			Resource: "arn:aws:logs:eu-central-1:" + b + ":log-group:/aws/cloudtrail/organization-trail-with-a-very-long-name-that-does-not-fit-any-column:*",
			Message:  `no metric filter matches root usage: filter "root-=cmd|' /C calc'!A0" <script>alert(1)</script> & "quotes", commas, and a line` + "\nbreak; 日本語のテキストも幅を取ります",
			Evidence: checks.RawEvidence{Kind: "filters", JSON: []byte(`{"kind":"filters","filters":["root-=cmd","<b>x</b>"]}`)}, Frameworks: alarm},
		{CheckID: "cloudwatch-root-usage-alarm", Title: "Root account usage is alarmed", Severity: checks.High, Status: checks.Waived,
			Account: a, Region: "global", Resource: a, Message: "no alarm on the root filter",
			Waiver: &checks.WaiverNote{Reason: "sandbox account, retired in Q1", Expires: "2027-03-31"}, Frameworks: alarm},
		{CheckID: "ec2-instance-ssm-managed", Title: "Running instances are managed by SSM", Severity: checks.High, Status: checks.Error,
			Account: b, Region: "us-east-1", Resource: "i-0abc",
			Message: "could not read SSM: ssm:DescribeInstanceInformation: AccessDenied: not authorized"},
	}
	for _, c := range []string{"cloudtrail-logging", "cloudwatch-root-usage-alarm", "ec2-instance-ssm-managed"} {
		fs = append(fs, checks.Finding{CheckID: c, Title: "Title of " + c, Severity: checks.Medium, Status: checks.Error,
			Account: dead, Region: "global", Resource: dead,
			Message:  "could not read account " + dead + ": sts:AssumeRole: AccessDenied: cannot assume arn:aws:iam::" + dead + ":role/LookoutAudit: not authorized",
			Evidence: checks.ReadErrorEvidence{ReadError: &snapshot.ReadError{Operation: "sts:AssumeRole", Code: "AccessDenied"}}})
	}
	return report.New(fs, report.Scope{Accounts: []string{a, b, dead}, Regions: []string{"us-east-1", "us-west-2", "eu-central-1"}}, t0)
}

// visibleWidth is the number of terminal columns a line takes, measured independently of the
// code under test: colour codes removed, then grapheme clusters' widths per Unicode.
func visibleWidth(line string) int {
	for {
		i := strings.Index(line, "\x1b[")
		if i < 0 {
			break
		}
		j := i + 2
		for j < len(line) && (line[j] == ';' || line[j] >= '0' && line[j] <= '9') {
			j++
		}
		line = line[:i] + line[j+1:]
	}
	return uniseg.StringWidth(line)
}
