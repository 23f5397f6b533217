package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"

	"github.com/lookout-audit/lookout/report/ocsftest"
)

// The OCSF written for the demo organisation and for findings of every status, escape and
// partition is valid OCSF 1.6.0 Compliance Finding: the class's attributes resolved from the
// schema's own definitions (report/testdata/ocsf-1.6.0), every required attribute present, no
// attribute the class or its objects do not define, types, enumerations and their captions
// right, nothing deprecated.
func TestOCSFIsValidOCSF16(t *testing.T) {
	schema, err := ocsftest.Load()
	if err != nil {
		t.Fatal(err)
	}
	if schema.Version != OCSFVersion {
		t.Fatalf("lookout writes OCSF %s, the schema in testdata is %s", OCSFVersion, schema.Version)
	}
	reports := streamReports(t)
	reports["partitions"] = partitionsReport()
	for name, r := range reports {
		var buf bytes.Buffer
		if err := WriteOCSF(&buf, r); err != nil {
			t.Fatal(err)
		}
		problems := schema.ProblemsOfArray(buf.Bytes())
		if len(problems) > 0 {
			t.Errorf("%s: %d problems, the first:\n%s", name, len(problems), strings.Join(problems[:min(10, len(problems))], "\n"))
		}
		var events []struct {
			ClassUID int `json:"class_uid"`
		}
		if err := json.Unmarshal(buf.Bytes(), &events); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(events) != len(r.Findings) {
			t.Errorf("%s: %d events for %d findings", name, len(events), len(r.Findings))
		}
		for i, e := range events {
			if e.ClassUID != 2003 {
				t.Errorf("%s: event %d has class_uid %d", name, i, e.ClassUID)
			}
		}
	}
}

// partitionsReport has findings in the China and GovCloud partitions and an account-wide one.
func partitionsReport() *Report {
	const acct = "123456789012"
	fs := []checks.Finding{
		{CheckID: "cloudtrail-logging", Severity: checks.Critical, Status: checks.Fail, Account: acct, Region: "cn-north-1",
			Resource: "arn:aws-cn:cloudtrail:cn-north-1:" + acct + ":trail/main", Message: "trail main is not logging"},
		{CheckID: "ec2-instance-ssm-managed", Severity: checks.High, Status: checks.Error, Account: acct, Region: "us-gov-west-1",
			Resource: "i-0abc", Message: "could not read the instance's SSM status"},
		{CheckID: "cloudwatch-root-usage-alarm", Severity: checks.High, Status: checks.Pass, Account: acct, Region: "global",
			Resource: acct, Message: "root account usage: monitored"},
	}
	return New(fs, Scope{Accounts: []string{acct}, Regions: []string{"us-gov-west-1", "cn-north-1"}}, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
}
