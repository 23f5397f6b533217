package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/lookout-audit/lookout/checks"
)

// The AWS Security Finding Format (ASFF), as AWS Security Hub's BatchImportFindings takes it
// (Security Hub User Guide, "AWS Security Finding Format (ASFF)" and "Required top-level ASFF
// attributes"; API Reference, AwsSecurityFinding). Field names are ASFF's own.

// ASFFSchemaVersion is the only ASFF schema version.
const ASFFSchemaVersion = "2018-10-08"

// ASFF limits (API Reference, AwsSecurityFinding).
const (
	asffTitleMax       = 256
	asffDescriptionMax = 1024
	asffRecommendMax   = 512
)

// ASFF finding types: every lookout finding is a configuration check, and a check that
// implements a CIS control is also an industry-standard check (ASFF types taxonomy).
const (
	ASFFTypeBestPractices = "Software and Configuration Checks/AWS Security Best Practices"
	ASFFTypeCIS           = "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"
)

// ASFFFinding is one ASFF finding, with the fields lookout fills.
type ASFFFinding struct {
	SchemaVersion         string             `json:"SchemaVersion"`
	Id                    string             `json:"Id"`
	ProductArn            string             `json:"ProductArn"`
	ProductName           string             `json:"ProductName"`
	CompanyName           string             `json:"CompanyName"`
	GeneratorId           string             `json:"GeneratorId"`
	AwsAccountId          string             `json:"AwsAccountId"`
	Region                string             `json:"Region"`
	Types                 []string           `json:"Types"`
	CreatedAt             string             `json:"CreatedAt"`
	UpdatedAt             string             `json:"UpdatedAt"`
	Severity              ASFFSeverity       `json:"Severity"`
	Title                 string             `json:"Title"`
	Description           string             `json:"Description"`
	Remediation           *ASFFRemediation   `json:"Remediation,omitempty"`
	ProductFields         map[string]string  `json:"ProductFields"`
	Resources             []ASFFResource     `json:"Resources"`
	Compliance            ASFFCompliance     `json:"Compliance"`
	RecordState           string             `json:"RecordState"`
	FindingProviderFields ASFFProviderFields `json:"FindingProviderFields"`
}

// ASFFSeverity is Severity: Label is one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL;
// Original is the provider's own severity.
type ASFFSeverity struct {
	Label    string `json:"Label"`
	Original string `json:"Original,omitempty"`
}

// ASFFRemediation is Remediation.Recommendation.
type ASFFRemediation struct {
	Recommendation ASFFRecommendation `json:"Recommendation"`
}

// ASFFRecommendation says what to do and where to read more.
type ASFFRecommendation struct {
	Text string `json:"Text,omitempty"`
	Url  string `json:"Url,omitempty"`
}

// ASFFResource is one entry of Resources.
type ASFFResource struct {
	Type      string `json:"Type"`
	Id        string `json:"Id"`
	Partition string `json:"Partition,omitempty"`
	Region    string `json:"Region,omitempty"`
}

// ASFFCompliance is Compliance: Status is PASSED, WARNING, FAILED or NOT_AVAILABLE.
type ASFFCompliance struct {
	Status              string             `json:"Status"`
	RelatedRequirements []string           `json:"RelatedRequirements,omitempty"`
	StatusReasons       []ASFFStatusReason `json:"StatusReasons,omitempty"`
}

// ASFFStatusReason explains a status other than PASSED or FAILED.
type ASFFStatusReason struct {
	ReasonCode  string `json:"ReasonCode"`
	Description string `json:"Description,omitempty"`
}

// ASFFProviderFields is FindingProviderFields: the severity and types a finding provider may
// still change after the finding was created (top-level Severity and Types are then the
// customer's to change).
type ASFFProviderFields struct {
	Severity ASFFSeverity `json:"Severity"`
	Types    []string     `json:"Types"`
}

// ASFFComplianceStatus maps a lookout status to ASFF's Compliance.Status:
//
//   - PASS → PASSED: Security Hub then sets the finding's workflow to RESOLVED, so importing
//     the PASS of a once-failing check closes its finding;
//   - FAIL → FAILED;
//   - ERROR → NOT_AVAILABLE, ASFF's "check could not be performed due to a service outage or
//     API error": never PASSED, and the reason is in StatusReasons;
//   - WAIVED → WARNING: the control still fails but the risk was accepted, and a provider
//     cannot set the customer's Workflow (SUPPRESSED) after creation; the waiver's reason and
//     expiry are in StatusReasons, and when it expires the next import says FAILED again.
func ASFFComplianceStatus(s checks.Status) string {
	switch s {
	case checks.Pass:
		return "PASSED"
	case checks.Fail:
		return "FAILED"
	case checks.Waived:
		return "WARNING"
	}
	return "NOT_AVAILABLE"
}

// ASFFOptions controls ASFF.
type ASFFOptions struct {
	// HomeRegion receives the findings of region "global" (account-wide checks with no region
	// of their own): ASFF needs a region for ProductArn. "" means HomeRegion(r.Scope).
	HomeRegion string
	// Checks supplies remediation text; nil means the whole registry.
	Checks []*checks.Check
}

// HomeRegion is where account-wide findings are sent: us-east-1 when the scan covered it,
// else the first region scanned (in sorted order), else us-east-1.
func HomeRegion(sc Scope) string {
	for _, r := range sc.Regions {
		if r == "us-east-1" {
			return r
		}
	}
	regs := append([]string(nil), sc.Regions...)
	sort.Strings(regs)
	if len(regs) > 0 {
		return regs[0]
	}
	return "us-east-1"
}

// ASFF converts every finding of the report (PASS included, so that Security Hub resolves
// what was fixed) to an ASFF finding, in report order.
func ASFF(r *Report, opts ASFFOptions) []ASFFFinding {
	one := asffOf(r, opts)
	out := make([]ASFFFinding, 0, len(r.Findings))
	for i := range r.Findings {
		out = append(out, one(i))
	}
	return out
}

// asffOf returns the function that converts the i-th finding of r.
func asffOf(r *Report, opts ASFFOptions) func(i int) ASFFFinding {
	home := opts.HomeRegion
	if home == "" {
		home = HomeRegion(r.Scope)
	}
	list := opts.Checks
	if list == nil {
		list = checks.All()
	}
	byID := map[string]*checks.Check{}
	for _, c := range list {
		byID[c.ID] = c
	}
	at := r.GeneratedAt.UTC().Format(time.RFC3339)
	return func(i int) ASFFFinding {
		f := r.Findings[i]
		return asffFinding(f, byID[f.CheckID], home, at, r.Tool)
	}
}

// WriteASFF writes the findings as a JSON array of ASFF findings: the Findings parameter of
// BatchImportFindings (in batches of 100: `aws securityhub batch-import-findings --findings
// file://...` takes one batch).
func WriteASFF(w io.Writer, r *Report, opts ASFFOptions) error {
	one := asffOf(r, opts)
	return writeJSONArray(w, len(r.Findings), func(i int) any { return one(i) })
}

// writeJSONArray writes the n elements elem gives as a JSON array, as a json.Encoder
// (indent two spaces, no HTML escaping) writes the whole array, but one element at a time
// to a buffered writer: only one element's text is in memory at once.
func writeJSONArray(w io.Writer, n int, elem func(i int) any) error {
	if n == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var one bytes.Buffer
	enc := json.NewEncoder(&one)
	enc.SetIndent("  ", "  ")
	enc.SetEscapeHTML(false)
	bw.WriteByte('[')
	for i := range n {
		one.Reset()
		if err := enc.Encode(elem(i)); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n  ")
		bw.Write(bytes.TrimSuffix(one.Bytes(), []byte("\n")))
	}
	bw.WriteString("\n]\n")
	return bw.Flush()
}

// ASFFProductArn is the product ARN of a custom integration (findings an account sends about
// itself): arn:<partition>:securityhub:<region>:<account>:product/<account>/default.
func ASFFProductArn(partition, region, account string) string {
	return arn.ARN{Partition: partition, Service: "securityhub", Region: region, AccountID: account,
		Resource: "product/" + account + "/default"}.String()
}

// ASFFId is the finding's Id: stable per (check, account, region, resource), so a new scan
// updates the same Security Hub finding instead of adding one.
func ASFFId(f checks.Finding) string {
	return fmt.Sprintf("lookout/%s/%s/%s/%s", f.CheckID, f.Account, f.Region, strings.TrimSuffix(Fingerprint(f), ":1"))
}

func asffFinding(f checks.Finding, c *checks.Check, home, at string, tool Tool) ASFFFinding {
	region, part := placeOf(f, home)
	label := strings.ToUpper(string(f.Severity))
	if f.Severity.Rank() == 0 {
		label = "MEDIUM"
	}
	if f.Status == checks.Pass {
		label = "INFORMATIONAL" // as Security Hub rates its own passed controls
	}
	sev := ASFFSeverity{Label: label, Original: string(f.Severity)}
	types := asffTypes(f)
	title := titleOf(f)
	desc := truncate(f.Reasoning(), asffDescriptionMax)
	if strings.TrimSpace(desc) == "" {
		desc = title
	}
	comp := ASFFCompliance{Status: ASFFComplianceStatus(f.Status)}
	for _, k := range frameworkKeys(f.Frameworks) {
		comp.RelatedRequirements = append(comp.RelatedRequirements, FrameworkName(k)+"/"+f.Frameworks[k])
	}
	switch f.Status {
	case checks.Error:
		comp.StatusReasons = []ASFFStatusReason{{ReasonCode: "LOOKOUT_READ_ERROR", Description: truncate(f.Message, asffDescriptionMax)}}
	case checks.Waived:
		comp.StatusReasons = []ASFFStatusReason{{ReasonCode: "LOOKOUT_WAIVED", Description: truncate(waiverNote(f), asffDescriptionMax)}}
	}
	fields := map[string]string{
		"ProviderName":     tool.Name,
		"ProviderVersion":  tool.Version,
		"lookout/check_id": f.CheckID,
		"lookout/status":   string(f.Status),
	}
	if f.Fix != nil && f.Fix.Summary != "" {
		fields["lookout/fix_available"] = fmt.Sprint(f.Fix.Available)
	}
	var rem *ASFFRemediation
	text := fixText(f)
	if text == "" && c != nil {
		text = c.Remediation
		if text == "" {
			text = c.FixSummary
		}
	}
	if text != "" || c != nil {
		rem = &ASFFRemediation{Recommendation: ASFFRecommendation{Text: truncate(text, asffRecommendMax), Url: HelpURIBase + f.CheckID}}
	}
	return ASFFFinding{
		SchemaVersion: ASFFSchemaVersion,
		Id:            ASFFId(f),
		ProductArn:    ASFFProductArn(part, region, f.Account),
		ProductName:   tool.Name,
		CompanyName:   tool.Name,
		GeneratorId:   tool.Name + "/" + f.CheckID,
		AwsAccountId:  f.Account,
		Region:        region,
		Types:         types,
		CreatedAt:     at,
		UpdatedAt:     at,
		Severity:      sev,
		Title:         truncate(title, asffTitleMax),
		Description:   truncate(desc, asffDescriptionMax),
		Remediation:   rem,
		ProductFields: fields,
		Resources: []ASFFResource{{
			Type: asffResourceType(f), Id: asffResourceID(f, part), Partition: part, Region: region,
		}},
		Compliance:            comp,
		RecordState:           "ACTIVE",
		FindingProviderFields: ASFFProviderFields{Severity: sev, Types: types},
	}
}

var (
	instanceIDRe = regexp.MustCompile(`^i-[0-9a-f]+$`)
	accountIDRe  = regexp.MustCompile(`^[0-9]{12}$`)
)

// asffTypes are the ASFF finding types of f: a configuration check, and an industry-standard
// check too when it implements a CIS control.
func asffTypes(f checks.Finding) []string {
	types := []string{ASFFTypeBestPractices}
	for k := range f.Frameworks {
		if strings.HasPrefix(k, "cis-") {
			return append(types, ASFFTypeCIS)
		}
	}
	return types
}

// asffResourceType is the ASFF resource type of the finding's resource: the specific types
// ASFF defines for trails, instances and accounts, else Other.
func asffResourceType(f checks.Finding) string {
	res := f.Resource
	a, err := arn.Parse(res)
	if err != nil {
		switch {
		case instanceIDRe.MatchString(res):
			return "AwsEc2Instance"
		case accountIDRe.MatchString(res):
			return "AwsAccount"
		}
		return "Other"
	}
	switch {
	case a.Service == "cloudtrail" && strings.HasPrefix(a.Resource, "trail/"):
		return "AwsCloudTrailTrail"
	case a.Service == "ec2" && strings.HasPrefix(a.Resource, "instance/"):
		return "AwsEc2Instance"
	case a.Service == "logs" && strings.HasPrefix(a.Resource, "log-group:"):
		return "AwsLogsLogGroup"
	case a.Service == "sns":
		return "AwsSnsTopic"
	case a.Service == "events" && strings.HasPrefix(a.Resource, "rule/"):
		return "AwsEventsRule"
	}
	return "Other"
}

// asffResourceID is the resource's ARN where lookout knows it (an instance id becomes the
// instance's ARN, an account id the account's ARN form AWS::::Account:ID), else its id.
func asffResourceID(f checks.Finding, part string) string {
	res := f.Resource
	switch {
	case res == "":
		return "AWS::::Account:" + f.Account
	case instanceIDRe.MatchString(res) && f.Region != "global":
		return arn.ARN{Partition: part, Service: "ec2", Region: f.Region, AccountID: f.Account, Resource: "instance/" + res}.String()
	case accountIDRe.MatchString(res):
		return "AWS::::Account:" + res
	}
	return res
}

// placeOf is where an ASFF or OCSF finding is filed: the finding's region (home for one of
// region "global", an account-wide check) and the partition of its resource there.
func placeOf(f checks.Finding, home string) (region, part string) {
	region = f.Region
	if region == "" || region == "global" {
		region = home
	}
	return region, partitionOf(region, f.Resource)
}

// partitionOf is the partition of a resource: the one its ARN names, else (an instance or
// account id) the one of its region (cn-, us-gov-, ISO regions), else "aws".
func partitionOf(region, resource string) string {
	if p := arnPartition(resource); p != "" {
		return p
	}
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	}
	return "aws"
}

// truncate shortens s to at most n characters, ending it with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
