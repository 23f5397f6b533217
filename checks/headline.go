package checks

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lookout-audit/lookout/internal/route"
)

// MaxMessage is the longest a finding's message may be, in characters: one sentence that a
// table row, a pull-request annotation (SARIF message) and a Security Hub title show whole.
// The reasoning behind it — every path weighed, the closest alternatives, example events —
// is the finding's Detail and, typed, its Evidence.
const MaxMessage = 160

// SentenceProblem says how f's message breaks the rule every finding keeps (one line of at
// most MaxMessage characters, the rest of the reasoning in Detail), or returns nil. Tests of
// every scenario hold findings to it.
func SentenceProblem(f Finding) error {
	n := utf8.RuneCountInString(f.Message)
	switch {
	case n == 0:
		return fmt.Errorf("%s %s: empty message", f.CheckID, f.Resource)
	case n > MaxMessage:
		return fmt.Errorf("%s %s: message of %d characters (at most %d): %q", f.CheckID, f.Resource, n, MaxMessage, f.Message)
	case strings.ContainsAny(f.Message, "\n\r"):
		return fmt.Errorf("%s %s: message of more than one line: %q", f.CheckID, f.Resource, f.Message)
	}
	return nil
}

// fitMessage keeps a finding's message to one sentence of at most MaxMessage characters. A
// longer message becomes the finding's Detail, and the message its headline (see headline).
func fitMessage(f *Finding) {
	if utf8.RuneCountInString(f.Message) <= MaxMessage {
		return
	}
	if f.Detail == "" {
		f.Detail = f.Message
	}
	f.Message = headline(f.Message, f.Broken())
}

// headline is the leading clauses of msg that fit in MaxMessage — clauses end at ": ", "; ",
// " — " or ". " outside parentheses — with "broken link: X — " read as "broken at X: ", and
// the broken link the evidence names added when those clauses do not say it. A first clause
// longer than that is shortened at a word.
func headline(msg string, broken *route.BrokenLink) string {
	msg = strings.ReplaceAll(msg, "broken link: ", "broken at ")
	clauses := splitClauses(msg)
	suffix := ""
	if broken != nil {
		if b := broken.String(); !strings.Contains(clauses[0].text, "broken at") {
			suffix = " (broken at " + b + ")"
		}
	}
	out, kept := clauses[0].text, 1
	for _, c := range clauses[1:] {
		next := out + c.sep + c.text
		if utf8.RuneCountInString(next+suffix) > MaxMessage {
			// A bare label of what the cut clause said ("remediation target: ...") goes with it.
			if c.sep == ": " && kept > 1 && len(strings.Fields(clauses[kept-1].text)) <= 2 {
				out = strings.Join(joinClauses(clauses[:kept-1]), "")
			}
			break
		}
		out, kept = next, kept+1
	}
	if strings.Contains(out, "broken at") {
		suffix = ""
	}
	if utf8.RuneCountInString(out+suffix) > MaxMessage {
		out = dropParens(out)
	}
	if utf8.RuneCountInString(out+suffix) > MaxMessage {
		return Shorten(out, MaxMessage-utf8.RuneCountInString(suffix)) + suffix
	}
	return out + suffix
}

func joinClauses(cs []clause) []string {
	out := make([]string, 0, len(cs))
	for i, c := range cs {
		if i == 0 {
			out = append(out, c.text)
		} else {
			out = append(out, c.sep+c.text)
		}
	}
	return out
}

type clause struct{ sep, text string }

// splitClauses splits msg at ": ", "; ", " — " and ". " outside parentheses and brackets; each
// clause keeps the separator before it.
func splitClauses(msg string) []clause {
	var out []clause
	depth, start, sep := 0, 0, ""
	for i := 0; i < len(msg); i++ {
		switch msg[i] {
		case '(', '[':
			depth++
		case ')', ']':
			if depth > 0 {
				depth--
			}
		}
		if depth != 0 || i == 0 {
			continue
		}
		var s string
		switch {
		case strings.HasPrefix(msg[i:], " — "):
			s = " — "
		case (msg[i] == ':' || msg[i] == ';' || msg[i] == '.') && i+1 < len(msg) && msg[i+1] == ' ':
			s = msg[i : i+2]
		}
		if s == "" {
			continue
		}
		out = append(out, clause{sep, msg[start:i]})
		sep, start = s, i+len(s)
		i += len(s) - 1
	}
	return append(out, clause{sep, msg[start:]})
}

// Shorten cuts s to at most max characters at a word boundary, marking the cut with "…".
func Shorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	cut := string(runes[:max-1])
	if i := strings.LastIndexByte(cut, ' '); i > max/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:(") + "…"
}

// dropParens removes parenthesised asides (and the space before them) from s.
func dropParens(s string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return strings.ReplaceAll(strings.Join(strings.Fields(b.String()), " "), " ,", ",")
}

// ReasoningClauses is the finding's reasoning split where it moves from one path or
// alternative to the next ("; " outside parentheses), for a reader who follows it line by line.
func (f Finding) ReasoningClauses() []string {
	var out []string
	cur := ""
	for _, c := range splitClauses(strings.ReplaceAll(f.Reasoning(), "broken link: ", "broken at ")) {
		if c.sep == "; " {
			out = append(out, cur)
			cur = c.text
			continue
		}
		cur += c.sep + c.text
	}
	return append(out, cur)
}
