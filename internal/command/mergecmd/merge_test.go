package mergecmd

import (
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/report"
)

func finding(account, region string, st checks.Status) checks.Finding {
	return checks.Finding{CheckID: "cloudtrail-logging", Title: "CloudTrail is logging in this region", Severity: checks.Critical,
		Status: st, Account: account, Region: region, Resource: "arn:aws:cloudtrail:" + region + ":" + account + ":trail/main", Message: "m"}
}

// rep builds a report of one shard (or unsharded when sh is "") with a finding per account.
func rep(sh string, at time.Time, accounts ...string) *report.Report {
	var fs []checks.Finding
	for _, a := range accounts {
		fs = append(fs, finding(a, "us-east-1", checks.Pass), finding(a, "us-west-2", checks.Fail))
	}
	return report.New(fs, report.Scope{Accounts: accounts, Regions: []string{"us-east-1", "us-west-2"}, Shard: sh}, at)
}

func in(name string, r *report.Report) Input { return Input{Name: name, Report: r} }

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestMergeJoinsShards(t *testing.T) {
	whole := rep("", t0.Add(time.Minute), "111111111111", "222222222222", "333333333333", "444444444444")
	got, err := Merge([]Input{
		in("s2.json", rep("2/3", t0.Add(time.Minute), "222222222222")),
		in("s1.json", rep("1/3", t0, "111111111111", "444444444444")),
		in("s3.json", rep("3/3", t0, "333333333333")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Scope.Shard != "" {
		t.Errorf("merged scope.shard = %q, want unsharded", got.Scope.Shard)
	}
	if strings.Join(got.Scope.Accounts, ",") != strings.Join(whole.Scope.Accounts, ",") ||
		strings.Join(got.Scope.Regions, ",") != strings.Join(whole.Scope.Regions, ",") {
		t.Errorf("scope %+v, want %+v", got.Scope, whole.Scope)
	}
	if !got.GeneratedAt.Equal(whole.GeneratedAt) {
		t.Errorf("generated_at %v, want the latest input's %v", got.GeneratedAt, whole.GeneratedAt)
	}
	if got.Summary != whole.Summary || len(got.Findings) != len(whole.Findings) {
		t.Fatalf("summary %+v (%d findings), want %+v (%d)", got.Summary, len(got.Findings), whole.Summary, len(whole.Findings))
	}
	for i := range got.Findings {
		g, w := got.Findings[i], whole.Findings[i]
		if g.Account != w.Account || g.Region != w.Region || g.Status != w.Status || g.Resource != w.Resource {
			t.Errorf("finding %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestMergeRefuses(t *testing.T) {
	other := rep("2/2", t0, "222222222222")
	other.Tool.Version = "0.0.1-other"
	tests := []struct {
		name    string
		inputs  []Input
		wantErr string
	}{
		{"different tool versions", []Input{in("a", rep("1/2", t0, "111111111111")), in("b", other)}, "written by lookout"},
		{"same shard twice", []Input{in("a", rep("1/2", t0, "111111111111")), in("b", rep("1/2", t0, "222222222222"))}, "are both shard 1/2"},
		{"shards of different N", []Input{in("a", rep("1/2", t0, "111111111111")), in("b", rep("2/3", t0, "222222222222"))}, "of 2 shards"},
		{"missing shard", []Input{in("a", rep("1/3", t0, "111111111111")), in("c", rep("3/3", t0, "333333333333"))}, "shard 2/3 missing"},
		{"sharded and unsharded", []Input{in("a", rep("1/1", t0, "111111111111")), in("b", rep("", t0, "222222222222"))}, "b is not a shard"},
		{"overlapping accounts", []Input{in("a", rep("", t0, "111111111111")), in("b", rep("", t0, "222222222222", "111111111111"))}, "account 111111111111 is in both a and b"},
		{"malformed shard", []Input{in("a", rep("index/2", t0, "111111111111"))}, "is not K/N"},
		{"finding outside scope", []Input{in("a", func() *report.Report {
			r := rep("", t0, "111111111111")
			r.Findings[0].Account = "999999999999"
			return r
		}())}, "not in its scope.accounts"},
		{"nothing", nil, "no report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Merge(tt.inputs)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Merge = %v, %v; want error containing %q", got, err, tt.wantErr)
			}
		})
	}
}

// Unsharded reports of disjoint accounts (e.g. separate --accounts runs) merge too.
func TestMergeDisjointUnshardedReports(t *testing.T) {
	got, err := Merge([]Input{in("a", rep("", t0, "111111111111")), in("b", rep("", t0, "222222222222"))})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Scope.Accounts) != 2 || got.Summary.Pass != 2 || got.Summary.Fail != 2 {
		t.Fatalf("merged %+v", got)
	}
}
