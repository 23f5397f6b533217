package alarmrule

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

const arnPrefix = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:"

func metric(name string) Alarm { return Alarm{Name: name, ARN: arnPrefix + name} }

func composite(name, rule string) Alarm {
	return Alarm{Name: name, ARN: arnPrefix + name, Composite: true, Rule: rule}
}

// base is the metric alarms every resolver case shares: the trigger and two others.
var base = []Alarm{metric("trigger"), metric("other"), metric("other2"), metric("root account usage")}

type errKind int

const (
	noErr errKind = iota
	unknownErr
	cycleErr
	ambiguousErr
	parseErr
	otherErr
)

func checkErr(t *testing.T, err error, want errKind) {
	t.Helper()
	var (
		ue *UnknownAlarmError
		ce *CycleError
		ae *AmbiguousError
		se *SyntaxError
	)
	got := otherErr
	switch {
	case err == nil:
		got = noErr
	case errors.As(err, &ue):
		got = unknownErr
	case errors.As(err, &ce):
		got = cycleErr
	case errors.As(err, &ae):
		got = ambiguousErr
	case errors.As(err, &se):
		got = parseErr
	}
	if got != want {
		t.Fatalf("error = %v (kind %d), want kind %d", err, got, want)
	}
}

func TestRaisedBy(t *testing.T) {
	tests := []struct {
		name  string
		comps []Alarm // composites; "top" is asked about
		want  bool
		err   errKind
	}{
		// The semantics the brief spells out.
		{"OR with another alarm", []Alarm{composite("top", "ALARM(trigger) OR ALARM(other)")}, true, noErr},
		{"AND with another alarm", []Alarm{composite("top", "ALARM(trigger) AND ALARM(other)")}, false, noErr},
		{"AND NOT another alarm", []Alarm{composite("top", "ALARM(trigger) AND NOT ALARM(other)")}, true, noErr},
		{"OK of another alarm AND", []Alarm{composite("top", "OK(other) AND ALARM(trigger)")}, true, noErr},
		{"INSUFFICIENT_DATA of the trigger", []Alarm{composite("top", "INSUFFICIENT_DATA(trigger)")}, false, noErr},
		{"OK of the trigger", []Alarm{composite("top", "OK(trigger)")}, false, noErr},
		{"TRUE literal", []Alarm{composite("top", "TRUE")}, true, noErr},
		{"FALSE literal", []Alarm{composite("top", "FALSE")}, false, noErr},
		{"FALSE OR trigger", []Alarm{composite("top", "FALSE OR ALARM(trigger)")}, true, noErr},
		{"TRUE AND trigger", []Alarm{composite("top", "TRUE AND ALARM(trigger)")}, true, noErr},
		// References.
		{"trigger by ARN", []Alarm{composite("top", "ALARM("+arnPrefix+"trigger)")}, true, noErr},
		{"trigger by quoted ARN", []Alarm{composite("top", `ALARM("`+arnPrefix+`trigger")`)}, true, noErr},
		{"name with spaces, quoted", []Alarm{composite("top", `ALARM("root account usage")`)}, false, noErr},
		{"name is case-sensitive", []Alarm{composite("top", "ALARM(Trigger) OR ALARM(trigger)")}, true, noErr},
		// Nested composites.
		{"nested OR, depth 3", []Alarm{
			composite("c1", "ALARM(other) OR ALARM(trigger)"),
			composite("c2", "ALARM(c1) AND OK(other2)"),
			composite("top", "NOT OK(c2)"),
		}, true, noErr},
		{"nested AND, depth 3", []Alarm{
			composite("c1", "ALARM(trigger) OR ALARM(other)"),
			composite("c2", `ALARM("`+arnPrefix+`c1")`),
			composite("top", "ALARM(c2) AND ALARM(other2)"),
		}, false, noErr},
		{"nested NOT of a raised composite", []Alarm{
			composite("c1", "ALARM(trigger)"),
			composite("top", "NOT ALARM(c1)"),
		}, false, noErr},
		{"nested TRUE composite", []Alarm{
			composite("c1", "TRUE"),
			composite("top", "ALARM(c1) AND ALARM(trigger)"),
		}, true, noErr},
		{"OK of a composite that the trigger raises", []Alarm{
			composite("c1", "ALARM(trigger)"),
			composite("top", "OK(c1)"),
		}, false, noErr},
		{"INSUFFICIENT_DATA of a composite is false", []Alarm{
			composite("c1", "ALARM(trigger)"),
			composite("top", "INSUFFICIENT_DATA(c1) OR ALARM(other)"),
		}, false, noErr},
		{"diamond", []Alarm{
			composite("l", "ALARM(trigger)"),
			composite("r", "NOT ALARM(trigger)"),
			composite("top", "ALARM(l) AND ALARM(r)"),
		}, false, noErr},
		// AT_LEAST.
		{"AT_LEAST 1 of trigger and other", []Alarm{composite("top", "AT_LEAST(1, ALARM, (trigger, other))")}, true, noErr},
		{"AT_LEAST 2 of trigger and other", []Alarm{composite("top", "AT_LEAST(2, ALARM, (trigger, other))")}, false, noErr},
		{"AT_LEAST 50%", []Alarm{composite("top", "AT_LEAST(50%, ALARM, (trigger, other))")}, true, noErr},
		{"AT_LEAST 51%", []Alarm{composite("top", "AT_LEAST(51%, ALARM, (trigger, other))")}, false, noErr},
		{"AT_LEAST NOT OK", []Alarm{composite("top", "AT_LEAST(1, NOT OK, (other, trigger))")}, true, noErr},
		{"AT_LEAST of composites", []Alarm{
			composite("c1", "ALARM(trigger)"),
			composite("c2", "ALARM(other)"),
			composite("top", "AT_LEAST(2, NOT INSUFFICIENT_DATA, (c1, c2))"),
		}, true, noErr},
		// Alarms outside the inventory.
		{"unknown alarm that matters", []Alarm{composite("top", "ALARM(trigger) AND ALARM(ghost)")}, false, unknownErr},
		{"unknown alarm that does not matter (OR)", []Alarm{composite("top", "ALARM(trigger) OR ALARM(ghost)")}, true, noErr},
		{"unknown alarm that does not matter (AND FALSE)", []Alarm{composite("top", "ALARM(ghost) AND ALARM(other)")}, false, noErr},
		{"unknown alarm in every state", []Alarm{composite("top", "ALARM(trigger) AND (OK(ghost) OR ALARM(ghost) OR INSUFFICIENT_DATA(ghost))")}, true, noErr},
		{"unknown alarm against itself", []Alarm{composite("top", "ALARM(ghost) OR NOT ALARM(ghost)")}, true, noErr},
		{"unknown alarm in a nested composite", []Alarm{
			composite("c1", "ALARM(trigger) AND OK(ghost)"),
			composite("top", "ALARM(c1)"),
		}, false, unknownErr},
		{"unknown alarm under a FALSE branch", []Alarm{
			composite("c1", "ALARM(ghost)"),
			composite("top", "ALARM(trigger) OR (ALARM(c1) AND ALARM(other))"),
		}, true, noErr},
		{"unknown ARN of another account", []Alarm{composite("top", `ALARM("arn:aws:cloudwatch:us-east-1:444455556666:alarm:trigger") AND ALARM(trigger)`)}, false, unknownErr},
		{"AT_LEAST with an unknown alarm that matters", []Alarm{composite("top", "AT_LEAST(2, ALARM, (trigger, ghost))")}, false, unknownErr},
		{"AT_LEAST with an unknown alarm that does not", []Alarm{composite("top", "AT_LEAST(1, ALARM, (trigger, ghost))")}, true, noErr},
		{"seven unknown alarms, none matters", []Alarm{composite("top", "ALARM(trigger) OR ALARM(g1) OR ALARM(g2) OR ALARM(g3) OR ALARM(g4) OR ALARM(g5) OR ALARM(g6) OR ALARM(g7)")}, true, noErr},
		{"seven unknown alarms, they matter", []Alarm{composite("top", "ALARM(trigger) AND (ALARM(g1) OR ALARM(g2) OR ALARM(g3) OR ALARM(g4) OR ALARM(g5) OR ALARM(g6) OR ALARM(g7))")}, false, unknownErr},
		// Precedence.
		{"mixed AND/OR where grouping matters", []Alarm{composite("top", "ALARM(trigger) OR ALARM(other) AND ALARM(other2)")}, false, ambiguousErr},
		{"mixed AND/OR where grouping does not matter", []Alarm{composite("top", "ALARM(trigger) OR OK(other) AND ALARM(trigger)")}, true, noErr},
		{"mixed AND/OR, parenthesized", []Alarm{composite("top", "ALARM(trigger) OR (ALARM(other) AND ALARM(other2))")}, true, noErr},
		{"mixed AND/OR in a nested composite", []Alarm{
			composite("c1", "ALARM(trigger) OR ALARM(other) AND ALARM(other2)"),
			composite("top", "ALARM(c1)"),
		}, false, ambiguousErr},
		{"mixed AND/OR and an unknown alarm; precedence matters", []Alarm{composite("top", "(ALARM(trigger) OR ALARM(other) AND ALARM(other2)) AND (ALARM(ghost) OR TRUE)")}, false, ambiguousErr},
		{"mixed AND/OR and an unknown alarm; the unknown matters", []Alarm{composite("top", "(ALARM(trigger) OR ALARM(other) AND ALARM(other2)) AND ALARM(ghost)")}, false, unknownErr},
		// Cycles and broken rules.
		{"cycle through another composite", []Alarm{
			composite("a", "ALARM(top)"),
			composite("top", "ALARM(trigger) OR ALARM(a)"),
		}, false, cycleErr},
		{"self reference", []Alarm{composite("top", "ALARM(trigger) OR ALARM(top)")}, false, cycleErr},
		{"cycle below", []Alarm{
			composite("a", "ALARM(b)"),
			composite("b", "ALARM(a) OR ALARM(trigger)"),
			composite("top", "ALARM(a)"),
		}, false, cycleErr},
		{"syntax error", []Alarm{composite("top", "ALARM(trigger) OR")}, false, parseErr},
		{"syntax error below", []Alarm{
			composite("c1", "alarm(trigger)"),
			composite("top", "ALARM(trigger) OR ALARM(c1)"),
		}, false, parseErr},
		{"empty rule", []Alarm{composite("top", "")}, false, parseErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alarms := append(append([]Alarm{}, base...), tt.comps...)
			got, err := RaisedBy(alarms, "top", "trigger")
			checkErr(t, err, tt.err)
			if err == nil && got != tt.want {
				t.Errorf("RaisedBy = %v, want %v", got, tt.want)
			}
			// Asking by ARN gives the same answer.
			got2, err2 := RaisedBy(alarms, arnPrefix+"top", arnPrefix+"trigger")
			if got2 != got || (err == nil) != (err2 == nil) {
				t.Errorf("RaisedBy by ARN = %v, %v; by name %v, %v", got2, err2, got, err)
			}
		})
	}
}

func TestRaisedByErrorMessages(t *testing.T) {
	alarms := append(append([]Alarm{}, base...),
		composite("top", "ALARM(trigger) AND ALARM(ghost) AND OK(phantom)"),
		composite("a", "ALARM(b)"), composite("b", "ALARM(a)"),
		composite("bad", "ALARM(trigger) OR"),
		composite("mixed", "ALARM(trigger) OR ALARM(other) AND ALARM(other2)"),
	)
	tests := []struct {
		top, trigger string
		want         string
	}{
		{"top", "trigger", `alarmrule: composite alarm "top": the outcome depends on the state of "ghost", "phantom", not in the alarm inventory`},
		{"a", "trigger", `alarmrule: composite alarms reference each other in a cycle (a -> b -> a); CloudWatch stops evaluating them`},
		{"bad", "trigger", `alarmrule: composite alarm "bad": alarm rule: offset 17: expected ALARM, OK, INSUFFICIENT_DATA, AT_LEAST, TRUE, FALSE, NOT or '(', found end of rule`},
		{"mixed", "trigger", `alarmrule: composite alarm "mixed": alarm rule: offset 0: AND and OR are mixed without parentheses`},
		{"nope", "trigger", `alarmrule: alarm "nope" not found`},
		{"top", "nope", `alarmrule: alarm "nope" not found`},
		{"other", "trigger", `alarmrule: "other" is not a composite alarm`},
		{"top", "a", `alarmrule: trigger "a" is a composite alarm`},
	}
	for _, tt := range tests {
		_, err := RaisedBy(alarms, tt.top, tt.trigger)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("RaisedBy(%q, %q) error = %v, want prefix %q", tt.top, tt.trigger, err, tt.want)
		}
	}
	dup := append(append([]Alarm{}, base...), metric("other"), composite("top", "ALARM(trigger)"))
	if _, err := RaisedBy(dup, "top", "trigger"); err == nil || !strings.Contains(err.Error(), `both named "other"`) {
		t.Errorf("duplicate names: error = %v", err)
	}
}

func TestRaisedByDepth(t *testing.T) {
	chain := func(n int) []Alarm {
		alarms := append([]Alarm{}, base...)
		prev := "trigger"
		for i := range n {
			name := fmt.Sprintf("c%d", i)
			alarms = append(alarms, composite(name, "ALARM("+prev+")"))
			prev = name
		}
		return alarms
	}
	if got, err := RaisedBy(chain(maxDepth), fmt.Sprintf("c%d", maxDepth-1), "trigger"); err != nil || !got {
		t.Errorf("chain of %d: %v, %v; want true", maxDepth, got, err)
	}
	_, err := RaisedBy(chain(maxDepth+1), fmt.Sprintf("c%d", maxDepth), "trigger")
	if err == nil || !strings.Contains(err.Error(), "nest more than 256 deep") {
		t.Errorf("chain of %d: error = %v", maxDepth+1, err)
	}
}

func TestTransitions(t *testing.T) {
	tests := []struct {
		name  string
		comps []Alarm
		want  bool
		err   errKind
	}{
		{"ALARM(trigger)", []Alarm{composite("top", "ALARM(trigger)")}, true, noErr},
		{"TRUE is always in ALARM", []Alarm{composite("top", "TRUE")}, false, noErr},
		{"OR with an alarm that is OK", []Alarm{composite("top", "ALARM(trigger) OR ALARM(other)")}, true, noErr},
		{"OR with OK(other) is already in ALARM", []Alarm{composite("top", "ALARM(trigger) OR OK(other)")}, false, noErr},
		{"AND with another alarm", []Alarm{composite("top", "ALARM(trigger) AND ALARM(other)")}, false, noErr},
		{"AND NOT another alarm", []Alarm{composite("top", "ALARM(trigger) AND NOT ALARM(other)")}, true, noErr},
		{"NOT ALARM(trigger) goes to OK", []Alarm{composite("top", "NOT ALARM(trigger)")}, false, noErr},
		{"INSUFFICIENT_DATA(trigger)", []Alarm{composite("top", "INSUFFICIENT_DATA(trigger)")}, false, noErr},
		{"nested", []Alarm{composite("c1", "ALARM(trigger) OR FALSE"), composite("top", "ALARM(c1) AND OK(other)")}, true, noErr},
		{"nested TRUE composite", []Alarm{composite("c1", "TRUE"), composite("top", "ALARM(c1) OR ALARM(trigger)")}, false, noErr},
		{"unknown alarm decides whether it is already in ALARM", []Alarm{composite("top", "ALARM(trigger) OR ALARM(ghost)")}, false, unknownErr},
		{"unknown alarm that does not matter", []Alarm{composite("top", "ALARM(trigger) AND (ALARM(ghost) OR NOT ALARM(ghost))")}, true, noErr},
		{"unknown alarm blocks it either way", []Alarm{composite("top", "ALARM(trigger) AND ALARM(ghost) AND FALSE")}, false, noErr},
		{"cycle", []Alarm{composite("top", "ALARM(top) OR ALARM(trigger)")}, false, cycleErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alarms := append(append([]Alarm{}, base...), tt.comps...)
			got, err := Transitions(alarms, "top", "trigger")
			checkErr(t, err, tt.err)
			if err == nil && got != tt.want {
				t.Errorf("Transitions = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRaised(t *testing.T) {
	alarms := append(append([]Alarm{}, base...),
		composite("direct", "ALARM(trigger)"),
		composite("by-arn", `ALARM("`+arnPrefix+`trigger") AND OK(other)`),
		composite("needs-other", "ALARM(trigger) AND ALARM(other)"),
		composite("above-direct", "ALARM(direct) OR ALARM(other2)"),
		composite("above-needs-other", "ALARM(needs-other)"),
		composite("depth3", "NOT OK(above-direct)"),
		composite("always", "TRUE"), // in ALARM, but does not reference the trigger
		composite("unrelated", "ALARM(other)"),
		composite("ghostly", "ALARM(trigger) AND ALARM(ghost)"),
		composite("ghost-ok", "ALARM(trigger) OR ALARM(ghost)"),
		composite("loop-a", "ALARM(loop-b) OR ALARM(trigger)"),
		composite("loop-b", "ALARM(loop-a)"),
		composite("broken", "ALARM(trigger"),
		composite("ambiguous", "ALARM(trigger) OR ALARM(other) AND ALARM(other2)"),
		composite("at-least", "AT_LEAST(1, ALARM, (other, direct))"),
	)
	names, errs := Raised(alarms, "trigger")
	want := []string{"above-direct", "at-least", "by-arn", "depth3", "direct", "ghost-ok"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("Raised names = %q, want %q", names, want)
	}
	wantErrs := map[string]errKind{"ghostly": unknownErr, "loop-a": cycleErr, "loop-b": cycleErr, "broken": parseErr, "ambiguous": ambiguousErr}
	for name, kind := range wantErrs {
		t.Run(name, func(t *testing.T) { checkErr(t, errs[name], kind) })
	}
	if len(errs) != len(wantErrs) {
		t.Errorf("Raised errs = %v, want keys of %v", errs, wantErrs)
	}
	// Each name agrees with RaisedBy.
	for _, name := range want {
		if ok, err := RaisedBy(alarms, name, "trigger"); !ok || err != nil {
			t.Errorf("RaisedBy(%q) = %v, %v; Raised listed it", name, ok, err)
		}
	}

	if names, errs := Raised(alarms, "nope"); names != nil || errs[""] == nil {
		t.Errorf("Raised(unknown trigger) = %v, %v", names, errs)
	}
	if names, errs := Raised(base, "trigger"); names != nil || errs != nil {
		t.Errorf("Raised with no composites = %v, %v; want nil, nil", names, errs)
	}
}

// TestRaisedScale checks that Raised stays fast on a large inventory: 3000 metric alarms, a
// chain of 2000 composites over the trigger (each also reading a fan of metric alarms), and
// 2000 composites elsewhere.
func TestRaisedScale(t *testing.T) {
	var alarms []Alarm
	for i := range 3000 {
		alarms = append(alarms, metric(fmt.Sprintf("m%d", i)))
	}
	prev := "m0"
	for i := range 2000 {
		name := fmt.Sprintf("chain%d", i)
		alarms = append(alarms, composite(name, fmt.Sprintf("ALARM(%s) OR ALARM(m%d) OR AT_LEAST(2, ALARM, (m1, m2, m3))", prev, 1+i%2999)))
		if i%250 == 249 { // restart so no path nests deeper than maxDepth
			prev = "m0"
		} else {
			prev = name
		}
	}
	for i := range 2000 {
		alarms = append(alarms, composite(fmt.Sprintf("elsewhere%d", i), fmt.Sprintf("ALARM(m%d) AND OK(m%d)", 1+i%2999, 1+(i+1)%2999)))
	}
	start := time.Now()
	names, errs := Raised(alarms, "m0")
	elapsed := time.Since(start)
	if len(names) != 2000 || errs != nil {
		t.Fatalf("Raised: %d names, errs %v; want 2000, nil", len(names), errs)
	}
	if elapsed > 5*time.Second {
		t.Errorf("Raised took %v on %d alarms", elapsed, len(alarms))
	}
	t.Logf("Raised over %d alarms: %v", len(alarms), elapsed)
}
