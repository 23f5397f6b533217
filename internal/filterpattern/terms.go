package filterpattern

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Term patterns match unstructured text such as auth.log lines:
//
//	ERROR              the message contains ERROR (a substring: it also matches ERRORCODE)
//	ERROR Exception    contains both (order does not matter)
//	"Failed to"        contains the exact phrase
//	?ERROR ?WARN       contains at least one of them
//	ERROR -Exiting     contains ERROR and not Exiting
//	%AUTHORIZED%       a regular expression search
//
// Matching is case-sensitive. A bare term may contain only letters, digits and '_'; anything
// else must be quoted, as the guide requires (AWS rejects "Invalid character(s) in term").
// The guide shows ?terms only on their own; when a pattern mixes them with plain terms this
// package requires every plain term, no -term, and at least one ?term.

type termMode int

const (
	termRequired termMode = iota
	termOptional          // ?term
	termExcluded          // -term
)

type term struct {
	mode   termMode
	text   string
	quoted bool
	re     *value // for %regex%
}

func (t term) String() string {
	prefix := ""
	switch t.mode {
	case termOptional:
		prefix = "?"
	case termExcluded:
		prefix = "-"
	}
	if t.re != nil {
		return prefix + t.re.String()
	}
	if t.quoted || !isBareTerm(t.text) {
		return prefix + quote(t.text, false)
	}
	return prefix + t.text
}

func (t term) found(message string) bool {
	if t.quoted && strings.TrimSpace(t.text) == "" {
		// The guide's "match everything" pattern is " " (a quoted space), and it matches
		// messages that contain no space at all: a blank phrase is not a substring test.
		return true
	}
	if t.re != nil {
		return t.re.re.MatchString(message)
	}
	return strings.Contains(message, t.text)
}

func isBareTerm(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') {
			return false
		}
	}
	return true
}

func parseTerms(s string, i int) ([]term, error) {
	var terms []term
	regexes := 0
	for {
		i = skipSpace(s, i)
		if i >= len(s) {
			return terms, nil
		}
		t := term{}
		switch s[i] {
		case '?':
			t.mode = termOptional
			i++
		case '-':
			t.mode = termExcluded
			i++
		}
		if i >= len(s) || isSpace(s[i]) {
			return nil, errAt(i, "expected a term after %q", s[i-1])
		}
		switch s[i] {
		case '"':
			// In a quoted term '*' is an ordinary character: term patterns have no wildcards.
			g, end, err := parseQuoted(s, i, false)
			if err != nil {
				return nil, err
			}
			t.text, t.quoted = g.parts[0], true
			i = end
			if i < len(s) && !isSpace(s[i]) {
				return nil, errAt(i, "expected a space after the closing quote, found %q", s[i])
			}
		case '%':
			v, end, err := parseRegex(s, i)
			if err != nil {
				return nil, err
			}
			regexes++
			if regexes > maxRegexes {
				return nil, errAt(i, "at most %d %%regex%% terms are allowed in one pattern", maxRegexes)
			}
			t.re = &v
			i = end
		default:
			start := i
			for i < len(s) && !isSpace(s[i]) {
				r, size := utf8.DecodeRuneInString(s[i:])
				if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') || r == utf8.RuneError {
					end := i
					for end < len(s) && !isSpace(s[end]) {
						end++
					}
					return nil, errAt(i, "character %q in term %q must be quoted: write %s", r, s[start:end], quote(s[start:end], false))
				}
				i += size
			}
			t.text = s[start:i]
		}
		terms = append(terms, t)
	}
}

func matchTerms(terms []term, message string) bool {
	anyOptional, optionalFound := false, false
	for _, t := range terms {
		found := t.found(message)
		switch t.mode {
		case termRequired:
			if !found {
				return false
			}
		case termExcluded:
			if found {
				return false
			}
		case termOptional:
			anyOptional = true
			optionalFound = optionalFound || found
		}
	}
	return !anyOptional || optionalFound
}
