package waiver

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"
)

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"cloudtrail-logging", "cloudtrail-logging", true},
		{"cloudtrail-logging", "cloudtrail-logging-x", false},
		{"cloudtrail-*", "cloudtrail-logging", true},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"arn:aws:cloudtrail:*:trail/legacy-*", "arn:aws:cloudtrail:us-east-1:123456789012:trail/legacy-writes", true}, // '*' crosses ':' and '/'
		{"arn:aws:cloudtrail:*:trail/legacy-*", "arn:aws:cloudtrail:us-east-1:123456789012:trail/main", false},
		{"us-?ast-1", "us-east-1", true},
		{"us-?ast-1", "us-ast-1", false},
		{"*-1", "us-east-1", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"I-0ABC", "i-0abc", false}, // case-sensitive, as AWS ids
	}
	for _, c := range cases {
		if got := Glob(c.pattern, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// A malformed file is an error naming the line and the field at fault.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, doc string
		line      int
		field     string
		msg       string
	}{
		{"missing reason", "waivers:\n  - check: cloudtrail-logging\n    expires: 2027-01-01\n", 2, "waivers[0].reason", "missing"},
		{"missing expires", "waivers:\n  - check: cloudtrail-logging\n    reason: r\n", 2, "waivers[0].expires", "missing"},
		{"missing check", "waivers:\n  - reason: r\n    expires: 2027-01-01\n", 2, "waivers[0].check", "missing"},
		{"bad date", "waivers:\n  - check: c\n    reason: r\n    expires: 2027-13-01\n", 4, "waivers[0].expires", "not a date"},
		{"date in other format", "waivers:\n  - check: c\n    reason: r\n    expires: 01/02/2027\n", 4, "waivers[0].expires", "YYYY-MM-DD"},
		{"empty reason", "waivers:\n  - check: c\n    reason: \"\"\n    expires: 2027-01-01\n", 3, "waivers[0].reason", "empty"},
		{"null reason", "waivers:\n  - check: c\n    reason:\n    expires: 2027-01-01\n", 3, "waivers[0].reason", "single value"},
		{"unknown field (typo)", "waivers:\n  - check: c\n    reason: r\n    expires: 2027-01-01\n    acount: \"123456789012\"\n", 5, "waivers[0].acount", "unknown field"},
		{"bad account", "waivers:\n  - check: c\n    account: 12345\n    reason: r\n    expires: 2027-01-01\n", 3, "waivers[0].account", "12-digit"},
		{"list as value", "waivers:\n  - check: [a, b]\n    reason: r\n    expires: 2027-01-01\n", 2, "waivers[0].check", "single value"},
		{"duplicate field", "waivers:\n  - check: a\n    check: b\n    reason: r\n    expires: 2027-01-01\n", 3, "waivers[0].check", "twice"},
		{"second entry", "waivers:\n  - check: a\n    reason: r\n    expires: 2027-01-01\n  - check: b\n    reason: r\n", 5, "waivers[1].expires", "missing"},
		{"entry not a mapping", "waivers:\n  - cloudtrail-logging\n", 2, "waivers[0]", "mapping"},
		{"waivers not a list", "waivers: yes\n", 1, "waivers", "list"},
		{"unknown top-level key", "waiver:\n  - check: a\n", 1, "waiver", "unknown top-level key"},
		{"top level a list", "- check: a\n", 1, "", "top level"},
		{"YAML syntax", "waivers:\n  - check: a\n    reason: r: x\n", 3, "", "mapping values are not allowed"},
		{"unclosed flow list", "waivers:\n  - check: a\n    reason: [r\n", 2, "", "invalid YAML"},
		{"tab indentation", "waivers:\n\t- check: a\n", 2, "", "invalid YAML"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc), "waivers.yml")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Line != c.line || e.Field != c.field || !strings.Contains(e.Msg, c.msg) {
				t.Errorf("got line %d field %q msg %q, want line %d field %q msg containing %q", e.Line, e.Field, e.Msg, c.line, c.field, c.msg)
			}
			if !strings.HasPrefix(err.Error(), "waivers file waivers.yml:") {
				t.Errorf("message %q does not start with the file and line", err)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	doc := `# accepted risks
waivers:
  - check: cloudtrail-logging
    account: 012345678901   # leading zero kept: read as text, not a number
    region: us-east-1
    resource: "arn:aws:cloudtrail:*:trail/legacy-*"
    reason: legacy trail, retired in SEC-123
    expires: 2027-03-31
  - check: "eventbridge-*"
    reason: sandbox org
    expires: "2026-12-31"
`
	f, err := Parse([]byte(doc), "w.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Waivers) != 2 {
		t.Fatalf("%d waivers", len(f.Waivers))
	}
	w := f.Waivers[0]
	if w.Account != "012345678901" || w.Line != 3 || w.Expires != "2027-03-31" || w.Reason != "legacy trail, retired in SEC-123" {
		t.Errorf("waiver 0 = %+v", w)
	}
	if f.Waivers[1].Account != "" || f.Waivers[1].Line != 9 {
		t.Errorf("waiver 1 = %+v", f.Waivers[1])
	}
	for _, empty := range []string{"", "  \n# nothing yet\n", "waivers:\n", "waivers: []\n"} {
		if f, err := Parse([]byte(empty), "w.yml"); err != nil || len(f.Waivers) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want no waivers and no error", empty, f, err)
		}
	}
}

func TestCheckIDs(t *testing.T) {
	f, err := Parse([]byte("waivers:\n  - check: \"cloudtrail-*\"\n    reason: r\n    expires: 2027-01-01\n  - check: cloudtrail-loging\n    reason: r\n    expires: 2027-01-01\n"), "w.yml")
	if err != nil {
		t.Fatal(err)
	}
	err = f.CheckIDs([]string{"cloudtrail-logging"})
	var e *Error
	if !errors.As(err, &e) || e.Line != 5 || e.Field != "waivers[1].check" || !strings.Contains(e.Msg, "cloudtrail-loging") {
		t.Errorf("err = %v, want the typo on line 5", err)
	}
}

// The waiver applies through its expires day (UTC), not a second longer.
func TestExpiry(t *testing.T) {
	w := Waiver{Expires: "2026-11-22", lastDay: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	seoul := time.FixedZone("KST", 9*3600)
	cases := []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2026, 11, 22, 23, 59, 59, 0, time.UTC), false},
		{time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2026, 11, 23, 8, 0, 0, 0, seoul), false}, // 2026-11-22T23:00Z
		{time.Date(2026, 11, 23, 9, 0, 0, 0, seoul), true},  // 2026-11-23T00:00Z
	}
	for _, c := range cases {
		if got := w.Expired(c.now); got != c.want {
			t.Errorf("Expired(%s) = %v, want %v", c.now, got, c.want)
		}
	}
}

// The acceptance case of issue #6: one valid, one expired and one unmatched waiver.
func TestApply(t *testing.T) {
	const acct = "123456789012"
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f, err := Parse([]byte(`waivers:
  - check: cloudtrail-logging          # valid: waives the legacy trail
    account: "123456789012"
    resource: "arn:aws:cloudtrail:*:trail/legacy-*"
    reason: legacy trail, retired in SEC-123
    expires: 2027-03-31
  - check: cloudtrail-logging          # expired yesterday
    region: us-west-2
    reason: was being migrated
    expires: 2026-11-21
  - check: cloudtrail-logging          # matches nothing (the trail passes now)
    region: ap-northeast-2
    reason: old exception
    expires: 2027-01-01
  - check: cloudtrail-logging          # matches only an ERROR: cannot tell, so not reported
    region: eu-west-1
    reason: r
    expires: 2027-01-01
  - check: cloudtrail-logging          # another account (another shard): not reported
    account: "999999999999"
    reason: r
    expires: 2027-01-01
`), "waivers.yml")
	if err != nil {
		t.Fatal(err)
	}
	fd := func(region, resource string, st checks.Status) checks.Finding {
		return checks.Finding{CheckID: "cloudtrail-logging", Severity: checks.Critical, Status: st, Account: acct, Region: region, Resource: resource}
	}
	in := []checks.Finding{
		fd("us-east-1", "arn:aws:cloudtrail:us-east-1:"+acct+":trail/legacy-writes", checks.Fail),
		fd("us-west-2", "arn:aws:cloudtrail:us-west-2:"+acct+":trail/main", checks.Fail),
		fd("ap-northeast-2", "arn:aws:cloudtrail:ap-northeast-2:"+acct+":trail/main", checks.Pass),
		fd("eu-west-1", "arn:aws:cloudtrail:eu-west-1:"+acct+":trail/*", checks.Error),
		fd("us-east-2", "arn:aws:cloudtrail:us-east-2:"+acct+":trail/legacy-old", checks.Pass),
	}
	sc := Scope{Checks: []string{"cloudtrail-logging"}, Accounts: []string{acct}, Regions: []string{"us-east-1", "us-west-2", "ap-northeast-2", "eu-west-1", "us-east-2"}}
	out := Apply(f, in, sc, now)

	wantStatus := []checks.Status{checks.Waived, checks.Fail, checks.Pass, checks.Error, checks.Pass}
	for i, st := range wantStatus {
		if out.Findings[i].Status != st {
			t.Errorf("finding %d (%s) is %s, want %s", i, out.Findings[i].Region, out.Findings[i].Status, st)
		}
	}
	if n := out.Findings[0].Waiver; n == nil || n.Reason != "legacy trail, retired in SEC-123" || n.Expires != "2027-03-31" {
		t.Errorf("waiver note = %+v", n)
	}
	if in[0].Status != checks.Fail {
		t.Error("Apply modified its input")
	}
	if len(out.Warnings) != 2 {
		t.Fatalf("warnings = %q, want 2 (expired, unmatched)", out.Warnings)
	}
	if w := out.Warnings[0]; !strings.Contains(w, "waivers.yml:7") || !strings.Contains(w, "expired on 2026-11-21") || !strings.Contains(w, "1 FAIL finding(s) it matched count again") {
		t.Errorf("expired warning = %q", w)
	}
	if w := out.Warnings[1]; !strings.Contains(w, "waivers.yml:11") || !strings.Contains(w, "matches no FAIL finding") {
		t.Errorf("unmatched warning = %q", w)
	}
	// A waiver for a check that was not run is out of scope too.
	out = Apply(f, nil, Scope{Checks: []string{"other-check"}, Accounts: []string{acct}}, now)
	if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "expired") {
		t.Errorf("with no cloudtrail-logging run, warnings = %q; want only the expiry", out.Warnings)
	}
}

func TestApplyFirstWaiverWins(t *testing.T) {
	f, err := Parse([]byte("waivers:\n  - check: c\n    reason: first\n    expires: 2027-01-01\n  - check: \"*\"\n    reason: second\n    expires: 2027-01-01\n"), "w.yml")
	if err != nil {
		t.Fatal(err)
	}
	in := []checks.Finding{{CheckID: "c", Status: checks.Fail, Account: "123456789012", Region: "us-east-1", Resource: "r"}}
	out := Apply(f, in, Scope{Checks: []string{"c"}, Accounts: []string{"123456789012"}, Regions: []string{"us-east-1"}}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if out.Findings[0].Waiver == nil || out.Findings[0].Waiver.Reason != "first" {
		t.Errorf("waiver = %+v, want the first matching entry", out.Findings[0].Waiver)
	}
	if len(out.Warnings) != 0 {
		t.Errorf("the second waiver also matched; warnings = %q", out.Warnings)
	}
}
