package checks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/route"
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

// TestEvidenceKeepsPathsAndTheClosest: evidence keeps the filters and rules on a path that
// holds (or the closest one) and only names the rest; every filter of a judged log group is
// either kept or named, never both, never lost.
func TestEvidenceKeepsPathsAndTheClosest(t *testing.T) {
	s, err := snapshot.Load("../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	type compacted struct{ kept, others []string }
	// walk collects, per JSON path, the filters and rules an evidence keeps and names.
	var walk func(o any, path string, filters, rules map[string]compacted, groups map[string]string)
	names := func(list any, key string) []string {
		var out []string
		for _, x := range asList(list) {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m[key].(string))
			} else {
				out = append(out, x.(string))
			}
		}
		return out
	}
	walk = func(o any, path string, filters, rules map[string]compacted, groups map[string]string) {
		switch o := o.(type) {
		case map[string]any:
			if _, ok := o["log_group"]; ok && (o["metric_filters"] != nil || o["other_metric_filters"] != nil) {
				filters[path] = compacted{names(o["metric_filters"], "name"), names(o["other_metric_filters"], "")}
				groups[path] = o["log_group"].(string)
			}
			if o["other_rules"] != nil || o["rules"] != nil {
				rules[path] = compacted{names(o["rules"], "rule"), names(o["other_rules"], "")}
			}
			for k, v := range o {
				walk(v, path+"/"+k, filters, rules, groups)
			}
		case []any:
			for i, v := range o {
				walk(v, fmt.Sprintf("%s/%d", path, i), filters, rules, groups)
			}
		}
	}
	type want struct {
		filters, rules map[string]compacted
	}
	cases := map[string]want{
		// UnauthorizedAPICalls is the closest (misses nothing, matches reads too); IAMPolicyChanges
		// counts two of the events (a partial path); no rule matches at all.
		"cloudwatch-organizations-changes-alarm 111111111111 us-east-1": {
			filters: map[string]compacted{"/metric_filter_route/chains/0": {[]string{"IAMPolicyChanges", "UnauthorizedAPICalls"}, []string{"ApiActivityWithoutMFA", "ConsoleSignInWithoutMfa", "RootAccountUsage"}}},
			rules:   map[string]compacted{"/eventbridge_route/us-east-1": {nil, []string{"console-signin", "enable_trail"}}},
		},
		// RootAccountUsage counts every event, so the closest of the rest is not kept.
		"cloudwatch-root-usage-alarm 111111111111 us-east-1": {
			filters: map[string]compacted{"/chains/0": {[]string{"ConsoleSignInWithoutMfa", "RootAccountUsage"}, []string{"ApiActivityWithoutMFA", "IAMPolicyChanges", "UnauthorizedAPICalls"}}},
			rules:   map[string]compacted{},
		},
		"cloudtrail-stoplogging-remediation 111111111111 us-east-1": {
			filters: map[string]compacted{},
			rules:   map[string]compacted{"": {[]string{"enable_trail"}, []string{"console-signin"}}},
		},
	}
	for _, f := range Run(s, All(), Options{}) {
		b, err := json.Marshal(f.Evidence)
		if err != nil {
			t.Fatal(err)
		}
		var ev any
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		filters, rules, groups := map[string]compacted{}, map[string]compacted{}, map[string]string{}
		walk(ev, "", filters, rules, groups)
		id := f.CheckID + " " + f.Account + " " + f.Region
		for path, c := range filters {
			lg, err := route.LogGroupFromARN(groups[path])
			if err != nil {
				t.Fatalf("%s%s: %v", id, path, err)
			}
			r, _ := s.FindRegion(lg.Account, lg.Region)
			var all []string
			for _, mf := range r.Logs.MetricFilters {
				if mf.LogGroupName == lg.Name {
					all = append(all, mf.Name)
				}
			}
			got := slices.Sorted(slices.Values(append(slices.Clone(c.kept), c.others...)))
			if !slices.Equal(got, slices.Sorted(slices.Values(all))) {
				t.Errorf("%s%s: kept %v and named %v, but the log group has %v", id, path, c.kept, c.others, all)
			}
		}
		if w, ok := cases[id]; ok {
			delete(cases, id)
			if !reflect.DeepEqual(filters, w.filters) || !reflect.DeepEqual(rules, w.rules) {
				t.Errorf("%s:\n filters %v\n    want %v\n rules %v\n  want %v", id, filters, w.filters, rules, w.rules)
			}
		}
	}
	for id := range cases {
		t.Errorf("no finding %s in the demo", id)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// TestEvidenceKeepsFiltersNotEvaluated: a filter lookout cannot evaluate may be on a path, and
// the ERROR it causes names it, so the evidence keeps it.
func TestEvidenceKeepsFiltersNotEvaluated(t *testing.T) {
	s, err := snapshot.Load("../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	unparsed := 0
	for ai := range s.Accounts {
		for ri := range s.Accounts[ai].Regions {
			if l := s.Accounts[ai].Regions[ri].Logs; l != nil {
				for i := range l.MetricFilters {
					l.MetricFilters[i].Pattern = "{ $.eventName = "
					unparsed++
				}
			}
		}
	}
	if unparsed == 0 {
		t.Fatal("the demo has no metric filters")
	}
	errors := 0
	for _, f := range Run(s, All(), Options{}) {
		if f.CheckID != "cloudwatch-root-usage-alarm" || f.Status != Error {
			continue
		}
		ev, ok := f.Evidence.(TrailChainsEvidence)
		if !ok {
			t.Fatalf("%s %s: evidence %T", f.Account, f.Region, f.Evidence)
		}
		for _, c := range ev.Chains {
			if c.AlarmChainEvidence == nil {
				continue
			}
			errors++
			if len(c.OtherMetricFilters) > 0 {
				t.Errorf("%s %s: filters not evaluated named only: %v", f.Account, f.Region, c.OtherMetricFilters)
			}
			for _, mf := range c.MetricFilters {
				if !strings.HasPrefix(mf.Verdict, "does not parse") {
					t.Errorf("%s %s: filter %s: %s", f.Account, f.Region, mf.Name, mf.Verdict)
				}
			}
			if len(c.MetricFilters) == 0 {
				t.Errorf("%s %s: no filter kept", f.Account, f.Region)
			}
		}
	}
	if errors == 0 {
		t.Fatal("no root-usage chain ended in ERROR on filters that do not parse")
	}
}
