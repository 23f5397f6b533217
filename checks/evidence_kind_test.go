package checks

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// TestEvidenceRoundTrip: every finding of the demo organisation, written as the JSON report
// writes it and read back, has evidence of its own type again (not a map), and is written
// again byte for byte; every kind the registry names turns up at least once.
func TestEvidenceRoundTrip(t *testing.T) {
	s, err := snapshot.Load("../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	// An account that could not be entered: its findings' evidence is the read error.
	s.Accounts = append(s.Accounts, snapshot.Account{ID: "999999999999", Error: &snapshot.ReadError{Operation: "sts:AssumeRole", Code: "AccessDenied", Message: "not authorized"}})
	fs := Run(s, All(), Options{})
	seen := map[string]bool{}
	for _, f := range fs {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatalf("%s %s: %v", f.CheckID, f.Resource, err)
		}
		var back Finding
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s %s: %v", f.CheckID, f.Resource, err)
		}
		if f.Evidence == nil {
			if back.Evidence != nil {
				t.Errorf("%s %s: no evidence, read back %T", f.CheckID, f.Resource, back.Evidence)
			}
			continue
		}
		seen[f.Evidence.EvidenceKind()] = true
		if reflect.TypeOf(back.Evidence) != reflect.TypeOf(f.Evidence) {
			t.Errorf("%s %s: evidence %T read back as %T", f.CheckID, f.Resource, f.Evidence, back.Evidence)
		}
		if !bytes.HasPrefix(b[bytes.Index(b, []byte(`"evidence":`)):], []byte(`"evidence":{"kind":"`+f.Evidence.EvidenceKind()+`"`)) {
			t.Errorf("%s %s: evidence does not start with its kind: %.120s", f.CheckID, f.Resource, b)
		}
		again, err := json.Marshal(back)
		if err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s %s: written again differs (%v):\n%s\n%s", f.CheckID, f.Resource, err, b, again)
		}
		if m, ok := back.Evidence.(CISMonitoringEvidence); ok && m.MetricFilterRoute != nil {
			if _, raw := m.MetricFilterRoute.(RawEvidence); raw {
				t.Errorf("%s %s: metric filter route read back undecoded", f.CheckID, f.Resource)
			}
		}
	}
	for kind := range evidenceKinds {
		if !seen[kind] {
			t.Errorf("no finding of the demo has evidence of kind %s", kind)
		}
	}
}

// TestUnknownEvidenceIsKept: evidence lookout cannot decode (a newer report's kind, or a
// report written before kinds) is kept as it was and written back unchanged.
func TestUnknownEvidenceIsKept(t *testing.T) {
	for _, ev := range []string{
		`{"kind":"from_the_future","x":[1,2]}`,
		`{"trail":"main","is_logging":false}`,
		`{"kind":"trails","trails_seen":"not a list"}`,
	} {
		in := `{"check_id":"c","title":"t","severity":"high","status":"FAIL","account":"1","region":"r","resource":"x","message":"m","evidence":` + ev + `}`
		var f Finding
		if err := json.Unmarshal([]byte(in), &f); err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		if _, ok := f.Evidence.(RawEvidence); !ok {
			t.Errorf("%s: read as %T, want RawEvidence", ev, f.Evidence)
		}
		out, err := json.Marshal(f)
		if err != nil || string(out) != in {
			t.Errorf("%s: written back as %s (%v)", ev, out, err)
		}
	}
}
