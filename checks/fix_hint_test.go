package checks

import (
	"testing"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// TestFixHintsMatchPlanners keeps the report honest: after AnnotateFixes, a FAIL finding that
// says a fix is available gets a non-empty plan from its check's planner, and one that says no
// fix is available gets none. Run on the demo organisation, which fails every check somewhere.
func TestFixHintsMatchPlanners(t *testing.T) {
	s, err := snapshot.Load("../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	o := FixOptions{NotifyEmail: "security@example.com", Options: Options{SigninRegions: DefaultSigninRegions, SSHLogMaxAge: DefaultSSHLogMaxAge, Now: s.CollectedAt}}
	o.HomeRegion = fixHomeRegion(s.Regions)
	o.NotifyEmail = fixHintEmail
	findings := Run(s, All(), o.Options)
	AnnotateFixes(s, findings, o.Options)
	fails, available := 0, 0
	for _, f := range findings {
		if f.Status != Fail {
			continue
		}
		fails++
		if f.Fix == nil {
			t.Errorf("%s %s/%s: FAIL without a fix hint", f.CheckID, f.Account, f.Region)
			continue
		}
		planner := byID(f.CheckID).Plan
		var actions int
		if planner != nil {
			acts, _, err := planner(s, f, o)
			if err != nil {
				t.Errorf("%s %s/%s: planner error: %v", f.CheckID, f.Account, f.Region, err)
				continue
			}
			actions = len(acts)
		}
		if f.Fix.Available {
			available++
		}
		if f.Fix.Available != (actions > 0) {
			t.Errorf("%s %s/%s %s: fix hint says available=%v (%q) but the planner plans %d action(s)",
				f.CheckID, f.Account, f.Region, f.Resource, f.Fix.Available, f.Fix.Summary, actions)
		}
	}
	if fails == 0 || available == 0 || available == fails {
		t.Fatalf("the demo has %d FAIL findings, %d with a fix: both kinds are needed for this test to mean anything", fails, available)
	}
}
