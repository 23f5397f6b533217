package checks

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// TestDemoMessagesAreOneSentence holds issue 25's rule on the bundled demo organisation: every
// finding's message is one line of at most MaxMessage characters, and a message that was cut
// keeps the whole reasoning in Detail.
func TestDemoMessagesAreOneSentence(t *testing.T) {
	s, err := snapshot.Load("../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	fs := Run(s, All(), Options{})
	if len(fs) < 50 {
		t.Fatalf("demo gave %d findings", len(fs))
	}
	cut := 0
	for _, f := range fs {
		assertSentence(t, f)
		if f.Detail != "" {
			cut++
		}
	}
	if cut == 0 {
		t.Error("no demo finding has a Detail: the demo's long reasoning was lost or never cut")
	}
}

func assertSentence(t *testing.T, f Finding) {
	t.Helper()
	if err := SentenceProblem(f); err != nil {
		t.Error(err)
	}
	if f.Detail != "" && utf8.RuneCountInString(f.Detail) <= MaxMessage && !strings.Contains(f.Detail, "AWS's evaluator") {
		t.Errorf("%s %s: a detail (%q) that would have fit as the message", f.CheckID, f.Resource, f.Detail)
	}
}

func TestHeadline(t *testing.T) {
	metricFilter := &route.BrokenLink{Link: route.LinkMetricFilter}
	long := strings.Repeat("x", 200)
	tests := []struct {
		name, msg string
		broken    *route.BrokenLink
		want      string
	}{
		{"leading clauses that fit are kept", "trail main is not protected: rule r in us-east-1: no usable target: " + long, nil,
			"trail main is not protected: rule r in us-east-1: no usable target"},
		{"broken link read as broken at", "log group g: broken link: metric filter — no metric filter on g counts them; " + long, nil,
			"log group g: broken at metric filter — no metric filter on g counts them"},
		{"the evidence's broken link is added when unsaid", "no rule acts on it; " + long, metricFilter,
			"no rule acts on it (broken at metric filter)"},
		{"clauses in parentheses are not split", "i-1 (a; b: c) is open; " + long, nil, "i-1 (a; b: c) is open"},
		{"a first clause too long is cut at a word", strings.Repeat("word ", 50), nil, strings.TrimSpace(strings.Repeat("word ", 31)) + "…"},
	}
	for _, tt := range tests {
		if got := headline(tt.msg, tt.broken); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// FuzzHeadline: whatever the message, the headline is valid UTF-8 of at most MaxMessage
// characters, and a message that fits is left alone.
func FuzzHeadline(f *testing.F) {
	for _, s := range []string{"a: b; c — d. e", "(((", "broken link: x — y", strings.Repeat("é ", 200), "ab:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		if !utf8.ValidString(msg) {
			return
		}
		fd := Finding{Message: msg}
		fitMessage(&fd)
		if n := utf8.RuneCountInString(fd.Message); n > MaxMessage || !utf8.ValidString(fd.Message) {
			t.Fatalf("headline of %d characters, valid %v: %q", n, utf8.ValidString(fd.Message), fd.Message)
		}
		if utf8.RuneCountInString(msg) <= MaxMessage && (fd.Message != msg || fd.Detail != "") {
			t.Fatalf("a message that fits was changed: %q -> %q", msg, fd.Message)
		}
		if utf8.RuneCountInString(msg) > MaxMessage && fd.Detail != msg {
			t.Fatalf("the reasoning was not kept in Detail")
		}
	})
}
