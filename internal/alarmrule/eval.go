package alarmrule

import (
	"errors"
	"fmt"
)

// State is a CloudWatch alarm state (StateValue in DescribeAlarms).
type State int

const (
	StateOK               State = iota + 1 // OK
	StateAlarm                             // ALARM
	StateInsufficientData                  // INSUFFICIENT_DATA
)

var allStates = [...]State{StateOK, StateAlarm, StateInsufficientData}

func (s State) String() string {
	switch s {
	case StateOK:
		return "OK"
	case StateAlarm:
		return "ALARM"
	case StateInsufficientData:
		return "INSUFFICIENT_DATA"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

func (s State) valid() bool { return s >= StateOK && s <= StateInsufficientData }

// ParseState reads a StateValue as the CloudWatch API spells it: "OK", "ALARM" or
// "INSUFFICIENT_DATA".
func ParseState(s string) (State, error) {
	if st, ok := stateKeyword(s); ok {
		return st, nil
	}
	return 0, fmt.Errorf("alarmrule: unknown alarm state %q", s)
}

// AmbiguousError reports a rule whose value depends on whether AND binds tighter than OR, which
// the CloudWatch documentation does not say (see the package comment).
type AmbiguousError struct {
	Alarm  string // the composite alarm whose rule it is; empty from Expr.Eval
	Offset int    // byte offset of the first unparenthesized chain mixing AND and OR
}

func (e *AmbiguousError) Error() string {
	msg := fmt.Sprintf("alarm rule: offset %d: AND and OR are mixed without parentheses and the result depends on their precedence, which CloudWatch does not document", e.Offset)
	if e.Alarm != "" {
		return fmt.Sprintf("alarmrule: composite alarm %q: %s", e.Alarm, msg)
	}
	return msg
}

// firstMixed returns the offset of the first KindMixed node in e.
func firstMixed(e *Expr) (int, bool) {
	off, found := 0, false
	e.walk(func(x *Expr) {
		if x.Kind == KindMixed && !found {
			off, found = x.Offset, true
		}
	})
	return off, found
}

// Eval reports whether the rule is TRUE when each referenced alarm is in the state that state
// returns for its name or ARN as written. state is called once per distinct reference, and every
// reference is looked up (there is no short-circuit), so an error from state is always returned.
// A chain mixing AND and OR without parentheses whose value depends on their precedence gives an
// *AmbiguousError.
func (e *Expr) Eval(state func(ref string) (State, error)) (bool, error) {
	if e == nil {
		return false, errors.New("alarmrule: Eval of a nil rule")
	}
	seen := make(map[string]State)
	look := func(r Ref) (states, error) {
		s, ok := seen[r.Alarm]
		if !ok {
			var err error
			if s, err = state(r.Alarm); err != nil {
				return 0, fmt.Errorf("alarm rule: state of %q: %w", r.Alarm, err)
			}
			if !s.valid() {
				return 0, fmt.Errorf("alarm rule: state of %q: invalid %v", r.Alarm, s)
			}
			seen[r.Alarm] = s
		}
		return s.set(), nil
	}
	t, err := e.eval(look, false)
	if err != nil {
		return false, err
	}
	switch t {
	case canTrue:
		return true, nil
	case canFalse:
		return false, nil
	}
	off, _ := firstMixed(e)
	return false, &AmbiguousError{Offset: off}
}

// states is a set of States, one bit each.
type states uint8

const anyState = states(1<<StateOK | 1<<StateAlarm | 1<<StateInsufficientData)

func (s State) set() states { return states(1) << s }

// truth is the set of values an expression may take: evaluation runs over sets of possible
// alarm states, so that an alarm whose state is unknown, or a chain whose grouping is unknown,
// yields every value it could have rather than a guess.
type truth uint8

const (
	canFalse truth = 1 << iota
	canTrue
	either = canFalse | canTrue
)

func truthOf(b bool) truth {
	if b {
		return canTrue
	}
	return canFalse
}

func and(x, y truth) truth {
	var t truth
	if x&canTrue != 0 && y&canTrue != 0 {
		t |= canTrue
	}
	if x&canFalse != 0 || y&canFalse != 0 {
		t |= canFalse
	}
	return t
}

func or(x, y truth) truth {
	var t truth
	if x&canTrue != 0 || y&canTrue != 0 {
		t |= canTrue
	}
	if x&canFalse != 0 && y&canFalse != 0 {
		t |= canFalse
	}
	return t
}

func not(x truth) truth {
	return (x&canTrue)>>1 | (x&canFalse)<<1
}

func apply(op Kind, x, y truth) truth {
	if op == KindAnd {
		return and(x, y)
	}
	return or(x, y)
}

// eval returns the values e may take when each reference is in one of the states look gives
// it. Operands are treated as independent, which can only widen the result. conventional reads
// a mixed chain with AND before OR only, instead of under every grouping.
func (e *Expr) eval(look func(Ref) (states, error), conventional bool) (truth, error) {
	switch e.Kind {
	case KindTrue:
		return canTrue, nil
	case KindFalse:
		return canFalse, nil
	case KindState:
		s, err := look(e.Ref)
		if err != nil {
			return 0, err
		}
		var t truth
		if s&e.Ref.State.set() != 0 {
			t |= canTrue
		}
		if s&^e.Ref.State.set() != 0 {
			t |= canFalse
		}
		return t, nil
	case KindAtLeast:
		return e.AtLeast.eval(look)
	case KindNot:
		t, err := e.Args[0].eval(look, conventional)
		return not(t), err
	case KindAnd, KindOr, KindMixed:
		vals := make([]truth, len(e.Args))
		for i, a := range e.Args {
			t, err := a.eval(look, conventional)
			if err != nil {
				return 0, err
			}
			vals[i] = t
		}
		ops := e.Ops
		if e.Kind != KindMixed {
			ops = make([]Kind, len(vals)-1)
			for i := range ops {
				ops[i] = e.Kind
			}
		}
		t := tighterFirst(vals, ops, KindAnd)
		if e.Kind == KindMixed && !conventional {
			t |= tighterFirst(vals, ops, KindOr) | leftToRight(vals, ops) | rightToLeft(vals, ops)
		}
		return t, nil
	}
	return 0, fmt.Errorf("alarmrule: invalid expression kind %d", e.Kind)
}

// tighterFirst groups runs joined by tight before applying the other operator.
func tighterFirst(vals []truth, ops []Kind, tight Kind) truth {
	loose, acc := KindOr, canFalse // OR's identity
	if tight == KindOr {
		loose, acc = KindAnd, canTrue
	}
	group := vals[0]
	for i, op := range ops {
		if op == tight {
			group = apply(tight, group, vals[i+1])
		} else {
			acc, group = apply(loose, acc, group), vals[i+1]
		}
	}
	return apply(loose, acc, group)
}

func leftToRight(vals []truth, ops []Kind) truth {
	acc := vals[0]
	for i, op := range ops {
		acc = apply(op, acc, vals[i+1])
	}
	return acc
}

func rightToLeft(vals []truth, ops []Kind) truth {
	acc := vals[len(vals)-1]
	for i := len(ops) - 1; i >= 0; i-- {
		acc = apply(ops[i], vals[i], acc)
	}
	return acc
}

// eval counts the listed alarms surely (lo) and possibly (hi) in the counted state. A
// percentage threshold p is met by k of n alarms when k/n >= p/100, computed exactly.
func (a *AtLeast) eval(look func(Ref) (states, error)) (truth, error) {
	target := a.State.set()
	if a.Not {
		target = anyState &^ target
	}
	lo, hi := 0, 0
	for _, r := range a.Refs {
		s, err := look(r)
		if err != nil {
			return 0, err
		}
		if s&^target == 0 {
			lo++
		}
		if s&target != 0 {
			hi++
		}
	}
	meets := func(k int) bool {
		if a.Percent {
			return k*100 >= a.Threshold*len(a.Refs)
		}
		return k >= a.Threshold
	}
	var t truth
	if meets(hi) {
		t |= canTrue
	}
	if !meets(lo) {
		t |= canFalse
	}
	return t, nil
}
