package root_test

// The command tree with its AWS steps replaced (root.Deps): scan, collect and fix run on the
// bundled demo snapshot as if they had read it from AWS, with no AWS and no moto.

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/internal/command/fixcmd"
	"github.com/lookout-audit/lookout/internal/command/root"
	"github.com/lookout-audit/lookout/internal/command/scope"
	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/snapshot"
	"github.com/lookout-audit/lookout/report"
)

const demo = "../../../fixtures/demo-org.json"

// fromFile is a collection step that "reads" the snapshot file and resolves no targets.
func fromFile(t *testing.T, path string) scope.CollectFunc {
	return func(context.Context, *scope.Options, scope.CollectParams) (*snapshot.Snapshot, *scope.Resolved, error) {
		s, err := snapshot.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		return s, nil, nil
	}
}

func runWith(t *testing.T, d root.Deps, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := root.MainWith(context.Background(), d, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func reportOf(t *testing.T, js string) *report.Report {
	t.Helper()
	r, err := report.ReadJSON(strings.NewReader(js))
	if err != nil {
		t.Fatalf("reading JSON report: %v\n%s", err, js)
	}
	return r
}

func planOf(t *testing.T, js string) plan.Document {
	t.Helper()
	var d plan.Document
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		t.Fatalf("reading fix output: %v\n%s", err, js)
	}
	return d
}

// A scan whose collection step is injected reports what scan --snapshot reports of the same
// snapshot; collect writes what the step returned.
func TestInjectedCollectFeedsScanAndCollect(t *testing.T) {
	d := root.Deps{Collect: fromFile(t, demo)}
	code, live, stderr := runWith(t, d, "scan", "--format", "json", "-q")
	if code != 1 {
		t.Fatalf("scan: exit %d, want 1 (the demo has failures): %s", code, stderr)
	}
	code, offline, stderr := runWith(t, root.Deps{}, "scan", "--snapshot", demo, "--format", "json")
	if code != 1 {
		t.Fatalf("scan --snapshot: exit %d: %s", code, stderr)
	}
	if got, want := reportOf(t, live).Findings, reportOf(t, offline).Findings; len(got) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("scan with the injected collection found %d findings, scan --snapshot %d, or they differ", len(got), len(want))
	}

	out := filepath.Join(t.TempDir(), "snap.json")
	if code, _, stderr := runWith(t, d, "collect", "--output", out, "-q"); code != 0 {
		t.Fatalf("collect: exit %d: %s", code, stderr)
	}
	written, err := snapshot.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := snapshot.Load(demo)
	if !reflect.DeepEqual(written.Accounts, want.Accounts) || !reflect.DeepEqual(written.Regions, want.Regions) {
		t.Error("collect did not write the snapshot its collection step returned")
	}
}

// fix --apply hands every plan it printed as planned to its apply step, reports the outcomes
// the step recorded, and exits 2 naming the failures when an action failed.
func TestInjectedApplyCarriesOutThePlan(t *testing.T) {
	var applied []string
	apply := func(_ context.Context, plans []plan.Plan, p fixcmd.ApplyParams) (int, error) {
		for i := range plans {
			for j := range plans[i].Actions {
				a := &plans[i].Actions[j]
				applied = append(applied, plans[i].Account+" "+a.IAMAction())
				a.Outcome = plan.Done
			}
		}
		plans[0].Actions[0].Outcome, plans[0].Actions[0].Detail = plan.Failed, "AccessDenied: injected"
		return 1, nil
	}
	d := root.Deps{Collect: fromFile(t, demo), Apply: apply}
	fix := []string{"fix", "--format", "json", "-q", "--notify-email", "security@example.com"}

	code, out, stderr := runWith(t, d, fix...)
	if code != 0 {
		t.Fatalf("fix: exit %d: %s", code, stderr)
	}
	dry := planOf(t, out)
	var planned []string
	for _, p := range dry.Plans {
		for _, a := range p.Actions {
			planned = append(planned, p.Account+" "+a.IAMAction())
		}
	}
	if dry.Applied || len(planned) == 0 || applied != nil {
		t.Fatalf("dry run: applied=%v, %d actions, apply step called %d times", dry.Applied, len(planned), len(applied))
	}

	code, out, stderr = runWith(t, d, append(fix, "--apply")...)
	if code != 2 || !strings.Contains(stderr, "1 action(s) failed") {
		t.Fatalf("fix --apply with one failed action: exit %d, want 2 naming the failure: %s", code, stderr)
	}
	if !reflect.DeepEqual(applied, planned) {
		t.Errorf("the apply step got\n%s\nthe dry run planned\n%s", strings.Join(applied, "\n"), strings.Join(planned, "\n"))
	}
	doc := planOf(t, out)
	if !doc.Applied || doc.Plans[0].Actions[0].Outcome != plan.Failed || doc.Plans[0].Actions[0].Detail != "AccessDenied: injected" {
		t.Errorf("document: applied=%v first action %+v", doc.Applied, doc.Plans[0].Actions[0])
	}
}

// The real apply step refuses, before any AWS call, a plan for an account the collection gave
// it no credentials for: exit 2 naming the account.
func TestExecuteWithoutCredentialsForThePlansAccount(t *testing.T) {
	d := root.Deps{Collect: fromFile(t, demo)} // no targets, so no credentials at all
	code, _, stderr := runWith(t, d, "fix", "--apply", "-q", "--checks", "cloudtrail-logging")
	if code != 2 || !strings.Contains(stderr, "no credentials for account 333333333333") {
		t.Errorf("exit %d, stderr %q; want 2 naming the account", code, stderr)
	}
}

// fix --snapshot plans from the file exactly what fix plans when its collection returns that
// snapshot, as JSON and as the table, and refuses --apply as invalid usage.
func TestFixSnapshotPlansAsFixDoes(t *testing.T) {
	live := root.Deps{Collect: fromFile(t, demo)}
	for _, format := range []string{"json", "table"} {
		args := []string{"fix", "--format", format, "-q", "--notify-email", "security@example.com"}
		code, want, stderr := runWith(t, live, args...)
		if code != 0 {
			t.Fatalf("fix --format %s: exit %d: %s", format, code, stderr)
		}
		code, got, stderr := runWith(t, root.Deps{}, append(args, "--snapshot", demo)...)
		if code != 0 {
			t.Fatalf("fix --snapshot --format %s: exit %d: %s", format, code, stderr)
		}
		if format == "json" {
			w, g := planOf(t, want), planOf(t, got)
			w.GeneratedAt, g.GeneratedAt = time.Time{}, time.Time{} // the only field that may differ
			if g.Applied || len(g.Plans) == 0 || !reflect.DeepEqual(w, g) {
				t.Errorf("fix --snapshot planned %d plans (applied=%v), fix %d, or they differ", len(g.Plans), g.Applied, len(w.Plans))
			}
		} else if got != want || !strings.Contains(got, "cloudtrail:StartLogging") {
			t.Errorf("fix --snapshot's table differs from fix's:\n%s\nwant:\n%s", got, want)
		}
	}
	code, out, stderr := runWith(t, root.Deps{}, "fix", "--snapshot", demo, "--apply")
	if code != 3 || out != "" || !strings.Contains(stderr, "--snapshot and --apply exclude each other") {
		t.Errorf("fix --snapshot --apply: exit %d, stdout %q, stderr %q; want 3 saying why", code, out, stderr)
	}
}
