package root

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/faultproxy"
	"github.com/lookout-audit/lookout/internal/plan"
)

func planDoc(t *testing.T, out string) plan.Document {
	t.Helper()
	var d plan.Document
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("reading fix output: %v\n%s", err, out)
	}
	return d
}

// TestFixApplyUnderFaultsIsResumable: a call denied halfway through the StopLogging
// remediation plan stops that plan, reports what was done, failed and skipped, and exits 2;
// once the fault is gone a rerun finishes the plan without touching what was already made;
// a third run plans nothing.
func TestFixApplyUnderFaultsIsResumable(t *testing.T) {
	_, p := faultSetup(t)
	fix := []string{"fix", "--checks", "cloudtrail-stoplogging-remediation", "--regions", "us-east-1", "--format", "json", "-q"}

	code, out, stderr := run(t, fix...)
	if code != 1 && code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, stderr)
	}
	planned := planDoc(t, out)
	var ops []string
	for _, pl := range planned.Plans {
		for _, a := range pl.Actions {
			ops = append(ops, a.IAMAction())
		}
	}
	if !strings.Contains(strings.Join(ops, " "), "events:PutTargets") || len(ops) < 4 {
		t.Fatalf("expected the StopLogging remediation (role, function, rule, target...), planned %v", ops)
	}

	p.SetFaults(faultproxy.Fault{Operation: "events:PutTargets", Kind: faultproxy.AccessDenied})
	code, out, stderr = run(t, append(fix, "--apply")...)
	if code != 2 || !strings.Contains(stderr, "failed") {
		t.Fatalf("apply with PutTargets denied: exit %d, want 2 and the failure named\nstderr: %s", code, stderr)
	}
	outcomes := map[plan.Outcome]int{}
	for _, pl := range planDoc(t, out).Plans {
		for _, a := range pl.Actions {
			outcomes[a.Outcome]++
			if a.IAMAction() == "events:PutTargets" && (a.Outcome != plan.Failed || !strings.Contains(a.Detail, "AccessDenied")) {
				t.Errorf("PutTargets: outcome %s %q, want failed with the AccessDenied reason", a.Outcome, a.Detail)
			}
		}
	}
	if outcomes[plan.Done] == 0 || outcomes[plan.Failed] != 1 {
		t.Errorf("outcomes %v: want the actions before PutTargets done and exactly one failure", outcomes)
	}

	p.SetFaults()
	code, out, stderr = run(t, append(fix, "--apply")...)
	if code != 0 {
		t.Fatalf("rerun after the fault: exit %d: %s", code, stderr)
	}
	rerun := map[plan.Outcome]int{}
	for _, pl := range planDoc(t, out).Plans {
		for _, a := range pl.Actions {
			rerun[a.Outcome]++
		}
	}
	if rerun[plan.Failed] != 0 || rerun[plan.Skipped] != 0 || rerun[plan.Done] == 0 {
		t.Errorf("rerun outcomes %v: want the rest done, nothing failed or skipped", rerun)
	}

	code, out, stderr = run(t, fix...)
	if code != 0 {
		t.Fatalf("after the fix: exit %d: %s", code, stderr)
	}
	if d := planDoc(t, out); len(d.Plans) != 0 {
		t.Errorf("a third run still plans %d plan(s): %+v", len(d.Plans), d.Plans)
	}
}
