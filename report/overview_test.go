package report

import (
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"
)

// TestOverviewLinesFold: the table's overview is a matrix when the accounts fit the width,
// one line per check counting accounts by worst status when they do not, and nothing for a
// single account.
func TestOverviewLinesFold(t *testing.T) {
	var fs []checks.Finding
	var accounts []string
	for i := 0; i < 6; i++ {
		acct := strings.Repeat(string(rune('1'+i)), 12)
		accounts = append(accounts, acct)
		st := checks.Pass
		if i%2 == 0 {
			st = checks.Fail
		}
		fs = append(fs, checks.Finding{CheckID: "cloudtrail-logging", Severity: checks.Critical, Status: st, Account: acct, Region: "us-east-1"})
	}
	r := New(fs, Scope{Accounts: accounts}, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	plain := func(_, s string) string { return s }
	wide := strings.Join(overviewLines(OverviewOf(r), 120, plain), "\n")
	if !strings.Contains(wide, "cloudtrail-logging  FAIL          PASS          FAIL") {
		t.Errorf("at 120 columns, want the matrix:\n%s", wide)
	}
	narrow := overviewLines(OverviewOf(r), 80, plain)
	if len(narrow) != 3 || !strings.Contains(narrow[1], "cloudtrail-logging  3 FAIL · 3 PASS") {
		t.Errorf("at 80 columns, want counts of accounts:\n%s", strings.Join(narrow, "\n"))
	}
	for _, l := range narrow {
		if len(l) > 80 {
			t.Errorf("line wider than 80: %q", l)
		}
	}
	if one := overviewLines(OverviewOf(New(fs[:1], Scope{Accounts: accounts[:1]}, time.Time{})), 120, plain); one != nil {
		t.Errorf("one account got an overview: %q", one)
	}
}
