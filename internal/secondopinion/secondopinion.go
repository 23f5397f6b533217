// Package secondopinion holds lookout's judgement of patterns against AWS's own evaluators
// (scan --verify-patterns). lookout evaluates CloudWatch Logs filter patterns and EventBridge
// event patterns with its own engines, over its own test events; logs:TestMetricFilter and
// events:TestEventPattern answer the same question as AWS itself would. For every pattern that
// decided a verdict (those a finding's evidence keeps), the detection's events are sent to
// AWS's evaluator and its answer is compared, event by event, with lookout's. A disagreement
// makes the finding ERROR, naming the pattern, the event and both answers; agreement is
// recorded in the evidence. The calls only evaluate: they read and change nothing in the
// account.
package secondopinion

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/route"
)

// Limits of AWS's evaluators (CloudWatch Logs and EventBridge API references).
const (
	// maxFilterPattern is TestMetricFilter's limit on filterPattern.
	maxFilterPattern = 1024
	// maxFilterEvents is TestMetricFilter's limit on logEventMessages.
	maxFilterEvents = 50
	// maxEventPattern is TestEventPattern's limit on EventPattern.
	maxEventPattern = 4096
)

// Evaluator is AWS's evaluators, in one region (their answers do not depend on the account).
type Evaluator interface {
	// FilterMatches is logs:TestMetricFilter: which of messages (1-50) pattern matches.
	FilterMatches(ctx context.Context, region, pattern string, messages []string) ([]bool, error)
	// EventMatches is events:TestEventPattern: whether pattern matches event.
	EventMatches(ctx context.Context, region, pattern string, event []byte) (bool, error)
}

// Disagreement is one pattern on which AWS's evaluator and lookout's disagree, for the summary
// on stderr.
type Disagreement struct {
	CheckID, Account, Region string
	What, Pattern            string
	Events                   []route.PatternDisagreement
}

// Result is what Verify did.
type Result struct {
	// Patterns counts the distinct (pattern, detection) pairs asked about; Calls the calls made.
	Patterns, Calls int
	Disagreements   []Disagreement
	// Errors are the evaluator calls that failed, once each.
	Errors []string
}

// Options bound the work.
type Options struct {
	// Concurrency is how many evaluator calls are in flight at once (default 8); the SDK's
	// adaptive retry paces throttled calls.
	Concurrency int
}

// Verify asks ev about every pattern the findings' evidence keeps, records AWS's answers in
// the evidence, and turns each finding whose pattern AWS judges differently into ERROR.
// Findings are changed in place.
func Verify(ctx context.Context, ev Evaluator, findings []checks.Finding, opts Options) Result {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	type site struct {
		finding int
		jp      route.JudgedPattern
	}
	var sites []site
	for i := range findings {
		for _, jp := range judgedPatterns(findings[i].Evidence) {
			sites = append(sites, site{finding: i, jp: jp})
		}
	}
	// One question per distinct (pattern, event): an organisation deploys the same rule
	// everywhere, and the same CIS events are stamped for each account and region.
	q := &questions{ev: ev, asked: map[string]*answer{}}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	plans := make([]plan, len(sites))
	for i, s := range sites {
		plans[i] = q.plan(findings[s.finding].Region, s.jp)
	}
	q.run(gctx, g)
	_ = g.Wait() // errors are per answer
	var res Result
	seenPattern := map[string]bool{}
	errs := map[string]bool{}
	for i, s := range sites {
		op := plans[i].opinion()
		s.jp.Record(op)
		key := s.jp.Pattern + "\x00" + s.jp.Detection.ID
		if !seenPattern[key] {
			seenPattern[key] = true
			res.Patterns++
		}
		if op.Error != "" && !errs[op.Error] {
			errs[op.Error] = true
			res.Errors = append(res.Errors, op.Error)
		}
		if len(op.Disagrees) == 0 {
			continue
		}
		f := &findings[s.finding]
		d := op.Disagrees[0]
		if f.Status != checks.Error || !strings.HasPrefix(f.Message, "AWS's evaluator") {
			f.Detail = fmt.Sprintf("AWS's evaluator (%s) disagrees with lookout on the pattern of %s (%s): for event [%s] AWS says %s, lookout says %s; the verdict (%s) cannot be trusted",
				op.Evaluator, s.jp.What, checks.Shorten(s.jp.Pattern, 160), d.Event, matchWord(d.AWSMatches), matchWord(d.LookoutMatches), f.Status)
			f.Message = checks.Shorten(fmt.Sprintf("AWS's evaluator disagrees with lookout on %s: the verdict (%s) cannot be trusted", s.jp.What, f.Status), checks.MaxMessage)
			f.Status = checks.Error
		}
		res.Disagreements = append(res.Disagreements, Disagreement{CheckID: f.CheckID, Account: f.Account, Region: f.Region,
			What: s.jp.What, Pattern: s.jp.Pattern, Events: op.Disagrees})
	}
	res.Calls = q.calls
	sort.Strings(res.Errors)
	return res
}

func matchWord(m bool) string {
	if m {
		return "it matches"
	}
	return "it does not match"
}

// judgedPatterns finds, anywhere in a finding's evidence, the filter and rule verdicts whose
// pattern was judged against a detection. Evidence is a tree of typed values (structs,
// pointers, slices, maps); the verdicts in it are reached where they are stored (slice elements
// are addressable), so that AWS's answer is recorded in the finding's own evidence.
func judgedPatterns(e checks.Evidence) []route.JudgedPattern {
	var out []route.JudgedPattern
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				walk(it.Value())
			}
		case reflect.Struct:
			if v.CanAddr() {
				switch p := v.Addr().Interface().(type) {
				case *route.FilterVerdict:
					if jp, ok := p.Judged(); ok {
						out = append(out, jp)
					}
					return
				case *route.RuleVerdict:
					if jp, ok := p.Judged(); ok {
						out = append(out, jp)
					}
					// Its targets may forward to rules of their own: not followed (their
					// verdicts are not kept in the evidence).
					return
				}
			}
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		}
	}
	walk(reflect.ValueOf(e))
	return out
}

// answer is AWS's answer to one question (a pattern and one event, or a filter pattern and a
// batch of up to 50 messages), asked once however many findings need it.
type answer struct {
	once    sync.Once
	ask     func(ctx context.Context) ([]bool, error)
	matched []bool
	err     error
}

type questions struct {
	ev    Evaluator
	mu    sync.Mutex
	asked map[string]*answer
	order []*answer
	calls int
}

// plan is one judged pattern's questions and lookout's answers to them.
type plan struct {
	evaluator string
	lookout   []detection.Answer
	// parts[i] answers lookout[i]: the question and the index of the event in its answer.
	parts []part
	err   string
}

type part struct {
	a *answer
	i int
}

func (q *questions) question(key string, ask func(ctx context.Context) ([]bool, error)) *answer {
	q.mu.Lock()
	defer q.mu.Unlock()
	if a, ok := q.asked[key]; ok {
		return a
	}
	a := &answer{ask: ask}
	q.asked[key] = a
	q.order = append(q.order, a)
	return a
}

// plan lists the questions for jp's pattern over its detection's events, in region.
func (q *questions) plan(region string, jp route.JudgedPattern) plan {
	d := jp.Detection
	p := plan{evaluator: "events:TestEventPattern"}
	if d.Language == detection.FilterPattern {
		p.evaluator = "logs:TestMetricFilter"
	}
	answers, err := d.Answers(jp.Pattern)
	if err != nil {
		p.err = "lookout could not evaluate the pattern: " + err.Error()
		return p
	}
	p.lookout = answers
	switch d.Language {
	case detection.FilterPattern:
		if len(jp.Pattern) > maxFilterPattern {
			p.err = fmt.Sprintf("not asked: the pattern is %d characters, more than TestMetricFilter's %d", len(jp.Pattern), maxFilterPattern)
			return p
		}
		for lo := 0; lo < len(answers); lo += maxFilterEvents {
			batch := answers[lo:min(lo+maxFilterEvents, len(answers))]
			msgs := make([]string, len(batch))
			for i, a := range batch {
				msgs[i] = string(a.Body)
			}
			key := "filter\x00" + jp.Pattern + "\x00" + strings.Join(msgs, "\x00")
			a := q.question(key, func(ctx context.Context) ([]bool, error) {
				return q.ev.FilterMatches(ctx, region, jp.Pattern, msgs)
			})
			for i := range batch {
				p.parts = append(p.parts, part{a: a, i: i})
			}
		}
	default:
		if len(jp.Pattern) > maxEventPattern {
			p.err = fmt.Sprintf("not asked: the pattern is %d characters, more than TestEventPattern's %d", len(jp.Pattern), maxEventPattern)
			return p
		}
		invariant := detection.EventPatternInvariant(jp.Pattern)
		for _, ans := range answers {
			body := ans.Body
			// A pattern that reads nothing account- or region-specific answers alike for an
			// event stamped for any account and region: ask once per event, not per stamp.
			key := "event\x00" + jp.Pattern + "\x00" + string(body)
			if invariant {
				key = "event\x00" + jp.Pattern + "\x00" + d.ID + "\x00" + ans.Name
			}
			a := q.question(key, func(ctx context.Context) ([]bool, error) {
				m, err := q.ev.EventMatches(ctx, region, jp.Pattern, body)
				return []bool{m}, err
			})
			p.parts = append(p.parts, part{a: a, i: 0})
		}
	}
	return p
}

// run asks every planned question, bounded by g's limit.
func (q *questions) run(ctx context.Context, g *errgroup.Group) {
	q.calls = len(q.order)
	for _, a := range q.order {
		g.Go(func() error {
			a.once.Do(func() { a.matched, a.err = a.ask(ctx) })
			return nil
		})
	}
}

// opinion compares AWS's answers with lookout's.
func (p plan) opinion() *route.SecondOpinion {
	op := &route.SecondOpinion{Evaluator: p.evaluator, Error: p.err}
	var failed []string
	for k, pt := range p.parts {
		switch {
		case pt.a.err != nil:
			failed = append(failed, pt.a.err.Error())
			continue
		case pt.i >= len(pt.a.matched):
			failed = append(failed, fmt.Sprintf("%s answered %d results for %d events", p.evaluator, len(pt.a.matched), pt.i+1))
			continue
		}
		l := p.lookout[k]
		if aws := pt.a.matched[pt.i]; aws == l.Matched {
			op.Agrees++
		} else {
			op.Disagrees = append(op.Disagrees, route.PatternDisagreement{Event: l.Name, AWSMatches: aws, LookoutMatches: l.Matched})
		}
	}
	if len(failed) > 0 && op.Error == "" {
		op.Error = p.evaluator + " could not be asked: " + failed[0]
	}
	switch {
	case len(op.Disagrees) > 0:
		op.Summary = fmt.Sprintf("AWS's evaluator disagrees on %d of %d events", len(op.Disagrees), len(op.Disagrees)+op.Agrees)
	case op.Error != "" && op.Agrees == 0:
		op.Summary = "AWS's evaluator was not asked: " + op.Error
	case op.Error != "":
		op.Summary = fmt.Sprintf("AWS's evaluator agrees on the %d events it answered (%s)", op.Agrees, op.Error)
	default:
		op.Summary = fmt.Sprintf("AWS's evaluator agrees on %d events", op.Agrees)
	}
	return op
}
