package metricmath

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

var nan = math.NaN()

// v builds a vals map from alternating ids and values.
func v(kv ...any) map[string]float64 {
	m := map[string]float64{}
	for i := 0; i+1 < len(kv); i += 2 {
		x := kv[i+1]
		switch x := x.(type) {
		case int:
			m[kv[i].(string)] = float64(x)
		case float64:
			m[kv[i].(string)] = x
		}
	}
	return m
}

// mustParse parses expr, failing the test where it does not parse.
func mustParse(t *testing.T, expr string) *Expr {
	t.Helper()
	e, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	return e
}

func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return a == b || math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b))
}

func TestEval(t *testing.T) {
	tests := []struct {
		name string
		expr string
		vals map[string]float64
		want float64 // NaN: no data point in the period
	}{
		{"m1 passthrough", "m1", v("m1", 3), 3},
		{"m1 passthrough missing", "m1", v("m1", nan), nan},
		{"m1*100", "m1*100", v("m1", 0.25), 25},
		{"m1*100 missing stays missing", "m1*100", v("m1", nan), nan},
		{"(m1+m2)/2", "(m1+m2)/2", v("m1", 4, "m2", 6), 5},
		{"precedence 1+2*3^2", "1+2*3^2", nil, 19},
		{"power groups right", "2^3^2", nil, 512},
		{"unary minus looser than power", "-2^2", nil, -4},
		{"parenthesised negative base", "(-2)^2", nil, 4},
		{"negative exponent", "2^-1", nil, 0.5},
		{"double minus", "--m1", v("m1", 3), 3},
		{"subtraction is left associative", "10-4-3", nil, 3},
		{"division is left associative", "64/4/2", nil, 8},
		{"number forms", "1.5e2 + .5 + 2E-1 + 1.", nil, 151.7},
		{"ids with capitals digits underscores", "error_Count2 * 2", v("error_Count2", 4), 8},
		{"vals may hold other ids", "m1", v("m1", 1, "m9", 9), 1},
		{"non-finite input counts as missing", "m1*2", v("m1", math.Inf(1)), nan},

		{"FILL(m1, 0) with m1 NaN", "FILL(m1, 0)", v("m1", nan), 0},
		{"FILL(m1, 0) with m1 present", "FILL(m1, 0)", v("m1", 7), 7},
		{"FILL with an expression", "FILL(m1, 2*5) + 1", v("m1", nan), 11},
		{"FILL with a series", "FILL(m1, m2)", v("m1", nan, "m2", 4), 4},
		{"FILL inside arithmetic", "FILL(m1, 0) * 100", v("m1", nan), 0},

		{"m1 + m2 with m2 NaN counts m2 as 0", "m1 + m2", v("m1", 5, "m2", nan), 5},
		{"m1 + m2 with both NaN is missing", "m1 + m2", v("m1", nan, "m2", nan), nan},
		{"m1 - m2 with m1 NaN", "m1 - m2", v("m1", nan, "m2", 2), -2},
		{"missing through a scalar op then beside a series", "m1 + m2*2", v("m1", 1, "m2", nan), 1},
		{"m1 / m2 with m2 NaN divides by 0: dropped", "m1 / m2", v("m1", 5, "m2", nan), nan},
		{"division by zero drops the point", "m1 / 0", v("m1", 5), nan},
		{"division by a zero series drops the point", "m1 / m2", v("m1", 5, "m2", 0), nan},
		{"scalar division by zero", "1/0", nil, nan},
		{"zero to a negative power is dropped", "0^-1", nil, nan},

		{"IF(m1 > 0, 1, 0) true", "IF(m1 > 0, 1, 0)", v("m1", 1), 1},
		{"IF(m1 > 0, 1, 0) false", "IF(m1 > 0, 1, 0)", v("m1", 0), 0},
		{"IF(m1 > 0, 1, 0) missing condition", "IF(m1 > 0, 1, 0)", v("m1", nan), nan},
		{"IF without false value, false", "IF(m1 > 0, m1)", v("m1", -1), nan},
		{"IF without false value, true", "IF(m1 > 0, m1)", v("m1", 3), 3},
		{"IF series condition true, series value missing gives 0", "IF(m1, m2, m3)", v("m1", 1, "m2", nan, "m3", 0), 0},
		{"IF series condition false, series value missing", "IF(m1, m2, m3)", v("m1", 0, "m2", 0, "m3", nan), nan},
		{"IF series condition false, scalar value", "IF(m1, m2, 5)", v("m1", 0, "m2", 30), 5},
		{"IF negative condition is true", "IF(m1, 5, 6)", v("m1", -2), 5},
		{"IF scalar condition keeps a missing branch missing", "IF(1, m2, m3)", v("m2", nan, "m3", 1), nan},

		{"SUM([m1, m2]) with one missing", "SUM([m1, m2])", v("m1", 3, "m2", nan), 3},
		{"SUM([m1, m2]) with both missing", "SUM([m1, m2])", v("m1", nan, "m2", nan), nan},
		{"MAX([m1,m2])", "MAX([m1,m2])", v("m1", 3, "m2", 8), 8},
		{"MIN([m1, m2])", "MIN([m1, m2])", v("m1", 3, "m2", 8), 3},
		{"MIN counts a missing series as 0", "MIN([m1, m2])", v("m1", 3, "m2", nan), 0},
		{"AVG([m1, m2])", "AVG([m1, m2])", v("m1", 3, "m2", 8), 5.5},
		{"AVG counts a missing series as 0", "AVG([m1, m2])", v("m1", 4, "m2", nan), 2},
		{"array divided by a number", "SUM([m1, m2]/2)", v("m1", 3, "m2", 5), 4},
		{"number divided by an array", "SUM(100/[m1, m2])", v("m1", 4, "m2", 5), 45},
		{"array divided by a series", "AVG([m1, m2]/m3)", v("m1", 4, "m2", 8, "m3", 2), 3},
		{"negated array", "SUM(-[m1, m2])", v("m1", 4, "m2", 5), -9},
		{"function over an array", "MIN(ABS([m1, m2]))", v("m1", -4, "m2", 5), 4},
		{"nested arrays concatenate", "SUM([[m1, m2], m3])", v("m1", 1, "m2", 2, "m3", 3), 6},

		{"comparison true", "m1 >= 30", v("m1", 30), 1},
		{"comparison false", "m1 < 30", v("m1", 30), 0},
		{"equality", "m1 == 2", v("m1", 2), 1},
		{"inequality", "m1 != 2", v("m1", 2), 0},
		{"less or equal", "m1 <= 2", v("m1", 3), 0},
		{"greater", "m1 > 2", v("m1", 3), 1},
		{"comparison with a missing series point", "m1 > 0", v("m1", nan), nan},
		{"comparison between series treats missing as 0", "m1 < m2", v("m1", -1, "m2", nan), 1},
		{"guide AND example, both present", "metric1 > 15 AND metric2 > 15", v("metric1", 30, "metric2", 20), 1},
		{"guide AND example, metric2 missing", "metric1 > 15 AND metric2 > 15", v("metric1", 20, "metric2", nan), 0},
		{"&& binds tighter than ||", "m1 > 0 && m2 > 0 || m3 > 0", v("m1", 0, "m2", 1, "m3", 1), 1},
		{"OR", "m1 > 5 OR m2 > 5", v("m1", 1, "m2", 6), 1},
		{"AND of numbers", "2 AND 0", nil, 0},
		{"NOT binds looser than comparison", "NOT m1 > 5", v("m1", 3), 1},
		{"NOT of non-zero", "NOT m1", v("m1", 3), 0},
		{"NOT of missing", "NOT m1", v("m1", nan), nan},
		{"comparison result in arithmetic", "(m1 > 0) * 10", v("m1", 1), 10},

		{"ABS", "ABS(m1)", v("m1", -3), 3},
		{"CEIL", "CEIL(m1)", v("m1", 2.1), 3},
		{"FLOOR", "FLOOR(m1)", v("m1", -2.1), -3},
		{"SQRT", "SQRT(m1)", v("m1", 16), 4},
		{"SQRT of a negative is dropped", "SQRT(m1)", v("m1", -1), nan},
		{"LOG", "LOG(EXP(2))", nil, 2},
		{"LOG10", "LOG10(m1)", v("m1", 1000), 3},
		{"LOG of zero is dropped", "LOG(m1)", v("m1", 0), nan},
		{"EXP overflow is dropped", "EXP(m1)", v("m1", 1000), nan},
		{"ABS of missing", "ABS(m1)", v("m1", nan), nan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := mustParse(t, tc.expr)
			got, err := e.Eval(tc.vals)
			if err != nil {
				t.Fatalf("Eval(%q, %v): %v", tc.expr, tc.vals, err)
			}
			if !sameFloat(got, tc.want) {
				t.Fatalf("Eval(%q, %v) = %v, want %v", tc.expr, tc.vals, got, tc.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		vals    map[string]float64
		is      error
		wantErr string
	}{
		{"unknown id", "m1 + m3", v("m1", 1), ErrMissingID, `no value for id "m3"`},
		{"nil vals", "m1", nil, ErrMissingID, `"m1"`},
		{"RATE(m1)", "RATE(m1)", v("m1", 1), ErrNotEvaluated, "function RATE at column 1 is not evaluated by lookout"},
		{"METRICS()", "METRICS()", nil, ErrNotEvaluated, "function METRICS at column 1 is not evaluated by lookout"},
		{"SUM(METRICS())", "SUM(METRICS())", nil, ErrNotEvaluated, "function METRICS at column 5"},
		{"METRICS with a string", `SUM(METRICS("errors"))/m1`, v("m1", 1), ErrNotEvaluated, "function METRICS"},
		{"SEARCH", `SEARCH('{AWS/EC2,InstanceId} MetricName="CPUUtilization"', 'Average', 300)`, nil, ErrNotEvaluated, "function SEARCH"},
		{"PERIOD", "m1/PERIOD(m1)", v("m1", 1), ErrNotEvaluated, "function PERIOD at column 4"},
		{"DIFF", "DIFF(m1)", v("m1", 1), ErrNotEvaluated, "function DIFF"},
		{"RUNNING_SUM", "RUNNING_SUM([m1,m2])", v("m1", 1, "m2", 1), ErrNotEvaluated, "function RUNNING_SUM"},
		{"ANOMALY_DETECTION_BAND", "ANOMALY_DETECTION_BAND(m1, 2)", v("m1", 1), ErrNotEvaluated, "function ANOMALY_DETECTION_BAND"},
		{"INSIGHT_RULE_METRIC", "INSIGHT_RULE_METRIC('rule', 'UniqueContributors')", nil, ErrNotEvaluated, "function INSIGHT_RULE_METRIC"},
		{"SORT with keywords", "FIRST(SORT(METRICS(), AVG, DESC))", nil, ErrNotEvaluated, "function FIRST"},
		{"not evaluated beats missing id", "m1 + RATE(m2)", v("m1", 1), ErrNotEvaluated, "function RATE at column 6"},
		{"FILL REPEAT", "FILL(m1, REPEAT)", v("m1", nan), ErrNotEvaluated, "FILL(..., REPEAT) at column 1 is not evaluated by lookout"},
		{"FILL LINEAR", "FILL(m1, LINEAR)", v("m1", nan), ErrNotEvaluated, "FILL(..., LINEAR)"},
		{"MAX of a single series", "m1 - MAX(m1)", v("m1", 1), ErrNotEvaluated, "MAX of a single time series at column 6"},
		{"bare keyword", "M1 + 1", nil, ErrNotEvaluated, "keyword M1"},
		{"string literal", `"abc"`, nil, ErrNotEvaluated, "string literal at column 1"},
		{"two arrays", "SUM([m1, m2] + [m1, m2])", v("m1", 1, "m2", 1), ErrNotEvaluated, "between two arrays"},
		{"array result", "[m1, m2] * 2", v("m1", 1, "m2", 1), nil, "yields an array of 2 time series"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := mustParse(t, tc.expr)
			got, err := e.Eval(tc.vals)
			if err == nil {
				t.Fatalf("Eval(%q) = %v, want error containing %q", tc.expr, got, tc.wantErr)
			}
			if !math.IsNaN(got) {
				t.Errorf("Eval(%q) returned %v with its error, want NaN", tc.expr, got)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Eval(%q) error %q does not contain %q", tc.expr, err, tc.wantErr)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Eval(%q) error %q is not %v", tc.expr, err, tc.is)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	nest := func(open, close string, n int) string {
		return strings.Repeat(open, n) + "m1" + strings.Repeat(close, n)
	}
	tooLong := strings.Repeat("m1+", 683) + "m1" // 2051 bytes
	tests := []struct {
		name    string
		expr    string
		is      error
		wantErr string // exact message after "metric math: " when it starts with "at column"
	}{
		{"syntax error with column", "(m1 + )", nil, `at column 7: unexpected ")"`},
		{"trailing operator", "m1 +", nil, "at column 5: unexpected end of expression"},
		{"two operands", "m1 m2", nil, `at column 4: unexpected id "m2"`},
		{"unclosed parenthesis", "(m1", nil, `at column 4: unexpected end of expression, expected ")" to close the "(" at column 1`},
		{"unclosed call", "ABS(m1", nil, `at column 7: unexpected end of expression, expected "," or ")" to close the "(" at column 4`},
		{"unclosed array", "SUM([m1, m2)", nil, `at column 12: unexpected ")", expected "," or "]" to close the "[" at column 5`},
		{"single equals", "m1 = 1", nil, `at column 4: unexpected "=" (equality is written ==)`},
		{"lone ampersand", "m1 & m2", nil, `at column 4: unexpected "&"`},
		{"lower-case function", "abs(m1)", nil, `at column 1: "abs" is not a function`},
		{"ABS arity", "ABS(m1, m2)", nil, "at column 1: ABS takes 1 argument, got 2"},
		{"IF arity", "1 + IF(m1)", nil, "at column 5: IF takes 2 or 3 arguments, got 1"},
		{"FILL arity", "FILL(m1)", nil, "at column 1: FILL takes 2 arguments, got 1"},
		{"MAX of a number", "MAX(5)", nil, "at column 1: MAX takes an array of time series"},
		{"IF over an array", "IF([m1, m2], 1)", nil, "at column 4: IF takes numbers and single time series, not an array"},
		{"FILL with an unknown keyword", "FILL(m1, ZERO)", nil, "at column 10: FILL fills with a number, a time series, REPEAT or LINEAR, not ZERO"},
		{"FILL with an array", "FILL(m1, [m2])", nil, "at column 10: the fill value of FILL cannot be an array"},
		{"empty array", "SUM([])", nil, "at column 5: empty array"},
		{"trailing comma", "SUM([m1,])", nil, `at column 9: unexpected "]"`},
		{"empty expression", "", nil, "at column 1: empty expression"},
		{"blank expression", "   ", nil, "at column 4: empty expression"},
		{"two dots", "1.2.3", nil, `at column 1: malformed number "1.2."`},
		{"number into id", "2m1", nil, `at column 1: malformed number "2m"`},
		{"bare exponent", "1e+", nil, `at column 1: malformed number "1e+"`},
		{"huge number", "1e999", nil, "at column 1: number 1e999 is out of range"},
		{"unknown character", "m1 $ 2", nil, `at column 4: unexpected character '$'`},
		{"leading underscore", "_m1", nil, `at column 1: unexpected character '_'`},
		{"unterminated string", `METRICS("abc)`, nil, "at column 9: unterminated string literal"},
		{"invalid UTF-8", "m1 + \xff", nil, "at column 6: invalid UTF-8 byte 0xff"},
		{"NOT as a binary operator", "m1 NOT m2", nil, `at column 4: unexpected "NOT"`},
		{"too long", tooLong, ErrTooLong, "expression too long: 2051 bytes, CloudWatch allows at most 2048"},
		{"deeply nested parentheses", nest("(", ")", MaxDepth+1), ErrTooDeep, "at column 65: expression nested too deeply: more than 64 levels"},
		{"deeply nested calls", nest("ABS(", ")", MaxDepth+1), ErrTooDeep, "at column 260: expression nested too deeply"},
		{"deeply nested arrays", "SUM(" + nest("[", "]", MaxDepth) + ")", ErrTooDeep, "expression nested too deeply"},
		{"deeply nested minus", strings.Repeat("-", MaxDepth+1) + "m1", ErrTooDeep, "at column 65: expression nested too deeply"},
		{"deeply nested NOT", strings.Repeat("NOT ", MaxDepth+1) + "m1", ErrTooDeep, "at column 257: expression nested too deeply"},
		{"deeply nested powers", strings.Repeat("2^", MaxDepth+1) + "1", ErrTooDeep, "at column 130: expression nested too deeply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.expr)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error containing %q", tc.expr, e, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) error %q does not contain %q", tc.expr, err, tc.wantErr)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Parse(%q) error %q is not %v", tc.expr, err, tc.is)
			}
			if strings.HasPrefix(tc.wantErr, "at column") {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("Parse(%q) error %T is not a *SyntaxError", tc.expr, err)
				}
				if want := "metric math: " + tc.wantErr; !strings.HasPrefix(err.Error(), want) {
					t.Errorf("Parse(%q) error %q, want prefix %q", tc.expr, err, want)
				}
			}
		})
	}
}

func TestBoundsAccepted(t *testing.T) {
	longest := strings.Repeat("m1+", (MaxExpressionBytes-2)/3) + "m1"
	longest += strings.Repeat(" ", MaxExpressionBytes-len(longest))
	for name, expr := range map[string]string{
		"exactly MaxExpressionBytes":  longest,
		"MaxDepth parentheses":        strings.Repeat("(", MaxDepth) + "m1" + strings.Repeat(")", MaxDepth),
		"MaxDepth calls":              strings.Repeat("ABS(", MaxDepth) + "m1" + strings.Repeat(")", MaxDepth),
		"MaxDepth minus signs":        strings.Repeat("-", MaxDepth) + "m1",
		"long flat chain is not deep": strings.Repeat("m1*", 600) + "1",
	} {
		t.Run(name, func(t *testing.T) {
			if len(expr) > MaxExpressionBytes {
				t.Fatalf("test expression is %d bytes", len(expr))
			}
			e, err := Parse(expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if _, err := e.Eval(v("m1", 1)); err != nil {
				t.Fatalf("Eval: %v", err)
			}
		})
	}
}

func TestIDs(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{"m1", []string{"m1"}},
		{"1 + 2", nil},
		{"FILL(m2, 0) + m1*m1 + RATE(e1) + IF(m2 > 0, a_b, zz)", []string{"a_b", "e1", "m1", "m2", "zz"}},
		{"SUM([m3, m1, m3])", []string{"m1", "m3"}},
	}
	for _, tc := range tests {
		e := mustParse(t, tc.expr)
		if got := e.IDs(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("IDs(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
	e, _ := Parse("m2 + m1")
	ids := e.IDs()
	ids[0] = "changed"
	if got := e.IDs(); got[0] != "m1" {
		t.Errorf("IDs returned the Expr's own slice: %q", got)
	}
}

func TestString(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"1+2*3^2", "1 + 2 * 3 ^ 2"},
		{"(1+2)*3", "(1 + 2) * 3"},
		{"((m1))", "m1"},
		{"a-(b-c)", "a - (b - c)"},
		{"(a-b)-c", "a - b - c"},
		{"-2^2", "-2 ^ 2"},
		{"(-2)^2", "(-2) ^ 2"},
		{"2^3^2", "2 ^ 3 ^ 2"},
		{"(2^3)^2", "(2 ^ 3) ^ 2"},
		{"2^-m1", "2 ^ -m1"},
		{"m1>0&&m2||m3", "m1 > 0 AND m2 OR m3"},
		{"m1>0&&(m2||m3)", "m1 > 0 AND (m2 OR m3)"},
		{"NOT(m1 AND m2)", "NOT (m1 AND m2)"},
		{"NOT m1 > 0", "NOT m1 > 0"},
		{"(NOT m1) > 0", "(NOT m1) > 0"},
		{"IF(m1>0,1,0)", "IF(m1 > 0, 1, 0)"},
		{"SUM([m1,m2])/2", "SUM([m1, m2]) / 2"},
		{"FILL(m1,REPEAT)", "FILL(m1, REPEAT)"},
		{`METRICS( "x" )`, `METRICS("x")`},
		{"1.50e3", "1.50e3"},
	}
	for _, tc := range tests {
		e := mustParse(t, tc.expr)
		if got := e.String(); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func TestNilExpr(t *testing.T) {
	var e *Expr
	if _, err := e.Eval(nil); err == nil {
		t.Error("Eval on a nil *Expr did not fail")
	}
	if e.IDs() != nil || e.String() != "" {
		t.Error("nil *Expr has ids or text")
	}
}
