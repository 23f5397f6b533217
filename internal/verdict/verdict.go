// Package verdict holds the one word lookout uses for the outcome of a judgement, from a hop
// of a path in the route engine to a finding in the report: PASS, FAIL, ERROR (it could not be
// judged, so it is never PASS) and WAIVED (a FAIL a waiver accepts).
package verdict

// Verdict is the outcome of judging a hop, a path or a whole check on one scope.
type Verdict string

const (
	Pass   Verdict = "PASS"
	Fail   Verdict = "FAIL"
	Error  Verdict = "ERROR" // the verdict could not be reached; never counts as PASS
	Waived Verdict = "WAIVED"
)

// Rank orders verdicts for choosing the closest of several candidates: a PASS first, then an
// ERROR (what could not be judged might pass), then a FAIL.
func (v Verdict) Rank() int {
	switch v {
	case Pass:
		return 2
	case Error:
		return 1
	}
	return 0
}

// Worst is the verdict that decides a set: any FAIL, else any ERROR, else PASS. WAIVED is
// never an input (waivers apply after the checks).
func Worst(vs ...Verdict) Verdict {
	out := Pass
	for _, v := range vs {
		switch {
		case v == Fail:
			return Fail
		case v == Error:
			out = Error
		}
	}
	return out
}
