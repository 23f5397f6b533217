package filterpattern

import (
	"errors"
	"testing"
)

var fuzzSeeds = []string{
	`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`,
	`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`,
	`{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`,
	`{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" }`,
	`{ $.a[0].b = 1.5e3 || $.c IS NULL && $.d IS TRUE }`,
	`{ $.['cluster.name'] = %^c.*% }`,
	`"Accepted publickey for"`,
	`?ERROR ?WARN -Exiting "a b"`,
	`%AUTHORIZED%`,
	`[ip, user, ..., status_code=4* || status_code = 5*, size>1000]`,
	`[..., a = "x", ...]`,
	``,
	`" "`,
}

var fuzzMessages = []string{
	`{"userIdentity":{"type":"Root"},"eventType":"AwsApiCall","a":[{"b":1500}],"c":null,"d":true}`,
	`Nov 22 10:00:00 ip-10-0-0-1 sshd[123]: Accepted publickey for ubuntu from 203.0.113.5 port 50022 ssh2`,
	`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`,
	``,
}

// FuzzParse checks that Parse never panics, that errors are *SyntaxError with an in-range
// position, and that String() of a parsed pattern parses again.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		p, err := Parse(pattern)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Pos < 0 || se.Pos > len(pattern) {
				t.Fatalf("error position %d outside pattern of %d bytes", se.Pos, len(pattern))
			}
			return
		}
		canon := p.String()
		q, err := Parse(canon)
		if err != nil {
			t.Fatalf("String() of %q = %q does not parse: %v", pattern, canon, err)
		}
		for _, m := range fuzzMessages {
			if a, b := p.Match(m).Matched, q.Match(m).Matched; a != b {
				t.Fatalf("%q and its String() %q disagree on %q: %v vs %v", pattern, canon, m, a, b)
			}
		}
	})
}

// FuzzMatch checks that matching any message against any valid pattern never panics and that
// a non-match carries no fields.
func FuzzMatch(f *testing.F) {
	for _, s := range fuzzSeeds {
		for _, m := range fuzzMessages {
			f.Add(s, m)
		}
	}
	f.Fuzz(func(t *testing.T, pattern, message string) {
		p, err := Parse(pattern)
		if err != nil {
			return
		}
		r := p.Match(message)
		if !r.Matched && r.Fields != nil {
			t.Fatalf("non-match with fields %v", r.Fields)
		}
		if r.Matched {
			for k := range r.Fields {
				_, _ = MetricValue(k, r, message)
			}
		}
	})
}
