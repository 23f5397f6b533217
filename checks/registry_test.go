package checks

import "testing"

func byID(id string) *Check {
	for _, c := range All() {
		if c.ID == id {
			return c
		}
	}
	panic("no check " + id)
}

// TestRegistryIsOneSourceOfTruth: what `lookout checks`, SARIF rule help, README and fix hints
// say about a check comes from the check itself, so it cannot disagree with what `lookout fix`
// does. A check has a fix summary exactly when it has a planner, and every text is filled in.
func TestRegistryIsOneSourceOfTruth(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range All() {
		if seen[c.ID] {
			t.Errorf("check %s registered twice", c.ID)
		}
		seen[c.ID] = true
		if (c.Plan != nil) != (c.FixSummary != "") {
			t.Errorf("%s: has planner %v but fix summary %q", c.ID, c.Plan != nil, c.FixSummary)
		}
		if c.HasFix() != (c.Plan != nil) {
			t.Errorf("%s: HasFix disagrees with Plan", c.ID)
		}
		if c.Title == "" || c.Verifies == "" || c.Remediation == "" || c.Service == "" || c.Severity.Rank() == 0 || c.Run == nil {
			t.Errorf("%s: incomplete registry entry", c.ID)
		}
	}
	// Issue: both SSH checks have planners and must say so.
	for _, id := range []string{"cloudwatch-ssh-login-alarm", "ssm-cloudwatch-agent-ssh-logs"} {
		if !byID(id).HasFix() || byID(id).FixSummary == "" {
			t.Errorf("%s: lookout fix plans it, but the registry says it has no fix", id)
		}
	}
}
