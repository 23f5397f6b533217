package alarmrule

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	const arn = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:cpu-high"
	tests := []struct {
		name   string
		rule   string
		want   string // String() of the result
		kind   Kind
		alarms []string // Alarms(), names only
	}{
		{"api reference example AND", "ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)",
			"ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)", KindAnd, []string{"CPUUtilizationTooHigh", "DiskReadOpsTooHigh"}},
		{"api reference example AND NOT", "ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)",
			"ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)", KindAnd, []string{"CPUUtilizationTooHigh", "DeploymentInProgress"}},
		{"api reference example grouped", "(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)",
			"(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)", KindAnd, []string{"CPUUtilizationTooHigh", "DiskReadOpsTooHigh", "NetworkOutTooHigh"}},
		{"user guide console example with newlines", "(ALARM(\"CPUUtilizationTooHigh\") OR \nALARM(\"DiskReadOpsTooHigh\")) AND \nOK(\"NetworkOutTooHigh\")",
			"(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)", KindAnd, []string{"CPUUtilizationTooHigh", "DiskReadOpsTooHigh", "NetworkOutTooHigh"}},
		{"quoted plain name prints bare", `ALARM("cpu")`, "ALARM(cpu)", KindState, []string{"cpu"}},
		{"quoted name with spaces", `ALARM("SampleQueue Oldest Age Alarm")`, `ALARM("SampleQueue Oldest Age Alarm")`, KindState, []string{"SampleQueue Oldest Age Alarm"}},
		{"quoted name with parentheses and comma", `OK("cpu (p99), prod")`, `OK("cpu (p99), prod")`, KindState, []string{"cpu (p99), prod"}},
		{"escaped double quotes", `ALARM("my \"big\" alarm")`, `ALARM("my \"big\" alarm")`, KindState, []string{`my "big" alarm`}},
		{"escaped backslash", `ALARM("a\\b")`, `ALARM("a\\b")`, KindState, []string{`a\b`}},
		{"other escape is the character", `ALARM("a\(b")`, `ALARM("a(b")`, KindState, []string{"a(b"}},
		{"keyword as a name", "ALARM(OK) OR OK(ALARM)", "ALARM(OK) OR OK(ALARM)", KindOr, []string{"OK", "ALARM"}},
		{"bare ARN", "ALARM(" + arn + ")", "ALARM(" + arn + ")", KindState, []string{arn}},
		{"quoted ARN", `INSUFFICIENT_DATA("` + arn + `")`, "INSUFFICIENT_DATA(" + arn + ")", KindState, []string{arn}},
		{"TRUE", "TRUE", "TRUE", KindTrue, nil},
		{"FALSE", "FALSE", "FALSE", KindFalse, nil},
		{"NOT NOT", "NOT NOT OK(a)", "NOT NOT OK(a)", KindNot, []string{"a"}},
		{"NOT of a group without space", "NOT(ALARM(a) OR ALARM(b))", "NOT (ALARM(a) OR ALARM(b))", KindNot, []string{"a", "b"}},
		{"no spaces around parentheses", "(ALARM(a))AND(ALARM(b))", "ALARM(a) AND ALARM(b)", KindAnd, []string{"a", "b"}},
		{"white space everywhere", " \t ALARM ( \"a\" )\r\n  OR\tOK(  b  ) \n", "ALARM(a) OR OK(b)", KindOr, []string{"a", "b"}},
		{"redundant parentheses", "(((ALARM(a))))", "ALARM(a)", KindState, []string{"a"}},
		{"nested groups kept", "ALARM(a) AND (ALARM(b) AND ALARM(c))", "ALARM(a) AND (ALARM(b) AND ALARM(c))", KindAnd, []string{"a", "b", "c"}},
		{"mixed AND OR kept as written", "ALARM(a) OR ALARM(b) AND NOT ALARM(c)", "ALARM(a) OR ALARM(b) AND NOT ALARM(c)", KindMixed, []string{"a", "b", "c"}},
		{"AT_LEAST count", `AT_LEAST(2, ALARM, (a, "b c", ` + arn + `))`, `AT_LEAST(2, ALARM, (a, "b c", ` + arn + `))`, KindAtLeast, []string{"a", "b c", arn}},
		{"AT_LEAST percentage NOT", "AT_LEAST(60%,NOT OK,(a,b))", "AT_LEAST(60%, NOT OK, (a, b))", KindAtLeast, []string{"a", "b"}},
		{"AT_LEAST inside OR", "AT_LEAST(1, INSUFFICIENT_DATA, (a)) OR TRUE", "AT_LEAST(1, INSUFFICIENT_DATA, (a)) OR TRUE", KindOr, []string{"a"}},
		{"duplicate references kept", "ALARM(a) OR OK(a)", "ALARM(a) OR OK(a)", KindOr, []string{"a", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.rule)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.rule, err)
			}
			if got := e.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if e.Kind != tt.kind {
				t.Errorf("Kind = %d, want %d", e.Kind, tt.kind)
			}
			var names []string
			for _, r := range e.Alarms() {
				names = append(names, r.Alarm)
			}
			if !reflect.DeepEqual(names, tt.alarms) {
				t.Errorf("Alarms() = %q, want %q", names, tt.alarms)
			}
		})
	}
}

func TestParseRefDetails(t *testing.T) {
	e, err := Parse(`OK(a) AND AT_LEAST(2, NOT ALARM, ("b", c))`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Ref{
		{Alarm: "a", State: StateOK, Offset: 3},
		{Alarm: "b", State: StateAlarm, Offset: 34},
		{Alarm: "c", State: StateAlarm, Offset: 39},
	}
	if got := e.Alarms(); !reflect.DeepEqual(got, want) {
		t.Errorf("Alarms() = %+v, want %+v", got, want)
	}
	a := e.Args[1].AtLeast
	if a.Threshold != 2 || a.Percent || !a.Not || a.State != StateAlarm {
		t.Errorf("AtLeast = %+v", a)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		rule   string
		offset int
		msg    string
	}{
		{"empty", "", 0, "empty rule"},
		{"only spaces", "   ", 3, "expected ALARM, OK, INSUFFICIENT_DATA, AT_LEAST, TRUE, FALSE, NOT or '(', found end of rule"},
		{"lower-case function", "alarm(cpu)", 0, `found "alarm" (keywords are upper case: ALARM)`},
		{"lower-case operator", "ALARM(a) and ALARM(b)", 9, `expected AND, OR or end of rule, found "and" (keywords are upper case: AND)`},
		{"mixed-case literal", "True", 0, "keywords are upper case: TRUE"},
		{"lower-case not", "not ALARM(a)", 0, "keywords are upper case: NOT"},
		{"missing close after name", "ALARM(a", 7, "expected ')' after alarm name, found end of rule"},
		{"unquoted name with space", "ALARM(SampleQueue Oldest Age Alarm)", 18, `expected ')' after alarm name, found "Oldest"`},
		{"empty parentheses", "ALARM()", 6, "expected alarm name or ARN after ALARM(, found ')'"},
		{"empty quoted name", `ALARM("")`, 6, "empty alarm name"},
		{"unterminated quote", `ALARM("abc)`, 6, "unterminated quoted alarm name"},
		{"escaped final quote", `ALARM("abc\")`, 6, "unterminated quoted alarm name"},
		{"backslash at end", `ALARM("abc\`, 6, "unterminated quoted alarm name"},
		{"backslash unquoted", `ALARM(a\(b)`, 7, "backslash in an unquoted alarm name"},
		{"quote inside unquoted name", `ALARM(a"b")`, 7, `expected ')' after alarm name, found quoted name "b"`},
		{"missing open", "ALARM a", 6, "expected '(' after ALARM, found \"a\""},
		{"dangling operator", "ALARM(a) OR", 11, "found end of rule"},
		{"leading operator", "AND ALARM(a)", 0, `found "AND"`},
		{"unclosed group", "(ALARM(a) OR ALARM(b)", 21, "expected ')' to close '(' at offset 0, found end of rule"},
		{"extra close", "ALARM(a))", 8, "unexpected ')' with no matching '('"},
		{"two operands", "ALARM(a) ALARM(b)", 9, `expected AND, OR or end of rule, found "ALARM"`},
		{"bare quoted name", `"a" OR TRUE`, 0, "unexpected quoted name \"a\""},
		{"bare name", "cpu", 0, `found "cpu"`},
		{"NOT alone", "NOT", 3, "found end of rule"},
		{"comma outside AT_LEAST", "ALARM(a), ALARM(b)", 8, "found ','"},
		{"TRUE with argument", "TRUE(a)", 4, "expected AND, OR or end of rule, found '('"},
		{"AT_LEAST empty list", "AT_LEAST(2, ALARM, ())", 20, "expected alarm name or ARN after the AT_LEAST alarm list, found ')'"},
		{"AT_LEAST list without parentheses", "AT_LEAST(2, ALARM, a)", 19, "expected '(' after the AT_LEAST state and ','"},
		{"AT_LEAST over 100%", "AT_LEAST(101%, ALARM, (a))", 9, "over 100%"},
		{"AT_LEAST bad threshold", "AT_LEAST(two, ALARM, (a))", 9, "expected a count or a percentage"},
		{"AT_LEAST signed threshold", "AT_LEAST(+2, ALARM, (a))", 9, "expected a count or a percentage"},
		{"AT_LEAST bad state", "AT_LEAST(2, alarm, (a))", 12, "keywords are upper case: ALARM"},
		{"AT_LEAST list separator", "AT_LEAST(2, OK, (a b))", 19, "expected ',' or ')' in the AT_LEAST alarm list"},
		{"AT_LEAST unclosed", "AT_LEAST(2, OK, (a)", 19, "expected ')' after the AT_LEAST alarm list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.rule)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, %v; want a *SyntaxError", tt.rule, e, err)
			}
			if se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("Parse(%q) error = %q (offset %d), want offset %d and %q", tt.rule, err, se.Offset, tt.offset, tt.msg)
			}
			if want := fmt.Sprintf("alarm rule: offset %d: ", se.Offset); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() = %q, want prefix %q", err, want)
			}
		})
	}
}

// TestParseLimits covers the 10240-character limit (counted in characters, not bytes) and the
// nesting bound.
func TestParseLimits(t *testing.T) {
	exactly := func(n int, fill string) string {
		// ALARM("xxx…") is len(fill)*k + 9 characters.
		return `ALARM("` + strings.Repeat(fill, n-9) + `")`
	}
	tests := []struct {
		name string
		rule string
		ok   bool
	}{
		{"10240 characters", exactly(MaxRuleLength, "x"), true},
		{"10241 characters", exactly(MaxRuleLength+1, "x"), false},
		{"10240 characters, more bytes", exactly(MaxRuleLength, "é"), true},
		{"long OR chain", strings.Repeat("ALARM(a) OR ", 850) + "TRUE", true},
		{"500 nested parentheses", strings.Repeat("(", 500) + "TRUE" + strings.Repeat(")", 500), true},
		{"501 nested parentheses", strings.Repeat("(", 501) + "TRUE" + strings.Repeat(")", 501), false},
		{"500 NOTs", strings.Repeat("NOT ", 500) + "TRUE", true},
		{"2000 NOTs", strings.Repeat("NOT ", 2000) + "TRUE", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.rule)
			if tt.ok != (err == nil) {
				t.Fatalf("Parse(%d chars) error = %v, want ok=%v", len(tt.rule), err, tt.ok)
			}
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(tt.rule) {
					t.Errorf("error = %v, want a *SyntaxError within the rule", err)
				}
				return
			}
			if _, err := e.Eval(func(string) (State, error) { return StateOK, nil }); err != nil {
				t.Errorf("Eval: %v", err)
			}
		})
	}
	if _, err := Parse(exactly(MaxRuleLength+1, "x")); err == nil || !strings.Contains(err.Error(), "offset 10240: rule is longer than 10240 characters") {
		t.Errorf("too long: error = %v", err)
	}
}

func TestEval(t *testing.T) {
	states := map[string]State{"a": StateAlarm, "b": StateOK, "c": StateInsufficientData, "arn:aws:cloudwatch:us-east-1:111122223333:alarm:a": StateAlarm}
	tests := []struct {
		name      string
		rule      string
		want      bool
		ambiguous bool
	}{
		{"ALARM true", "ALARM(a)", true, false},
		{"ALARM false", "ALARM(b)", false, false},
		{"OK", "OK(b)", true, false},
		{"INSUFFICIENT_DATA", "INSUFFICIENT_DATA(c)", true, false},
		{"INSUFFICIENT_DATA is not OK", "OK(c)", false, false},
		{"NOT", "NOT ALARM(c)", true, false},
		{"AND", "ALARM(a) AND OK(b)", true, false},
		{"AND false", "ALARM(a) AND ALARM(b)", false, false},
		{"OR", "ALARM(b) OR ALARM(a)", true, false},
		{"ARN", `ALARM("arn:aws:cloudwatch:us-east-1:111122223333:alarm:a")`, true, false},
		{"TRUE", "TRUE", true, false},
		{"FALSE", "FALSE", false, false},
		{"NOT binds tighter than AND", "NOT ALARM(b) AND ALARM(b)", false, false},
		{"grouping", "(ALARM(a) OR ALARM(b)) AND OK(c)", false, false},
		// a OR b AND b: AND first gives TRUE, left to right gives FALSE.
		{"mixed, grouping matters", "ALARM(a) OR ALARM(b) AND ALARM(b)", false, true},
		{"mixed, grouping does not matter", "ALARM(a) OR ALARM(b) AND ALARM(a)", true, false},
		{"mixed inside NOT", "NOT (OK(b) AND ALARM(b) OR FALSE)", true, false},
		{"AT_LEAST count met", "AT_LEAST(2, NOT OK, (a, b, c))", true, false},
		{"AT_LEAST count not met", "AT_LEAST(2, ALARM, (a, b, c))", false, false},
		{"AT_LEAST percent met exactly", "AT_LEAST(50%, OK, (a, b))", true, false},
		{"AT_LEAST percent not met", "AT_LEAST(34%, ALARM, (a, b, c))", false, false},
		{"AT_LEAST percent of three", "AT_LEAST(33%, ALARM, (a, b, c))", true, false},
		{"AT_LEAST zero", "AT_LEAST(0, ALARM, (b))", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			calls := map[string]int{}
			got, err := e.Eval(func(ref string) (State, error) {
				calls[ref]++
				if s, ok := states[ref]; ok {
					return s, nil
				}
				return 0, fmt.Errorf("no state for %q", ref)
			})
			var ae *AmbiguousError
			if tt.ambiguous {
				if !errors.As(err, &ae) {
					t.Fatalf("Eval = %v, %v; want *AmbiguousError", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Eval = %v, %v; want %v", got, err, tt.want)
			}
			for ref, n := range calls {
				if n != 1 {
					t.Errorf("state(%q) called %d times", ref, n)
				}
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	e, err := Parse("ALARM(a) OR TRUE")
	if err != nil {
		t.Fatal(err)
	}
	sentinel := errors.New("no such alarm")
	if _, err := e.Eval(func(string) (State, error) { return 0, sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("Eval error = %v, want it to wrap the lookup error", err)
	}
	if _, err := e.Eval(func(string) (State, error) { return State(42), nil }); err == nil {
		t.Error("Eval with an invalid state: no error")
	}
	var nilExpr *Expr
	if _, err := nilExpr.Eval(nil); err == nil {
		t.Error("Eval of nil: no error")
	}
}

func TestParseState(t *testing.T) {
	for _, s := range allStates {
		got, err := ParseState(s.String())
		if err != nil || got != s {
			t.Errorf("ParseState(%q) = %v, %v", s.String(), got, err)
		}
	}
	if _, err := ParseState("alarm"); err == nil {
		t.Error(`ParseState("alarm"): no error`)
	}
}
