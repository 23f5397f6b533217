package alarmrule

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Alarm is what the resolver needs to know of an alarm. References in rules match an alarm by
// Name or by ARN, exactly (alarm names are case-sensitive).
type Alarm struct {
	Name, ARN string
	Composite bool
	Rule      string // AlarmRule, for composites
}

// maxDepth bounds how deep composites may nest under the one asked about.
const maxDepth = 256

// maxEnumerated is how many unknown references the resolver tries in every combination of
// states (3^6 = 729 evaluations); past it, each unknown reference is taken to be in any state
// independently of the others, which may report an outcome as unknown that an exhaustive search
// would have settled, but never reports a wrong one.
const maxEnumerated = 6

// UnknownAlarmError reports that an answer depends on alarms not in the inventory given, or
// that an alarm asked about is not in it.
type UnknownAlarmError struct {
	Composite string   // the composite asked about; empty when Refs are alarms asked about
	Refs      []string // the references (names or ARNs as written), sorted
}

func (e *UnknownAlarmError) Error() string {
	if e.Composite == "" {
		return fmt.Sprintf("alarmrule: alarm %s not found", quoteList(e.Refs))
	}
	return fmt.Sprintf("alarmrule: composite alarm %q: the outcome depends on the state of %s, not in the alarm inventory", e.Composite, quoteList(e.Refs))
}

func quoteList(refs []string) string {
	q := make([]string, len(refs))
	for i, r := range refs {
		q[i] = fmt.Sprintf("%q", r)
	}
	return strings.Join(q, ", ")
}

// CycleError reports composite alarms whose rules reference each other in a loop. CloudWatch
// allows creating such a loop, but "the evaluation of composite alarms stops if CloudWatch
// detects a cycle in the evaluation path" (PutCompositeAlarm), so the composites involved do not
// change state.
type CycleError struct {
	Path []string // composite names; the first is repeated at the end
}

func (e *CycleError) Error() string {
	return fmt.Sprintf("alarmrule: composite alarms reference each other in a cycle (%s); CloudWatch stops evaluating them", strings.Join(e.Path, " -> "))
}

// RaisedBy reports whether composite alarm top is in ALARM (its rule is TRUE) when alarm
// trigger, a metric alarm, is in ALARM and every other metric alarm is OK. Composites referenced
// from the rule take the value of their own rules, to any depth; a composite's state is ALARM or
// OK, since composites are INSUFFICIENT_DATA only just after creation (PutCompositeAlarm).
//
// RaisedBy answers the state, not a change of it: a composite whose rule is TRUE, or
// OK(other), is in ALARM whatever the trigger does and reports true. Composite actions run only
// when the alarm "transitions to the ALARM state from any other state" (AlarmActions in
// PutCompositeAlarm); use Transitions to ask whether the trigger causes that.
//
// top and trigger are names or ARNs of alarms in alarms. A reference to an alarm not in alarms
// may be in any state: the answer is returned if every assignment of ALARM, OK and
// INSUFFICIENT_DATA to such references gives the same one, and is an *UnknownAlarmError
// otherwise. Other errors: *CycleError, an *AmbiguousError when the answer depends on AND/OR
// precedence, a *SyntaxError (wrapped, naming the composite) for an unreadable rule, and errors
// for nesting deeper than 256 composites or for two alarms with the same name or ARN.
func RaisedBy(alarms []Alarm, top, trigger string) (bool, error) {
	return decide(alarms, top, trigger, nil)
}

// Transitions reports whether the trigger moves composite top from OK to ALARM: top's rule is
// TRUE with trigger in ALARM and FALSE with trigger OK, every other metric alarm being OK in both
// cases. It is what it takes for the composite's alarm actions to run. Arguments and errors are
// as for RaisedBy; an alarm outside the inventory keeps the same (unknown) state in both cases.
func Transitions(alarms []Alarm, top, trigger string) (bool, error) {
	return decide(alarms, top, trigger, transition)
}

func transition(on, off truth) truth {
	var t truth
	if on&canTrue != 0 && off&canFalse != 0 {
		t |= canTrue
	}
	if on&canFalse != 0 || off&canTrue != 0 {
		t |= canFalse
	}
	return t
}

func decide(alarms []Alarm, top, trigger string, f func(on, off truth) truth) (bool, error) {
	r, err := newResolver(alarms)
	if err != nil {
		return false, err
	}
	ti, ok := r.index[top]
	if !ok {
		return false, &UnknownAlarmError{Refs: []string{top}}
	}
	if !r.alarms[ti].Composite {
		return false, fmt.Errorf("alarmrule: %q is not a composite alarm", top)
	}
	gi, err := r.trigger(trigger)
	if err != nil {
		return false, err
	}
	return r.decide(ti, gi, f)
}

// Raised returns, sorted, the names of every composite alarm that RaisedBy reports true for with
// this trigger, among those whose rules reference the trigger directly or through other
// composites; composites that do not (such as one whose rule is TRUE) are not considered. errs
// holds, by composite name, the error of each such composite that could not be decided, and of
// every composite whose rule cannot be parsed (whether it references the trigger is then
// unknown); errors not tied to one composite are under the key "". errs is nil when empty.
//
// References are indexed once, and only composites above the trigger are evaluated, sharing
// results between them, so the cost is about linear in the size of the inventory.
func Raised(alarms []Alarm, trigger string) (names []string, errs map[string]error) {
	errs = make(map[string]error)
	defer func() {
		if len(errs) == 0 {
			errs = nil
		}
	}()
	r, err := newResolver(alarms)
	if err != nil {
		errs[""] = err
		return nil, errs
	}
	gi, err := r.trigger(trigger)
	if err != nil {
		errs[""] = err
		return nil, errs
	}
	parents := make(map[int][]int)
	for i, a := range r.alarms {
		if !a.Composite {
			continue
		}
		e, err := r.expr(i)
		if err != nil {
			errs[r.name(i)] = err
			continue
		}
		seen := make(map[int]bool)
		for _, ref := range e.Alarms() {
			if j, ok := r.index[ref.Alarm]; ok && !seen[j] {
				seen[j] = true
				parents[j] = append(parents[j], i)
			}
		}
	}
	var above []int
	queued := map[int]bool{gi: true}
	for queue := []int{gi}; len(queue) > 0; queue = queue[1:] {
		for _, p := range parents[queue[0]] {
			if !queued[p] {
				queued[p] = true
				above = append(above, p)
				queue = append(queue, p)
			}
		}
	}
	// One scenario for all: trigger in ALARM, other metric alarms OK, unknown alarms in any
	// state. It settles most composites; the rest get the full treatment of RaisedBy.
	shared := r.scenario(gi, StateAlarm, nil, false)
	for _, ci := range above {
		if err := r.check(ci); err != nil {
			errs[r.name(ci)] = err
			continue
		}
		t, err := shared.composite(ci)
		if err == nil && t == either {
			var raised bool
			raised, err = r.decide(ci, gi, nil)
			t = truthOf(raised)
		}
		switch {
		case err != nil:
			errs[r.name(ci)] = err
		case t == canTrue:
			names = append(names, r.name(ci))
		}
	}
	sort.Strings(names)
	return names, errs
}

type resolver struct {
	alarms []Alarm
	index  map[string]int // by name and by ARN
	exprs  []*Expr
	perrs  []error
	parsed []bool
	checks map[int]checked // memoized check results
}

func newResolver(alarms []Alarm) (*resolver, error) {
	r := &resolver{
		alarms: alarms,
		index:  make(map[string]int, 2*len(alarms)),
		exprs:  make([]*Expr, len(alarms)),
		perrs:  make([]error, len(alarms)),
		parsed: make([]bool, len(alarms)),
		checks: make(map[int]checked),
	}
	for i, a := range alarms {
		for _, key := range [2]string{a.Name, a.ARN} {
			if key == "" {
				continue
			}
			if j, ok := r.index[key]; ok && j != i {
				return nil, fmt.Errorf("alarmrule: alarms %d and %d are both named %q (names and ARNs must be unique, as within one account and Region)", j, i, key)
			}
			r.index[key] = i
		}
	}
	return r, nil
}

func (r *resolver) name(i int) string {
	if r.alarms[i].Name != "" {
		return r.alarms[i].Name
	}
	return r.alarms[i].ARN
}

func (r *resolver) trigger(trigger string) (int, error) {
	gi, ok := r.index[trigger]
	if !ok {
		return 0, &UnknownAlarmError{Refs: []string{trigger}}
	}
	if r.alarms[gi].Composite {
		return 0, fmt.Errorf("alarmrule: trigger %q is a composite alarm; the trigger is a metric alarm", trigger)
	}
	return gi, nil
}

func (r *resolver) expr(i int) (*Expr, error) {
	if !r.parsed[i] {
		r.parsed[i] = true
		e, err := Parse(r.alarms[i].Rule)
		if err != nil {
			err = fmt.Errorf("alarmrule: composite alarm %q: %w", r.name(i), err)
		}
		r.exprs[i], r.perrs[i] = e, err
	}
	return r.exprs[i], r.perrs[i]
}

var errTooDeep = errors.New("too deep")

type checked struct {
	height int // composites on the longest path down from this one, itself included
	err    error
}

// check reports whether composite i and every composite under it can be evaluated: rules that
// parse, no cycle and no nesting deeper than maxDepth. Results are memoized.
func (r *resolver) check(i int) error {
	var stack []int
	onStack := make(map[int]bool)
	var visit func(i int) (int, error)
	visit = func(i int) (int, error) {
		if c, ok := r.checks[i]; ok {
			if c.err == nil && len(stack)+c.height > maxDepth {
				return 0, errTooDeep
			}
			return c.height, c.err
		}
		if onStack[i] {
			var path []string
			for k := len(stack) - 1; k >= 0; k-- {
				if stack[k] == i {
					for _, j := range stack[k:] {
						path = append(path, r.name(j))
					}
					break
				}
			}
			return 0, &CycleError{Path: append(path, r.name(i))}
		}
		if len(stack) == maxDepth {
			return 0, errTooDeep
		}
		height := 1
		e, err := r.expr(i)
		if err == nil {
			stack = append(stack, i)
			onStack[i] = true
			for _, ref := range e.Alarms() {
				if j, ok := r.index[ref.Alarm]; ok && r.alarms[j].Composite {
					var h int
					if h, err = visit(j); err != nil {
						break
					}
					height = max(height, h+1)
				}
			}
			stack = stack[:len(stack)-1]
			delete(onStack, i)
		}
		if err != errTooDeep { // too deep from here may still be fine on its own
			r.checks[i] = checked{height, err}
		}
		return height, err
	}
	_, err := visit(i)
	if err == errTooDeep {
		err = fmt.Errorf("alarmrule: composite alarm %q: composite alarms nest more than %d deep under it", r.name(i), maxDepth)
		r.checks[i] = checked{err: err}
	}
	return err
}

// closure returns the references to unknown alarms under composite i, sorted, and the first
// rule there whose value may depend on AND/OR precedence. i must have passed check.
func (r *resolver) closure(i int) (unknown []string, mixed *AmbiguousError) {
	seen := map[int]bool{}
	unk := map[string]bool{}
	var visit func(i int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		e := r.exprs[i]
		if off, ok := firstMixed(e); ok && mixed == nil {
			mixed = &AmbiguousError{Alarm: r.name(i), Offset: off}
		}
		for _, ref := range e.Alarms() {
			j, ok := r.index[ref.Alarm]
			switch {
			case !ok:
				unk[ref.Alarm] = true
			case r.alarms[j].Composite:
				visit(j)
			}
		}
	}
	visit(i)
	for u := range unk {
		unknown = append(unknown, u)
	}
	sort.Strings(unknown)
	return unknown, mixed
}

// decide evaluates composite ti with trigger gi in ALARM (on) and OK (off), once per assignment
// of states to unknown references, and combines the results with f; a nil f takes on alone. An undecided outcome is
// blamed on unknown alarms when they matter even with AND read before OR, and on precedence
// otherwise.
func (r *resolver) decide(ti, gi int, f func(on, off truth) truth) (bool, error) {
	if err := r.check(ti); err != nil {
		return false, err
	}
	unknown, mixed := r.closure(ti)
	outcome := func(conventional bool) (truth, error) {
		var t truth
		err := r.assignments(unknown, func(assign map[string]State) error {
			on, err := r.scenario(gi, StateAlarm, assign, conventional).composite(ti)
			if err != nil {
				return err
			}
			if f == nil {
				t |= on
				return nil
			}
			off, err := r.scenario(gi, StateOK, assign, conventional).composite(ti)
			if err != nil {
				return err
			}
			t |= f(on, off)
			return nil
		})
		return t, err
	}
	t, err := outcome(false)
	if err != nil {
		return false, err
	}
	if t != either {
		return t == canTrue, nil
	}
	if len(unknown) > 0 && mixed != nil {
		if t, err = outcome(true); err != nil {
			return false, err
		}
	}
	if len(unknown) > 0 && (mixed == nil || t == either) {
		return false, &UnknownAlarmError{Composite: r.name(ti), Refs: unknown}
	}
	if mixed != nil {
		return false, mixed
	}
	return false, fmt.Errorf("alarmrule: composite alarm %q: outcome undetermined", r.name(ti))
}

// assignments calls f with every assignment of states to the unknown references, or once with
// nil (every unknown alarm in any state) when there are none or more than maxEnumerated.
func (r *resolver) assignments(unknown []string, f func(map[string]State) error) error {
	if len(unknown) == 0 || len(unknown) > maxEnumerated {
		return f(nil)
	}
	assign := make(map[string]State, len(unknown))
	idx := make([]int, len(unknown))
	for {
		for k, u := range unknown {
			assign[u] = allStates[idx[k]]
		}
		if err := f(assign); err != nil {
			return err
		}
		k := 0
		for ; k < len(idx); k++ {
			if idx[k]++; idx[k] < len(allStates) {
				break
			}
			idx[k] = 0
		}
		if k == len(idx) {
			return nil
		}
	}
}

// scenario is one evaluation of the inventory: the trigger in triggerState, other metric
// alarms OK, unknown alarms as assigned (or in any state), composites by their rules.
type scenario struct {
	r            *resolver
	trigger      int
	triggerState State
	assign       map[string]State
	conventional bool
	memo         map[int]truth
	active       map[int]bool
}

func (r *resolver) scenario(trigger int, st State, assign map[string]State, conventional bool) *scenario {
	return &scenario{r: r, trigger: trigger, triggerState: st, assign: assign, conventional: conventional,
		memo: make(map[int]truth), active: make(map[int]bool)}
}

// composite evaluates composite i, which must have passed check; the active set is a guard.
func (s *scenario) composite(i int) (truth, error) {
	if t, ok := s.memo[i]; ok {
		return t, nil
	}
	if s.active[i] {
		return 0, &CycleError{Path: []string{s.r.name(i), s.r.name(i)}}
	}
	e, err := s.r.expr(i)
	if err != nil {
		return 0, err
	}
	s.active[i] = true
	t, err := e.eval(s.look, s.conventional)
	delete(s.active, i)
	if err != nil {
		return 0, err
	}
	s.memo[i] = t
	return t, nil
}

func (s *scenario) look(ref Ref) (states, error) {
	j, ok := s.r.index[ref.Alarm]
	switch {
	case !ok:
		if st, ok := s.assign[ref.Alarm]; ok {
			return st.set(), nil
		}
		return anyState, nil
	case j == s.trigger:
		return s.triggerState.set(), nil
	case !s.r.alarms[j].Composite:
		return StateOK.set(), nil
	}
	t, err := s.composite(j)
	var st states
	if t&canTrue != 0 {
		st |= StateAlarm.set()
	}
	if t&canFalse != 0 {
		st |= StateOK.set()
	}
	return st, err
}
