package waiver

import (
	"errors"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/checks"
)

// A waivers file is hand-written input: whatever it holds, Parse returns waivers with every
// required field, or an *Error saying where — never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("waivers:\n  - check: cloudtrail-logging\n    account: \"123456789012\"\n    region: us-east-1\n    resource: \"arn:*\"\n    reason: r\n    expires: 2027-03-31\n"))
	f.Add([]byte("waivers: []\n"))
	f.Add([]byte("waivers:\n  - {check: a, reason: b, expires: 2027-01-01}\n"))
	f.Add([]byte("waivers:\n  - &a {check: a}\n  - *a\n"))
	f.Add([]byte("- 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data, "fuzz.yml")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not a *waiver.Error", err)
			}
			return
		}
		for _, w := range file.Waivers {
			if w.Check == "" || w.Reason == "" || w.Expires == "" || w.lastDay.IsZero() {
				t.Fatalf("accepted an incomplete waiver %+v", w)
			}
			// Applying it never panics either.
			Apply(file, []checks.Finding{{CheckID: "a", Status: checks.Fail, Account: "123456789012", Region: "us-east-1", Resource: "r"}},
				Scope{Checks: []string{"a"}, Accounts: []string{"123456789012"}}, time.Now())
		}
	})
}
