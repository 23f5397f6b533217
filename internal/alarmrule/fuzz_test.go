package alarmrule

import (
	"errors"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)",
	"ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)",
	"(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)",
	"(ALARM(\"CPUUtilizationTooHigh\") OR \nALARM(\"DiskReadOpsTooHigh\")) AND \nOK(\"NetworkOutTooHigh\")",
	`ALARM("my \"big\" alarm") OR OK("a\\b") OR INSUFFICIENT_DATA("x (y), z")`,
	"ALARM(arn:aws:cloudwatch:us-east-1:111122223333:alarm:cpu-high)",
	"TRUE", "FALSE", "NOT NOT TRUE", "NOT(ALARM(a)OR OK(b))",
	"ALARM(a) OR ALARM(b) AND ALARM(c) OR NOT ALARM(d) AND OK(e)",
	"AT_LEAST(2, ALARM, (a, \"b c\", d))",
	"AT_LEAST(60%, NOT INSUFFICIENT_DATA, (a,b)) AND TRUE",
	"((((ALARM(a)))))",
	"alarm(a)", "ALARM(a", "ALARM(\"a", "ALARM(a\\b)", "ALARM()", "ALARM(\"\")", ")", "",
	"AT_LEAST(101%, OK, (a))", "AT_LEAST(x, OK, (a))",
}

// FuzzParse checks, for any input: Parse does not panic; its errors are a *SyntaxError whose
// offset lies within the rule; a parsed rule's String() parses back to an equal tree (offsets
// aside) and prints the same again; Alarms and Eval do not panic, and Eval's only error with
// valid states is an *AmbiguousError, for rules with a mixed AND/OR chain.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rule string) {
		e, err := Parse(rule)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(rule) {
				t.Fatalf("Parse(%q) error %v: want a *SyntaxError within the rule", rule, err)
			}
			return
		}
		_ = e.Alarms()
		out := e.String()
		if utf8.RuneCountInString(out) <= MaxRuleLength {
			e2, err := Parse(out)
			if err != nil {
				t.Fatalf("Parse(%q).String() = %q does not parse: %v", rule, out, err)
			}
			if !equalExpr(e, e2) {
				t.Fatalf("Parse(%q) and Parse(String() = %q) differ", rule, out)
			}
			if out2 := e2.String(); out2 != out {
				t.Fatalf("String() not stable: %q then %q", out, out2)
			}
		}
		for _, st := range allStates {
			n := 0
			_, err := e.Eval(func(ref string) (State, error) {
				n++
				return allStates[(int(st)+n+len(ref))%3], nil
			})
			if err != nil {
				var ae *AmbiguousError
				if _, mixed := firstMixed(e); !errors.As(err, &ae) || !mixed {
					t.Fatalf("Eval(%q): %v", rule, err)
				}
			}
		}
	})
}

// equalExpr compares trees, ignoring offsets.
func equalExpr(a, b *Expr) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || len(a.Args) != len(b.Args) || len(a.Ops) != len(b.Ops) {
		return false
	}
	if a.Kind == KindState && (a.Ref.Alarm != b.Ref.Alarm || a.Ref.State != b.Ref.State) {
		return false
	}
	if a.Kind == KindAtLeast {
		x, y := a.AtLeast, b.AtLeast
		if x.Threshold != y.Threshold || x.Percent != y.Percent || x.Not != y.Not || x.State != y.State || len(x.Refs) != len(y.Refs) {
			return false
		}
		for i := range x.Refs {
			if x.Refs[i].Alarm != y.Refs[i].Alarm || x.Refs[i].State != y.Refs[i].State {
				return false
			}
		}
	}
	for i := range a.Ops {
		if a.Ops[i] != b.Ops[i] {
			return false
		}
	}
	for i := range a.Args {
		if !equalExpr(a.Args[i], b.Args[i]) {
			return false
		}
	}
	return true
}
