package scancmd_test

// The Security Hub import against moto_server's Security Hub: what BatchImportFindings stored
// is read back with GetFindings.

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/command/scancmd"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/snapshot"
	"github.com/lookout-audit/lookout/policies"
	"github.com/lookout-audit/lookout/report"
)

// hubFindings reads every finding of the Security Hub of cfg's account in region.
func hubFindings(t *testing.T, cfg aws.Config, region string) map[string]shtypes.AwsSecurityFinding {
	t.Helper()
	client := securityhub.NewFromConfig(cfg, func(o *securityhub.Options) { o.Region = region })
	out := map[string]shtypes.AwsSecurityFinding{}
	pages := securityhub.NewGetFindingsPaginator(client, &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetFindings in %s: %v", region, err)
		}
		for _, f := range page.Findings {
			out[aws.ToString(f.Id)] = f
		}
	}
	return out
}

// assumed returns a configuration acting as account id in moto (moto lets any role be
// assumed; the credentials then act in that account).
func assumed(srv *motoserver.Server, id string) aws.Config {
	cfg := srv.Config("us-east-1")
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg),
		"arn:aws:iam::"+id+":role/OrganizationAccountAccessRole"))
	return cfg
}

// scan --snapshot --security-hub imports every finding into its own account's Security Hub in
// its region, with ASFF's required fields; an account that could not be read is imported as
// NOT_AVAILABLE; a later scan in which a failure passes updates the same finding to PASSED
// (Security Hub then resolves it) instead of adding one.
func TestSecurityHubImport(t *testing.T) {
	srv := motoserver.Start(t)
	srv.UseAsDefault(t)
	const other = "222222222222"

	snap := func(eastLogging bool) string {
		s := account(map[string]bool{"us-east-1": eastLogging, "us-west-2": true})
		s.Accounts = append(s.Accounts, snapshot.Account{ID: other, Partition: "aws",
			Error: &snapshot.ReadError{Operation: "sts:AssumeRole", Code: "AccessDenied", Message: "not authorized"}})
		s.Sort()
		return snapshotFile(t, s)
	}
	run := func(eastLogging bool) (*report.Report, string) {
		t.Helper()
		code, stdout, stderr := lookout(t, "scan", "--checks", "cloudtrail-logging", "--snapshot", snap(eastLogging),
			"--security-hub", "--format", "json", "--fail-on", "none", "--accounts", acct+","+other)
		if code != 2 { // the unreadable account makes the scan incomplete
			t.Fatalf("exit %d, want 2\nstderr:\n%s", code, stderr)
		}
		rep, err := report.ReadJSON(strings.NewReader(stdout))
		if err != nil {
			t.Fatal(err)
		}
		return rep, stderr
	}

	rep, stderr := run(false)
	if !strings.Contains(stderr, "Security Hub: imported 3 finding(s) into 3 account/region(s)") {
		t.Errorf("stderr lacks the import summary:\n%s", stderr)
	}
	wantStatus := map[checks.Status]shtypes.ComplianceStatus{checks.Fail: "FAILED", checks.Pass: "PASSED", checks.Error: "NOT_AVAILABLE"}
	ids := map[string]checks.Finding{}
	for _, f := range rep.Findings {
		ids[report.ASFFId(f)] = f
	}
	check := func(cfg aws.Config, account, region string, want map[string]shtypes.ComplianceStatus) {
		t.Helper()
		got := hubFindings(t, cfg, region)
		if len(got) != len(want) {
			t.Errorf("%s %s: %d findings in Security Hub, want %d", account, region, len(got), len(want))
		}
		for id, st := range want {
			f, ok := got[id]
			if !ok {
				t.Errorf("%s %s: finding %s not imported", account, region, id)
				continue
			}
			if f.Compliance == nil || f.Compliance.Status != st {
				t.Errorf("%s: Compliance %+v, want %s", id, f.Compliance, st)
			}
			if aws.ToString(f.AwsAccountId) != account || aws.ToString(f.ProductArn) != report.ASFFProductArn("aws", region, account) ||
				aws.ToString(f.SchemaVersion) != "2018-10-08" || aws.ToString(f.GeneratorId) != "lookout/cloudtrail-logging" ||
				len(f.Resources) != 1 || f.Severity == nil || len(f.Types) == 0 || aws.ToString(f.Title) == "" {
				t.Errorf("%s: stored finding lacks ASFF fields: %+v", id, f)
			}
			if len(f.Compliance.RelatedRequirements) == 0 || !strings.Contains(strings.Join(f.Compliance.RelatedRequirements, ","), "CIS AWS Foundations Benchmark") {
				t.Errorf("%s: RelatedRequirements %v", id, f.Compliance.RelatedRequirements)
			}
		}
	}
	want := func(account, region string) map[string]shtypes.ComplianceStatus {
		out := map[string]shtypes.ComplianceStatus{}
		for id, f := range ids {
			r := f.Region
			if r == "global" {
				r = "us-east-1"
			}
			if f.Account == account && r == region {
				out[id] = wantStatus[f.Status]
			}
		}
		return out
	}
	caller := srv.Config("us-east-1")
	check(caller, acct, "us-east-1", want(acct, "us-east-1"))
	check(caller, acct, "us-west-2", want(acct, "us-west-2"))
	check(assumed(srv, other), other, "us-east-1", want(other, "us-east-1"))

	// us-east-1 is fixed: the same finding becomes PASSED.
	rep2, _ := run(true)
	east := hubFindings(t, caller, "us-east-1")
	if len(east) != 1 {
		t.Fatalf("us-east-1 holds %d findings after the rescan, want the same 1", len(east))
	}
	for _, f := range rep2.Findings {
		if f.Account == acct && f.Region == "us-east-1" {
			got := east[report.ASFFId(f)]
			if got.Compliance == nil || got.Compliance.Status != "PASSED" {
				t.Errorf("after the fix: %+v, want PASSED", got.Compliance)
			}
			if got.Severity == nil || got.Severity.Label != "INFORMATIONAL" {
				t.Errorf("after the fix: severity %+v, want INFORMATIONAL", got.Severity)
			}
		}
	}
}

// Many findings go in batches of at most 100, every call is allowed by
// policies/lookout-securityhub.json, and every action of that policy is used.
func TestSecurityHubBatchesAndPolicy(t *testing.T) {
	srv := motoserver.Start(t)
	var fs []checks.Finding
	for i := 0; i < 250; i++ {
		fs = append(fs, checks.Finding{CheckID: "ec2-instance-ssm-managed", Title: "Running instances are managed by SSM",
			Severity: checks.High, Status: []checks.Status{checks.Fail, checks.Pass}[i%2],
			Account: motoserver.DefaultAccount, Region: "eu-west-1", Resource: fmt.Sprintf("i-%017x", i), Message: "instance is not managed"})
	}
	rep := report.New(fs, report.Scope{Accounts: []string{motoserver.DefaultAccount}, Regions: []string{"eu-west-1"}}, time.Now())
	cfg := srv.Config("eu-west-1")
	var rec awsclient.Recorder
	rec.Attach(&cfg)
	results, err := scancmd.ImportToSecurityHub(motoserver.Ctx(t), rep, map[string]aws.Config{motoserver.DefaultAccount: cfg})
	if err != nil {
		t.Fatalf("import: %v (%+v)", err, results)
	}
	var sizes []int
	for _, c := range rec.Calls() {
		if c.Operation != "BatchImportFindings" {
			t.Errorf("unexpected call %s:%s", c.Service, c.Operation)
			continue
		}
		sizes = append(sizes, strings.Count(c.Input, `"SchemaVersion"`))
	}
	sort.Sort(sort.Reverse(sort.IntSlice(sizes)))
	if fmt.Sprint(sizes) != "[100 100 50]" {
		t.Errorf("batch sizes %v, want [100 100 50]", sizes)
	}
	if got := hubFindings(t, srv.Config("eu-west-1"), "eu-west-1"); len(got) != 250 {
		t.Errorf("%d findings stored, want 250", len(got))
	}

	granted, err := policies.Actions(policies.SecurityHub)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for op := range rec.Operations() {
		// The recorder names the SDK service id ("SecurityHub"); IAM uses the prefix.
		action := "securityhub:" + strings.SplitN(op, ":", 2)[1]
		used[action] = true
		if !contains(granted, action) {
			t.Errorf("%s is called but policies/lookout-securityhub.json does not grant it", action)
		}
	}
	for _, a := range granted {
		if !used[a] {
			t.Errorf("policies/lookout-securityhub.json grants %s, which nothing calls", a)
		}
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// A live scan imports with the credentials it collected with.
func TestSecurityHubImportLive(t *testing.T) {
	srv := motoserver.Start(t)
	srv.UseAsDefault(t)
	code, _, stderr := lookout(t, "scan", "--regions", "us-east-1", "--checks", "cloudtrail-logging", "--security-hub", "-q", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "Security Hub: imported 1 finding(s) into 1 account/region(s)") {
		t.Errorf("stderr:\n%s", stderr)
	}
	got := hubFindings(t, srv.Config("us-east-1"), "us-east-1")
	if len(got) != 1 {
		t.Fatalf("%d findings in Security Hub, want 1", len(got))
	}
	for _, f := range got {
		if f.Compliance == nil || f.Compliance.Status != "FAILED" {
			t.Errorf("an account without a trail: %+v, want FAILED", f.Compliance)
		}
	}
}
