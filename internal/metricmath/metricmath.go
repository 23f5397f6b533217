// Package metricmath parses and evaluates CloudWatch metric math expressions — the Expression of
// a MetricDataQuery, as used by alarms on metric math (PutMetricAlarm with Metrics).
//
// Why an evaluator: an alarm on metric math does not compare a metric with its threshold; it
// compares the one query with ReturnData set, for example "m1*100" or "IF(m1 > 0, 1, 0)" or
// "FILL(m1, 0) + m2". Whether one matching log event (which adds its value to one metric-filter
// metric in one period) makes that alarm breach depends on what the expression does with the
// value. Reading the expression's text cannot answer that; evaluating it for the period can.
//
// The semantics follow the Amazon CloudWatch User Guide, "Using math expressions with CloudWatch
// metrics" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html),
// sections "Metric math syntax and functions", "Basic arithmetic functions", "Comparison and
// logical operators", "Functions supported for metric math" and "Using IF expressions". Where
// the guide is silent, the choice made is stated here and next to the code that makes it.
//
// # One period
//
// CloudWatch evaluates an expression over whole time series. lookout asks about one period, so
// Eval receives one value per referenced id and computes the expression's value at that
// timestamp. A time series with no data point in the period is passed as NaN ("missing"), and
// Eval returns NaN when the expression has no data point there. The guide's rules then become:
//
//   - An operator between two time series treats a missing side as 0 as long as the other side
//     has a point ("Missing values in a time series are treated as 0"; for comparisons "the
//     function treats the missing value in the other time series as 0"). Only when both sides
//     are missing is the result missing. So m1 + m2 with m2 missing is m1, not missing.
//   - An operator between a time series and a number keeps the series' timestamps: a missing
//     point stays missing (m1*100 with m1 missing is missing; so is m1 > 0).
//   - Division by zero drops the data point (the guide: "the data point is dropped"), and so
//     does any other result that is not a finite number (LOG(0), 0^-1, SQRT(-1)): CloudWatch
//     drops NaN and infinite points from its results.
//   - Comparisons (== != < <= > >=) and the logical operators (AND or &&, OR or ||) give 1 for
//     true and 0 for false, with any non-zero operand counting as true.
//   - FILL(m, v) replaces a missing point with v. FILL(m, REPEAT) and FILL(m, LINEAR) fill from
//     other periods and are not evaluated.
//   - IF(c, a[, b]) follows "Using IF expressions": a missing condition point gives a missing
//     result; a true condition gives a — except that a true time-series condition with a missing
//     time-series a gives 0, as the guide's tables show; a false condition gives b, or missing
//     when b is omitted or missing. A number as condition chooses a branch as it is.
//   - MAX, MIN, SUM and AVG of an array ([m1, m2], also [m1, m2]/2 and the like) combine the
//     array's series at this period. Missing points count as 0 (the guide says so for AVG and
//     for arithmetic in general; for MAX and MIN it is silent and the same rule is applied),
//     and AVG divides by the number of series in the array. If every series is missing the
//     result is missing. MAX, MIN, SUM or AVG of a single time series aggregates over all
//     periods of the query and is not evaluated.
//   - ABS, CEIL, FLOOR, LOG (natural), LOG10 apply to each point; on an array, to each series.
//
// Beyond the guide's function table Eval also accepts what lookout's callers asked for: SQRT,
// EXP and a NOT prefix operator (NOT x is 1 when x is 0, else 0). The guide's text as checked
// (its 2023 revision) lists none of the three. If CloudWatch rejects them, PutMetricAlarm keeps
// them out of real alarms; if it accepts them, their meaning can only be the obvious one.
//
// Everything else CloudWatch offers — METRICS(), SEARCH(...), RATE, DIFF, PERIOD, RUNNING_SUM,
// ANOMALY_DETECTION_BAND, INSIGHT_RULE_METRIC, string literals, keywords such as REPEAT or DESC —
// parses when it is well formed, but Eval returns an error wrapping ErrNotEvaluated that names
// the first such construct ("function RATE at column 1 is not evaluated by lookout"). Most of
// these depend on other periods, other metrics or the query itself, which one period does not
// carry. Parse succeeds on them so that a caller can still list the expression's ids.
//
// Syntax as evaluated: numbers (1, 2.5, .5, 1e3, 2.5E-3), ids (a lower-case letter, then
// letters, digits and underscores, as the guide requires of an Id), unary minus, + - * / ^,
// comparisons, AND && OR || NOT, parentheses, array literals [a, b, ...] and upper-case function
// calls. Function names are case-sensitive (the guide: "All functions must be written in
// uppercase letters"); "abs(m1)" is a syntax error. The guide does not state precedence; the
// usual one is used, lowest first: OR, AND, NOT, comparisons, + -, * /, unary minus, ^. So
// -2^2 is -4, 2^3^2 is 512 (^ groups to the right), 1+2*3^2 is 19, and NOT a > b is NOT (a > b).
//
// Bounds: an expression longer than MaxExpressionBytes (2048, the length limit of a
// MetricDataQuery Expression) is refused with ErrTooLong, nesting deeper than MaxDepth (64;
// parentheses, brackets, call arguments, unary operators and ^ each add a level) with
// ErrTooDeep. Parse is linear in the expression's size; Eval is too, except that an array
// carried through many operators is copied at each (at worst quadratic in 2048 bytes). Neither
// panics on any input.
package metricmath

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// MaxExpressionBytes is the longest expression Parse accepts: the length limit CloudWatch puts on
// the Expression of a MetricDataQuery. Anything longer cannot be a real alarm's expression.
const MaxExpressionBytes = 2048

// MaxDepth bounds nesting so that hostile input cannot recurse without limit.
const MaxDepth = 64

var (
	// ErrTooLong is wrapped by Parse's error for an expression over MaxExpressionBytes.
	ErrTooLong = errors.New("expression too long")
	// ErrTooDeep is wrapped by Parse's *SyntaxError for nesting deeper than MaxDepth.
	ErrTooDeep = errors.New("expression nested too deeply")
	// ErrNotEvaluated is wrapped by Eval's error for a well-formed construct lookout does not
	// evaluate for one period (RATE, METRICS(), FILL(m, REPEAT), MAX of a single series, ...).
	// It means "cannot judge", not "does not breach".
	ErrNotEvaluated = errors.New("not evaluated by lookout")
	// ErrMissingID is wrapped by Eval's error when vals has no entry for a referenced id.
	ErrMissingID = errors.New("no value for id")
)

// SyntaxError reports a malformed expression. Pos is the byte offset of the offending token
// (0-based); the message shows it as a 1-based column.
type SyntaxError struct {
	Pos int
	Msg string
	err error // a sentinel such as ErrTooDeep, for errors.Is
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("metric math: at column %d: %s", e.Pos+1, e.Msg)
}

// Unwrap returns the sentinel the error wraps, if any.
func (e *SyntaxError) Unwrap() error { return e.err }

func errAt(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Expr is a parsed expression. It is immutable, so one Expr may be evaluated concurrently.
type Expr struct {
	src     string
	root    *node
	ids     []string
	notEval error // first construct Eval refuses, recorded by Parse
}

// Parse parses a metric math expression. It fails on malformed input (a *SyntaxError naming the
// column), on an expression CloudWatch itself would reject for its shape (ABS with two
// arguments, IF over an array, MAX of a number), and on the bounds in the package comment. It
// succeeds on well-formed constructs lookout does not evaluate; Eval reports those.
func Parse(src string) (*Expr, error) {
	if len(src) > MaxExpressionBytes {
		return nil, fmt.Errorf("metric math: %w: %d bytes, CloudWatch allows at most %d", ErrTooLong, len(src), MaxExpressionBytes)
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if t := p.peek(); t.kind == tEOF {
		return nil, errAt(t.pos, "empty expression")
	}
	root, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, errAt(t.pos, "unexpected %s", t.describe())
	}
	var c checker
	if _, err := c.check(root); err != nil {
		return nil, err
	}
	return &Expr{src: src, root: root, ids: collectIDs(root), notEval: c.notEval}, nil
}

// IDs returns the query ids the expression references, sorted and without duplicates,
// including ids inside constructs Eval does not evaluate.
func (e *Expr) IDs() []string {
	if e == nil {
		return nil
	}
	return append([]string(nil), e.ids...)
}

// String returns the expression in canonical form: single spaces around binary operators, only
// the parentheses precedence needs, && and || written AND and OR. It parses back to the same
// expression (unless the added spaces push it over MaxExpressionBytes).
func (e *Expr) String() string {
	if e == nil || e.root == nil {
		return ""
	}
	var b strings.Builder
	e.root.format(&b, 0)
	return b.String()
}

// Eval computes the expression for one period from each referenced id's value in that period;
// vals may hold other ids too. An id whose series has no data point in the period must be
// passed as math.NaN() (a non-finite value is treated the same way). An id that is itself
// another expression of the alarm must be evaluated by the caller first and passed by value.
//
// The result is NaN when the expression has no data point in the period (see the package
// comment for when that happens). The error, with a NaN result, is: an ErrNotEvaluated error
// naming the first construct lookout does not evaluate; else an ErrMissingID error naming the
// first referenced id (in IDs order) absent from vals; else an error for an expression that
// yields an array of time series rather than the one series an alarm needs.
func (e *Expr) Eval(vals map[string]float64) (float64, error) {
	if e == nil || e.root == nil {
		return math.NaN(), errors.New("metric math: Eval on a nil expression")
	}
	if e.notEval != nil {
		return math.NaN(), e.notEval
	}
	for _, id := range e.ids {
		if _, ok := vals[id]; !ok {
			return math.NaN(), fmt.Errorf("metric math: %w %q", ErrMissingID, id)
		}
	}
	v, err := eval(e.root, vals)
	if err != nil {
		return math.NaN(), err
	}
	if v.k == kArray {
		return math.NaN(), fmt.Errorf("metric math: the expression yields an array of %d time series; an alarm needs exactly one", len(v.arr))
	}
	return v.v, nil
}
