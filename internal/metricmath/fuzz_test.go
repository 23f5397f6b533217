package metricmath

import (
	"errors"
	"math"
	"testing"
	"time"
)

var fuzzSeeds = []string{
	"m1",
	"m1*100",
	"(m1+m2)/2",
	"1+2*3^2",
	"-2^-2^2",
	"FILL(m1, 0) + m2",
	"FILL(m1, REPEAT)",
	"IF(m1 > 0, 1, 0)",
	"IF(m1, m2)",
	"SUM([m1, m2]) / AVG([m1, m2, 3]) - MAX(ABS([m1, -m2]))",
	"MIN(100/[m1, m2])",
	"metric1 > 15 AND metric2 > 15 || NOT m3 != 1",
	"LOG(m1) + LOG10(m2) + SQRT(m3) + EXP(CEIL(FLOOR(m1)))",
	"RATE(m1) + METRICS()",
	`SEARCH('{AWS/EC2,InstanceId} MetricName="CPUUtilization"', 'Average', 300)`,
	"SORT(METRICS(), AVG, DESC, 10)",
	"1.5e3 / .5 - 2E-2",
	"((((m1))))",
	"[m1, [m2, m3]] * 2",
	"(m1 + )",
	"abs(m1)",
	"",
}

// FuzzParseEval checks, for any input: Parse and Eval never panic and finish quickly; Parse's
// errors are a *SyntaxError with an in-range position or ErrTooLong; IDs are sorted and unique;
// String() parses back to the same canonical form with the same ids and the same Eval outcome;
// Eval's error comes with NaN and a result is never infinite.
func FuzzParseEval(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, float64(i), -2.5, uint8(i))
	}
	f.Fuzz(func(t *testing.T, src string, a, b float64, missingMask uint8) {
		start := time.Now()
		e, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			switch {
			case errors.As(err, &se):
				if se.Pos < 0 || se.Pos > len(src) {
					t.Fatalf("error position %d outside %d-byte expression: %v", se.Pos, len(src), err)
				}
			case errors.Is(err, ErrTooLong):
				if len(src) <= MaxExpressionBytes {
					t.Fatalf("ErrTooLong for %d bytes", len(src))
				}
			default:
				t.Fatalf("Parse error %v is neither a *SyntaxError nor ErrTooLong", err)
			}
			return
		}
		ids := e.IDs()
		for i := 1; i < len(ids); i++ {
			if ids[i-1] >= ids[i] {
				t.Fatalf("IDs %q not sorted and unique", ids)
			}
		}
		vals := map[string]float64{}
		for i, id := range ids {
			x := a
			if i%2 == 1 {
				x = b
			}
			if missingMask&(1<<(i%8)) != 0 {
				x = math.NaN()
			}
			vals[id] = x
		}
		got, evalErr := e.Eval(vals)
		if evalErr != nil && !math.IsNaN(got) {
			t.Fatalf("Eval error %v came with %v, want NaN", evalErr, got)
		}
		if math.IsInf(got, 0) {
			t.Fatalf("Eval = %v; infinite points are dropped", got)
		}

		canon := e.String()
		e2, err := Parse(canon)
		if err != nil {
			if errors.Is(err, ErrTooLong) || errors.Is(err, ErrTooDeep) {
				return // the canonical spacing can add bytes; the source was within bounds
			}
			t.Fatalf("String() of %q = %q does not parse: %v", src, canon, err)
		}
		if again := e2.String(); again != canon {
			t.Fatalf("String() not stable: %q -> %q -> %q", src, canon, again)
		}
		got2, evalErr2 := e2.Eval(vals)
		if (evalErr == nil) != (evalErr2 == nil) || !sameFloat(got, got2) {
			t.Fatalf("%q and its String() %q evaluate differently: (%v, %v) vs (%v, %v)", src, canon, got, evalErr, got2, evalErr2)
		}
		if d := time.Since(start); d > 10*time.Second { // generous: only a runaway should trip it
			t.Fatalf("Parse and Eval of a %d-byte expression took %v", len(src), d)
		}
	})
}
