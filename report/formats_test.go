package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/report"
)

// CSV: RFC 4180 as encoding/csv reads it (every record the header's width, CRLF line ends),
// the documented columns in order, one row per finding holding its fields and control ids.
func TestCSV(t *testing.T) {
	r := sampleReport()
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "\r\n") {
		t.Error("records do not end with CRLF")
	}
	rd := csv.NewReader(bytes.NewReader(buf.Bytes()))
	rd.FieldsPerRecord = 0 // every record as wide as the first
	rows, err := rd.ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180 CSV: %v\n%s", err, buf.String())
	}
	want := []string{"check_id", "title", "severity", "status", "account", "region", "resource", "message",
		"fix_available", "fix_summary", "waiver_reason", "waiver_expires",
		"cis-aws-1.4", "cis-aws-3.0", "cis-aws-5.0", "cis-aws-7.0", "aws-securityhub"}
	if strings.Join(rows[0], ",") != strings.Join(want, ",") {
		t.Fatalf("header = %v, want %v", rows[0], want)
	}
	if len(rows)-1 != len(r.Findings) {
		t.Fatalf("%d rows for %d findings", len(rows)-1, len(r.Findings))
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	for i, f := range r.Findings {
		row := rows[i+1]
		for name, v := range map[string]string{"check_id": f.CheckID, "status": string(f.Status), "account": f.Account,
			"region": f.Region, "resource": f.Resource, "message": f.Message, "severity": string(f.Severity)} {
			if row[col[name]] != v {
				t.Errorf("row %d %s = %q, want %q", i+1, name, row[col[name]], v)
			}
		}
		for _, fw := range checks.FrameworkIDs() {
			if row[col[fw]] != f.Frameworks[fw] {
				t.Errorf("row %d %s = %q, want %q", i+1, fw, row[col[fw]], f.Frameworks[fw])
			}
		}
		if f.Waiver != nil && row[col["waiver_reason"]] != f.Waiver.Reason {
			t.Errorf("row %d waiver_reason = %q", i+1, row[col["waiver_reason"]])
		}
	}
}

// A cell a spreadsheet would evaluate as a formula is defused.
func TestCSVFormulaInjection(t *testing.T) {
	f := finding("x", checks.High, checks.Fail, "111111111111", "us-east-1", `=HYPERLINK("http://evil","x")`, "@SUM(1)")
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, report.New([]checks.Finding{f}, report.Scope{}, t0)); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, cell := range rows[1] {
		if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
			t.Errorf("cell %q starts a formula", cell)
		}
	}
}

type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Props    []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// JUnit: valid XML, a testsuite per check, a testcase per finding, FAIL → failure, ERROR →
// error, WAIVED → skipped, PASS → a passing case; the counts add up.
func TestJUnit(t *testing.T) {
	r := sampleReport()
	var buf bytes.Buffer
	if err := report.WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Error("no XML declaration")
	}
	// Well-formed: a strict token pass from start to end.
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	for {
		if _, err := dec.Token(); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
	var doc junitDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	type counts struct{ tests, fail, errs, skip int }
	want := map[string]*counts{}
	var total counts
	for _, f := range r.Findings {
		c := want[f.CheckID]
		if c == nil {
			c = &counts{}
			want[f.CheckID] = c
		}
		c.tests++
		total.tests++
		switch f.Status {
		case checks.Fail:
			c.fail++
			total.fail++
		case checks.Error:
			c.errs++
			total.errs++
		case checks.Waived:
			c.skip++
			total.skip++
		}
	}
	if len(doc.Suites) != len(want) {
		t.Errorf("%d suites, want one per check (%d)", len(doc.Suites), len(want))
	}
	if doc.Tests != total.tests || doc.Failures != total.fail || doc.Errors != total.errs || doc.Skipped != total.skip {
		t.Errorf("totals %d/%d/%d/%d, want %+v", doc.Tests, doc.Failures, doc.Errors, doc.Skipped, total)
	}
	for _, s := range doc.Suites {
		w := want[s.Name]
		if w == nil {
			t.Errorf("suite %q is not a check", s.Name)
			continue
		}
		got := counts{tests: len(s.Cases)}
		names := map[string]bool{}
		for _, c := range s.Cases {
			if names[c.Name] {
				t.Errorf("suite %s: two test cases named %q", s.Name, c.Name)
			}
			names[c.Name] = true
			n := 0
			if c.Failure != nil {
				got.fail++
				n++
				if c.Failure.Message == "" || !strings.Contains(c.Failure.Text, "account:") {
					t.Errorf("failure without message or detail: %+v", c.Failure)
				}
			}
			if c.Error != nil {
				got.errs++
				n++
			}
			if c.Skipped != nil {
				got.skip++
				n++
			}
			if n > 1 {
				t.Errorf("testcase %s has %d outcomes", c.Name, n)
			}
		}
		if got != *w || s.Tests != w.tests || s.Failures != w.fail || s.Errors != w.errs || s.Skipped != w.skip {
			t.Errorf("suite %s: cases %+v, attributes %d/%d/%d/%d, want %+v", s.Name, got, s.Tests, s.Failures, s.Errors, s.Skipped, *w)
		}
	}
	if !strings.Contains(buf.String(), "&lt;script&gt;") || strings.Contains(buf.String(), "<script>") {
		t.Error("markup in a message is not escaped")
	}
}

var productArnRe = regexp.MustCompile(`^arn:aws(-[a-z-]+)?:securityhub:([a-z0-9-]+):([0-9]{12}):product/([0-9]{12})/default$`)

// ASFF: every required attribute of the Security Hub user guide's list, within its limits; the
// status mapping; ids stable per (check, account, region, resource); framework ids as related
// requirements; account-wide findings sent to the home region.
func TestASFF(t *testing.T) {
	r := sampleReport()
	var buf bytes.Buffer
	if err := report.WriteASFF(&buf, r, report.ASFFOptions{}); err != nil {
		t.Fatal(err)
	}
	var raw []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != len(r.Findings) {
		t.Fatalf("%d ASFF findings for %d findings", len(raw), len(r.Findings))
	}
	for i, m := range raw {
		for _, k := range []string{"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt",
			"UpdatedAt", "Severity", "Title", "Description", "Resources"} {
			if v, ok := m[k]; !ok || v == "" || v == nil {
				t.Errorf("finding %d lacks required %s", i, k)
			}
		}
	}
	var fs []report.ASFFFinding
	if err := json.Unmarshal(buf.Bytes(), &fs); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	wantStatus := map[checks.Status]string{checks.Pass: "PASSED", checks.Fail: "FAILED", checks.Error: "NOT_AVAILABLE", checks.Waived: "WARNING"}
	labels := map[string]bool{"INFORMATIONAL": true, "LOW": true, "MEDIUM": true, "HIGH": true, "CRITICAL": true}
	for i, a := range fs {
		f := r.Findings[i]
		if a.SchemaVersion != "2018-10-08" {
			t.Errorf("SchemaVersion %q", a.SchemaVersion)
		}
		if ids[a.Id] || len(a.Id) > 512 {
			t.Errorf("Id %q repeated or too long", a.Id)
		}
		ids[a.Id] = true
		m := productArnRe.FindStringSubmatch(a.ProductArn)
		if m == nil || m[3] != f.Account || m[4] != f.Account || m[2] != a.Region {
			t.Errorf("ProductArn %q is not the custom integration of %s in %s", a.ProductArn, f.Account, a.Region)
		}
		if a.AwsAccountId != f.Account || a.GeneratorId != "lookout/"+f.CheckID {
			t.Errorf("AwsAccountId %q GeneratorId %q", a.AwsAccountId, a.GeneratorId)
		}
		if f.Region == "global" && a.Region != "us-east-1" {
			t.Errorf("a global finding went to %s, want the home region us-east-1", a.Region)
		}
		for _, ty := range a.Types {
			if !strings.HasPrefix(ty, "Software and Configuration Checks/") {
				t.Errorf("type %q is outside Software and Configuration Checks", ty)
			}
		}
		for _, ts := range []string{a.CreatedAt, a.UpdatedAt} {
			if _, err := time.Parse(time.RFC3339, ts); err != nil {
				t.Errorf("timestamp %q: %v", ts, err)
			}
		}
		if !labels[a.Severity.Label] || a.FindingProviderFields.Severity.Label != a.Severity.Label {
			t.Errorf("severity %+v / provider %+v", a.Severity, a.FindingProviderFields.Severity)
		}
		if f.Status == checks.Pass && a.Severity.Label != "INFORMATIONAL" {
			t.Errorf("a PASS is %s, want INFORMATIONAL", a.Severity.Label)
		}
		if a.Title == "" || len([]rune(a.Title)) > 256 || a.Description == "" || len([]rune(a.Description)) > 1024 {
			t.Errorf("title %q / description length %d", a.Title, len(a.Description))
		}
		if len(a.Resources) != 1 || a.Resources[0].Type == "" || a.Resources[0].Id == "" {
			t.Errorf("resources %+v", a.Resources)
		}
		if a.Compliance.Status != wantStatus[f.Status] {
			t.Errorf("%s → Compliance.Status %s, want %s", f.Status, a.Compliance.Status, wantStatus[f.Status])
		}
		if (f.Status == checks.Error || f.Status == checks.Waived) && len(a.Compliance.StatusReasons) == 0 {
			t.Errorf("%s without StatusReasons", f.Status)
		}
		if len(f.Frameworks) != len(a.Compliance.RelatedRequirements) {
			t.Errorf("RelatedRequirements %v for frameworks %v", a.Compliance.RelatedRequirements, f.Frameworks)
		}
	}
	if got := fs[indexOf(r, "cloudtrail-logging", checks.Fail)].Compliance.RelatedRequirements; strings.Join(got, "|") != "CIS AWS Foundations Benchmark v1.4.0/3.1|CIS AWS Foundations Benchmark v7.0.0/4.1|AWS Security Hub controls/CloudTrail.1" {
		t.Errorf("RelatedRequirements = %v", got)
	}
	// The id depends on (check, account, region, resource) only.
	f := r.Findings[0]
	g := f
	g.Message, g.Severity, g.Status = "another message", checks.Low, checks.Pass
	if report.ASFFId(f) != report.ASFFId(g) {
		t.Error("ASFF Id changes with the message, severity or status")
	}
	g.Resource += "x"
	if report.ASFFId(f) == report.ASFFId(g) {
		t.Error("ASFF Id does not depend on the resource")
	}
}

// OCSF: the attributes compliance_finding requires (from base_event, finding and the class
// itself, and the cloud profile), with the schema's enumerations.
func TestOCSF(t *testing.T) {
	r := sampleReport()
	var buf bytes.Buffer
	if err := report.WriteOCSF(&buf, r); err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &events); err != nil {
		t.Fatal(err)
	}
	if len(events) != len(r.Findings) {
		t.Fatalf("%d events for %d findings", len(events), len(r.Findings))
	}
	get := func(m map[string]any, path string) any {
		var v any = m
		for _, k := range strings.Split(path, ".") {
			mm, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = mm[k]
		}
		return v
	}
	wantCompliance := map[checks.Status]float64{checks.Pass: 1, checks.Error: 2, checks.Fail: 3, checks.Waived: 3}
	wantSeverity := map[checks.Severity]float64{checks.Critical: 5, checks.High: 4, checks.Medium: 3, checks.Low: 2}
	for i, e := range events {
		f := r.Findings[i]
		for _, path := range []string{"activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time",
			"metadata.version", "metadata.product.name", "finding_info.uid", "compliance.standards", "cloud.provider"} {
			if v := get(e, path); v == nil || v == "" {
				t.Errorf("event %d lacks required %s", i, path)
			}
		}
		if get(e, "class_uid") != 2003.0 || get(e, "category_uid") != 2.0 || get(e, "type_uid") != 200301.0 || get(e, "activity_id") != 1.0 {
			t.Errorf("event %d classification %v %v %v %v", i, e["class_uid"], e["category_uid"], e["type_uid"], e["activity_id"])
		}
		if get(e, "time") != float64(t0.UnixMilli()) {
			t.Errorf("time %v, want %d ms", e["time"], t0.UnixMilli())
		}
		if get(e, "compliance.status_id") != wantCompliance[f.Status] || get(e, "compliance.status_code") != string(f.Status) {
			t.Errorf("%s → compliance %v/%v", f.Status, get(e, "compliance.status_id"), get(e, "compliance.status_code"))
		}
		if f.Status == checks.Pass && get(e, "severity_id") != 1.0 || f.Status != checks.Pass && get(e, "severity_id") != wantSeverity[f.Severity] {
			t.Errorf("%s %s → severity_id %v", f.Status, f.Severity, e["severity_id"])
		}
		if get(e, "cloud.account.uid") != f.Account || get(e, "cloud.provider") != "AWS" {
			t.Errorf("cloud %v", e["cloud"])
		}
		reqs, _ := get(e, "compliance.requirements").([]any)
		if len(reqs) != len(f.Frameworks) {
			t.Errorf("requirements %v for frameworks %v", reqs, f.Frameworks)
		}
		res, _ := e["resources"].([]any)
		if len(res) != 1 || get(res[0].(map[string]any), "uid") == "" {
			t.Errorf("resources %v", e["resources"])
		}
	}
	if std := get(events[indexOf(r, "cloudtrail-logging", checks.Fail)], "compliance.standards").([]any); len(std) != 3 || std[0] != "CIS AWS Foundations Benchmark v1.4.0" {
		t.Errorf("standards %v", std)
	}
}

// indexOf is the index of the first finding of check with status.
func indexOf(r *report.Report, check string, st checks.Status) int {
	for i, f := range r.Findings {
		if f.CheckID == check && f.Status == st {
			return i
		}
	}
	panic("no such finding")
}

// ASFF and OCSF of China and GovCloud resources: the partition of the product ARN, of each
// resource and of the instance ARN built from an instance id is the resource ARN's own, else
// its region's; an account-wide finding goes to the home region in its partition.
func TestASFFAndOCSFOtherPartitions(t *testing.T) {
	const acct = "123456789012"
	fs := []checks.Finding{
		finding("cloudtrail-logging", checks.Critical, checks.Fail, acct, "cn-north-1", "arn:aws-cn:cloudtrail:cn-north-1:"+acct+":trail/main", "not logging"),
		finding("ec2-instance-ssm-managed", checks.High, checks.Fail, acct, "us-gov-west-1", "i-0abc", "not managed"),
		finding("cloudwatch-root-usage-alarm", checks.High, checks.Fail, acct, "global", acct, "no alarm"),
	}
	r := report.New(fs, report.Scope{Accounts: []string{acct}, Regions: []string{"us-gov-west-1", "cn-north-1"}}, t0)
	want := map[string]report.ASFFResource{
		"cloudtrail-logging":          {Type: "AwsCloudTrailTrail", Id: "arn:aws-cn:cloudtrail:cn-north-1:" + acct + ":trail/main", Partition: "aws-cn", Region: "cn-north-1"},
		"ec2-instance-ssm-managed":    {Type: "AwsEc2Instance", Id: "arn:aws-us-gov:ec2:us-gov-west-1:" + acct + ":instance/i-0abc", Partition: "aws-us-gov", Region: "us-gov-west-1"},
		"cloudwatch-root-usage-alarm": {Type: "AwsAccount", Id: "AWS::::Account:" + acct, Partition: "aws-cn", Region: "cn-north-1"},
	}
	for _, a := range report.ASFF(r, report.ASFFOptions{}) {
		check := strings.TrimPrefix(a.GeneratorId, "lookout/")
		w := want[check]
		if len(a.Resources) != 1 || a.Resources[0] != w {
			t.Errorf("%s: resources %+v, want %+v", check, a.Resources, w)
		}
		if p := "arn:" + w.Partition + ":securityhub:" + w.Region + ":" + acct + ":product/" + acct + "/default"; a.ProductArn != p {
			t.Errorf("%s: ProductArn %s, want %s", check, a.ProductArn, p)
		}
	}
	for _, e := range report.OCSF(r) {
		w := want[e.Compliance.Control]
		if res := e.Resources[0]; res.UID != w.Id || res.Type != w.Type || res.CloudPartition != w.Partition || res.Region != w.Region {
			t.Errorf("%s: OCSF resource %+v, want %+v", e.Compliance.Control, res, w)
		}
	}
}

// report.Write has a writer for every format of report.Formats, and refuses any other name.
func TestWriteEveryFormat(t *testing.T) {
	for _, format := range report.Formats {
		var buf bytes.Buffer
		if err := report.Write(&buf, sampleReport(), report.WriteOptions{Format: format}); err != nil || buf.Len() == 0 {
			t.Errorf("%s: %d bytes, error %v", format, buf.Len(), err)
		}
	}
	if err := report.Write(&bytes.Buffer{}, sampleReport(), report.WriteOptions{Format: "yaml"}); err == nil {
		t.Error("an unknown format was written")
	}
}
