// Package route is lookout's route engine: the shared judgement of the paths that carry a
// control's events to a person or a remediation, hop by hop, as AWS would decide each hop with
// the principal that makes the call. A path from a trail through a log group, metric filter,
// alarm and SNS topic to a subscriber, or from a trail through EventBridge rules, buses and
// targets, holds only if every hop does; a control holds if the union of its paths carries
// every event it must see.
//
// The engine reads only a snapshot (internal/snapshot): the checks in package checks call it
// and turn its verdicts into findings.
package route

import (
	"cmp"

	"github.com/lookout-audit/lookout/internal/verdict"
)

// Verdict is the one verdict word, verdict.Verdict, named here so the engine reads plainly.
type Verdict = verdict.Verdict

const (
	Pass  = verdict.Pass
	Fail  = verdict.Fail  // read, and it does not do the job
	Error = verdict.Error // could not be read or lies outside the scan
)

// ComparePaths is the one order of "closest" for paths, rules and trail chains: a path that
// passes, then one that could not be judged (it might pass), then the one whose links hold
// furthest. It is negative when a (verdict a, holding aHolds links) is the closer one, zero
// on a tie, which the caller breaks.
func ComparePaths(a Verdict, aHolds int, b Verdict, bHolds int) int {
	return cmp.Or(cmp.Compare(closeness(b), closeness(a)), cmp.Compare(bHolds, aHolds))
}

func closeness(v Verdict) int {
	switch v {
	case verdict.Pass:
		return 2
	case verdict.Error:
		return 1
	}
	return 0
}
