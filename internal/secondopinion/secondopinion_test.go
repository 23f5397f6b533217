package secondopinion

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/eventpattern"
	"github.com/lookout-audit/lookout/internal/filterpattern"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// engines answers as lookout's own engines do, except that it flips its answer for the first
// event of the detections whose pattern is planted: a second evaluator that disagrees there.
type engines struct {
	planted      string
	filterCalls  atomic.Int64
	eventCalls   atomic.Int64
	mu           sync.Mutex
	flippedEvent string
}

func (e *engines) FilterMatches(_ context.Context, _, pattern string, messages []string) ([]bool, error) {
	e.filterCalls.Add(1)
	if len(messages) < 1 || len(messages) > maxFilterEvents || len(pattern) > maxFilterPattern {
		return nil, errBadRequest
	}
	p, err := filterpattern.Parse(pattern)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(messages))
	for i, m := range messages {
		if strings.Contains(m, "\n") {
			return nil, errBadRequest // CloudTrail records are sent on one line
		}
		out[i] = p.MatchMessage(filterpattern.NewMessage(m)).Matched
	}
	return out, nil
}

func (e *engines) EventMatches(_ context.Context, _, pattern string, event []byte) (bool, error) {
	e.eventCalls.Add(1)
	var env map[string]any
	if err := json.Unmarshal(event, &env); err != nil {
		return false, err
	}
	for _, k := range []string{"id", "account", "source", "time", "region", "resources", "detail-type"} {
		if _, ok := env[k]; !ok {
			return false, errBadRequest // what TestEventPattern refuses
		}
	}
	p, err := detection.ParseEventPattern(pattern)
	if err != nil {
		return false, err
	}
	ev, err := eventpattern.DecodeEvent(event)
	if err != nil {
		return false, err
	}
	m := p.MatchEvent(ev)
	if pattern == e.planted {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.flippedEvent == "" || e.flippedEvent == string(event) {
			e.flippedEvent = string(event)
			return !m, nil
		}
	}
	return m, nil
}

type badRequest struct{}

func (badRequest) Error() string { return "ValidationException: the request is not what AWS accepts" }

var errBadRequest = badRequest{}

func demoFindings(t *testing.T) []checks.Finding {
	t.Helper()
	s, err := snapshot.Load("../../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	return checks.Run(s, checks.All(), checks.Options{SigninRegions: checks.DefaultSigninRegions, SSHLogMaxAge: checks.DefaultSSHLogMaxAge, Now: s.CollectedAt})
}

// With an evaluator that answers as lookout does, every pattern a finding's evidence keeps is
// asked about and recorded as agreeing, the calls are one per distinct question, and no status
// changes; with one planted disagreement, exactly the findings judged by that pattern turn
// ERROR, naming the pattern, the event and both answers.
func TestVerifyAgreesAndReportsAPlantedDisagreement(t *testing.T) {
	findings := demoFindings(t)
	before := make([]checks.Status, len(findings))
	for i, f := range findings {
		before[i] = f.Status
	}
	ev := &engines{}
	res := Verify(context.Background(), ev, findings, Options{})
	if res.Patterns == 0 || res.Calls == 0 {
		t.Fatalf("nothing asked: %+v", res)
	}
	if len(res.Disagreements) != 0 || len(res.Errors) != 0 {
		t.Fatalf("lookout's own engines disagree with lookout: %+v", res)
	}
	if got := int(ev.filterCalls.Load() + ev.eventCalls.Load()); got != res.Calls {
		t.Errorf("%d calls made, Result says %d", got, res.Calls)
	}
	var eventPattern string
	recorded := 0
	for i, f := range findings {
		if f.Status != before[i] {
			t.Errorf("%s %s %s: status %s -> %s with no disagreement", f.CheckID, f.Account, f.Region, before[i], f.Status)
		}
		for _, jp := range judgedPatterns(f.Evidence) {
			if jp.Detection.Language == detection.EventPattern && eventPattern == "" {
				eventPattern = jp.Pattern
			}
		}
		b, _ := json.Marshal(f.Evidence)
		if n := strings.Count(string(b), `"aws_evaluator":`); n > 0 {
			recorded++
			if !strings.Contains(string(b), "AWS's evaluator agrees on ") {
				t.Errorf("%s: evidence records no agreement: %s", f.CheckID, b)
			}
		}
	}
	if recorded == 0 || eventPattern == "" {
		t.Fatalf("no finding's evidence records a second opinion (%d), or no event pattern judged (%q)", recorded, eventPattern)
	}
	// The same questions asked again cost as many calls: each distinct question once per run.
	if res2 := Verify(context.Background(), &engines{}, demoFindings(t), Options{}); res2.Calls != res.Calls {
		t.Errorf("calls differ between runs: %d and %d", res.Calls, res2.Calls)
	}

	findings = demoFindings(t)
	planted := &engines{planted: eventPattern}
	res = Verify(context.Background(), planted, findings, Options{Concurrency: 2})
	if len(res.Disagreements) == 0 {
		t.Fatalf("planted disagreement on %s not found: %+v", eventPattern, res)
	}
	for _, d := range res.Disagreements {
		if d.Pattern != eventPattern || len(d.Events) != 1 || d.Events[0].AWSMatches == d.Events[0].LookoutMatches {
			t.Errorf("disagreement %+v, want one event on the planted pattern", d)
		}
	}
	// Exactly the findings whose evidence holds the disagreement turn ERROR; the rest keep
	// their verdicts (the same pattern judged against other detections' events agrees).
	errored := 0
	for i, f := range findings {
		b, _ := json.Marshal(f.Evidence)
		if !strings.Contains(string(b), `"disagrees":[{"event":`) {
			if f.Status != before[i] {
				t.Errorf("%s %s %s: status %s -> %s without a disagreement in its evidence", f.CheckID, f.Account, f.Region, before[i], f.Status)
			}
			continue
		}
		errored++
		if f.Status != checks.Error {
			t.Errorf("%s %s %s: status %s, want ERROR after AWS disagreed", f.CheckID, f.Account, f.Region, f.Status)
		}
		for _, want := range []string{"AWS's evaluator (events:TestEventPattern) disagrees with lookout on the pattern of rule ", eventPattern[:40], "for event [", "AWS says it ", "lookout says it ", "cannot be trusted"} {
			if !strings.Contains(f.Reasoning(), want) {
				t.Errorf("message %q lacks %q", f.Message, want)
			}
		}
	}
	if errored == 0 || errored != len(res.Disagreements) {
		t.Fatalf("%d findings hold a disagreement, the result lists %d", errored, len(res.Disagreements))
	}
}

// An evaluator that cannot be asked leaves the verdicts alone and says why, once.
func TestVerifyEvaluatorErrors(t *testing.T) {
	findings := demoFindings(t)
	before := make([]checks.Status, len(findings))
	for i, f := range findings {
		before[i] = f.Status
	}
	res := Verify(context.Background(), failing{}, findings, Options{})
	if len(res.Errors) == 0 || len(res.Disagreements) != 0 {
		t.Fatalf("result %+v, want errors and no disagreement", res)
	}
	for i, f := range findings {
		if f.Status != before[i] {
			t.Errorf("%s: status changed to %s by an evaluator that could not be asked", f.CheckID, f.Status)
		}
	}
	if !strings.Contains(res.Errors[0], "AccessDenied") {
		t.Errorf("errors %v do not say why", res.Errors)
	}
}

type failing struct{}

func (failing) FilterMatches(context.Context, string, string, []string) ([]bool, error) {
	return nil, accessDenied{}
}
func (failing) EventMatches(context.Context, string, string, []byte) (bool, error) {
	return false, accessDenied{}
}

type accessDenied struct{}

func (accessDenied) Error() string { return "AccessDenied: not authorized to perform this call" }
