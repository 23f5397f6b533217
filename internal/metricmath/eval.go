package metricmath

import (
	"fmt"
	"math"
)

// value is what an expression yields for the period: a number, one time series' point (v is NaN
// when the series has no point in the period) or an array of those (arr; never nested).
type value struct {
	k   kind
	v   float64
	arr []value
}

var missing = math.NaN()

// clean turns a non-finite result into a missing point. Dividing by zero "drops the data point"
// per the guide; for other non-finite results the guide is silent, but GetMetricData reports
// "One or more data-points have been dropped due to non-numeric values (NaN, -Infinite,
// +Infinite)" for them (quoted in grafana/grafana#78608), so they are dropped alike.
func clean(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return missing
	}
	return x
}

func eval(n *node, vals map[string]float64) (value, error) {
	switch n.kind {
	case nNum:
		return value{k: kScalar, v: clean(n.num)}, nil
	case nID:
		return value{k: kSeries, v: clean(vals[n.text])}, nil
	case nArray:
		var out []value
		for _, a := range n.args {
			v, err := eval(a, vals)
			if err != nil {
				return value{}, err
			}
			if v.k == kArray {
				out = append(out, v.arr...) // [METRICS("4xx"), m1]: arrays inside arrays concatenate
			} else {
				out = append(out, v)
			}
		}
		return value{k: kArray, arr: out}, nil
	case nNeg, nNot:
		v, err := eval(n.args[0], vals)
		if err != nil {
			return value{}, err
		}
		if n.kind == nNeg {
			return mapPoints(v, func(x float64) float64 { return -x }), nil
		}
		return mapPoints(v, func(x float64) float64 { return truth(x == 0) }), nil
	case nBinary:
		l, err := eval(n.args[0], vals)
		if err != nil {
			return value{}, err
		}
		r, err := eval(n.args[1], vals)
		if err != nil {
			return value{}, err
		}
		return binary(n, l, r)
	case nCall:
		return evalCall(n, vals)
	}
	return value{}, notEvaluated(n)
}

// notEvaluated is the error for a construct that reached evaluation although Parse's check
// should have recorded it; it keeps Eval from guessing.
func notEvaluated(n *node) error {
	return fmt.Errorf("metric math: construct at column %d is %w", n.pos+1, ErrNotEvaluated)
}

func truth(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// eachPoint applies f to a point, or to each point of an array, missing points included.
func eachPoint(v value, f func(float64) float64) value {
	if v.k == kArray {
		out := make([]value, len(v.arr))
		for i, x := range v.arr {
			out[i] = eachPoint(x, f)
		}
		return value{k: kArray, arr: out}
	}
	return value{k: v.k, v: f(v.v)}
}

// mapPoints applies f to a point, or to each point of an array. A missing point stays missing.
func mapPoints(v value, f func(float64) float64) value {
	return eachPoint(v, func(x float64) float64 {
		if math.IsNaN(x) {
			return missing
		}
		return clean(f(x))
	})
}

// binary applies operator n.op. Between an array and a point it applies to each series of the
// array. Between two series a missing side counts as 0 unless both are missing; between a series
// and a number a missing point stays missing (see the package comment).
func binary(n *node, a, b value) (value, error) {
	if a.k == kArray || b.k == kArray {
		if a.k == kArray && b.k == kArray {
			return value{}, notEvaluated(n)
		}
		arr, other := a.arr, b
		if b.k == kArray {
			arr, other = b.arr, a
		}
		out := make([]value, len(arr))
		for i, x := range arr {
			var err error
			if a.k == kArray {
				out[i], err = binary(n, x, other)
			} else {
				out[i], err = binary(n, other, x)
			}
			if err != nil {
				return value{}, err
			}
		}
		return value{k: kArray, arr: out}, nil
	}
	k := join(a.k, b.k)
	x, y := a.v, b.v
	if a.k == kSeries && b.k == kSeries {
		if math.IsNaN(x) && math.IsNaN(y) {
			return value{k: k, v: missing}, nil
		}
		if math.IsNaN(x) {
			x = 0
		}
		if math.IsNaN(y) {
			y = 0
		}
	}
	if math.IsNaN(x) || math.IsNaN(y) {
		return value{k: k, v: missing}, nil
	}
	var r float64
	switch n.op {
	case tPlus:
		r = x + y
	case tMinus:
		r = x - y
	case tStar:
		r = x * y
	case tSlash:
		if y == 0 {
			return value{k: k, v: missing}, nil
		}
		r = x / y
	case tCaret:
		r = math.Pow(x, y)
	case tEq:
		r = truth(x == y)
	case tNe:
		r = truth(x != y)
	case tLt:
		r = truth(x < y)
	case tLe:
		r = truth(x <= y)
	case tGt:
		r = truth(x > y)
	case tGe:
		r = truth(x >= y)
	case tAnd:
		r = truth(x != 0 && y != 0)
	case tOr:
		r = truth(x != 0 || y != 0)
	default:
		return value{}, notEvaluated(n)
	}
	return value{k: k, v: clean(r)}, nil
}

var pointFuncs = map[string]func(float64) float64{
	"ABS":   math.Abs,
	"CEIL":  math.Ceil,
	"FLOOR": math.Floor,
	"LOG":   math.Log,
	"LOG10": math.Log10,
	"SQRT":  math.Sqrt,
	"EXP":   math.Exp,
}

func evalCall(n *node, vals map[string]float64) (value, error) {
	args := make([]value, len(n.args))
	for i, a := range n.args {
		if n.text == "FILL" && i == 1 && a.kind == nKeyword {
			return value{}, notEvaluated(n) // FILL(m, REPEAT): recorded by Parse already
		}
		v, err := eval(a, vals)
		if err != nil {
			return value{}, err
		}
		args[i] = v
	}
	if f, ok := pointFuncs[n.text]; ok && len(args) == 1 {
		return mapPoints(args[0], f), nil
	}
	switch n.text {
	case "FILL":
		if len(args) != 2 || args[1].k == kArray {
			return value{}, notEvaluated(n)
		}
		return fill(args[0], args[1].v), nil
	case "IF":
		if len(args) < 2 || len(args) > 3 {
			return value{}, notEvaluated(n)
		}
		return evalIF(n, args)
	case "MAX", "MIN", "SUM", "AVG":
		if len(args) != 1 || args[0].k != kArray {
			return value{}, notEvaluated(n)
		}
		return reduce(n.text, args[0].arr), nil
	}
	return value{}, notEvaluated(n)
}

// fill replaces a missing point (of each series, for an array) with with; with may itself be a
// missing point of a filler series, and then nothing changes.
func fill(v value, with float64) value {
	return eachPoint(v, func(x float64) float64 {
		if math.IsNaN(x) {
			return with
		}
		return x
	})
}

// evalIF follows "Using IF expressions" of the guide, point by point:
//
//	condition missing                      → missing ("is dropped")
//	condition true                         → the true value; if the condition is a time series
//	                                         and the true value a series with no point: 0
//	condition false, no false value given  → missing
//	condition false                        → the false value (missing if it has no point)
//
// A number as the condition picks a whole branch, so a missing point of that branch stays
// missing (IF(scalar1, metric2, metric3) "has the value of metric2").
func evalIF(n *node, args []value) (value, error) {
	k := kScalar
	for _, a := range args {
		if a.k == kArray {
			return value{}, notEvaluated(n)
		}
		k = join(k, a.k)
	}
	c, t := args[0], args[1]
	switch {
	case math.IsNaN(c.v):
		return value{k: k, v: missing}, nil
	case c.v != 0:
		if math.IsNaN(t.v) && t.k == kSeries && c.k == kSeries {
			return value{k: k, v: 0}, nil
		}
		return value{k: k, v: t.v}, nil
	case len(args) == 2:
		return value{k: k, v: missing}, nil
	}
	return value{k: k, v: args[2].v}, nil
}

// reduce computes MAX, MIN, SUM or AVG across the series of an array at this period. Missing
// points count as 0 unless every point is missing; AVG divides by the array's length.
func reduce(fn string, arr []value) value {
	k := kScalar
	present := false
	for _, x := range arr {
		k = join(k, x.k)
		if !math.IsNaN(x.v) {
			present = true
		}
	}
	if !present {
		return value{k: k, v: missing}
	}
	var r float64
	for i, x := range arr {
		v := x.v
		if math.IsNaN(v) {
			v = 0
		}
		switch {
		case fn == "SUM" || fn == "AVG":
			r += v
		case i == 0:
			r = v
		case fn == "MAX":
			r = math.Max(r, v)
		default:
			r = math.Min(r, v)
		}
	}
	if fn == "AVG" {
		r /= float64(len(arr))
	}
	return value{k: k, v: clean(r)}
}
