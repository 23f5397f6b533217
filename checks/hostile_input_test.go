package checks

import (
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// TestHostilePatternsNeverPassOrPanic replaces every EventBridge pattern and metric filter
// pattern of the demo organisation with hostile ones — a megabyte long, nested thousands deep,
// or truncated — and runs every check. Nothing may panic, and no check that depends on those
// patterns may PASS.
func TestHostilePatternsNeverPassOrPanic(t *testing.T) {
	hostile := map[string]struct{ rule, filter string }{
		"megabyte long": {
			rule:   `{"source":["aws.signin"],"detail":{"eventName":["` + strings.Repeat("x", 1<<20) + `"]}}`,
			filter: `{ $.eventName = "` + strings.Repeat("y", 1<<20) + `" }`,
		},
		"deeply nested": {
			rule:   strings.Repeat(`{"a":`, 5000) + `["x"]` + strings.Repeat(`}`, 5000),
			filter: "{ " + strings.Repeat("(", 5000) + `$.a = 1` + strings.Repeat(")", 5000) + " }",
		},
		"truncated": {
			rule:   `{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"`,
			filter: `{ $.userIdentity.type = "Root" && `,
		},
		"not a pattern at all": {
			rule:   "\x00\xff\xfe",
			filter: "\x00\xff\xfe",
		},
	}
	patternChecks := map[string]bool{
		"cloudtrail-stoplogging-remediation": true, "cloudwatch-root-usage-alarm": true,
		"cloudwatch-api-without-mfa-alarm": true, "cloudwatch-console-signin-without-mfa-alarm": true,
		"eventbridge-console-signin-rule": true, "eventbridge-ec2-state-change-rule": true, "cloudwatch-ssh-login-alarm": true,
	}
	for name, h := range hostile {
		t.Run(name, func(t *testing.T) {
			s, err := snapshot.Load("../fixtures/demo-org.json")
			if err != nil {
				t.Fatal(err)
			}
			rules, filters := 0, 0
			for ai := range s.Accounts {
				for ri := range s.Accounts[ai].Regions {
					r := &s.Accounts[ai].Regions[ri]
					if r.EventBridge != nil {
						for i := range r.EventBridge.Rules {
							r.EventBridge.Rules[i].EventPattern = h.rule
							rules++
						}
					}
					if r.Logs != nil {
						for i := range r.Logs.MetricFilters {
							r.Logs.MetricFilters[i].Pattern = h.filter
							filters++
						}
					}
				}
			}
			if rules == 0 || filters == 0 {
				t.Fatalf("the demo has %d rules and %d filters: nothing hostile was tested", rules, filters)
			}
			fs := Run(s, All(), Options{})
			if len(fs) == 0 {
				t.Fatal("no findings")
			}
			notEvaluated := map[string]bool{}
			for _, f := range fs {
				if f.Status == Error && strings.Contains(f.Reasoning(), "could not be evaluated") {
					notEvaluated[f.CheckID] = true
				}
				if patternChecks[f.CheckID] && f.Status == Pass {
					t.Errorf("%s %s/%s passed on hostile patterns: %s", f.CheckID, f.Account, f.Region, f.Message)
				}
				if len(f.Message) > 4096 {
					t.Errorf("%s: message of %d bytes echoes the hostile input", f.CheckID, len(f.Message))
				}
			}
			// A pattern AWS accepted but lookout cannot evaluate is lookout's blind spot: ERROR.
			for _, id := range []string{"cloudwatch-root-usage-alarm", "eventbridge-console-signin-rule", "cloudtrail-stoplogging-remediation"} {
				if !notEvaluated[id] {
					t.Errorf("%s: no ERROR saying a pattern could not be evaluated", id)
				}
			}
		})
	}
}
