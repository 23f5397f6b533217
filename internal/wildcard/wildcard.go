// Package wildcard matches text against a pattern whose only wildcard is '*' (any run of
// characters, none included), the shape shared by CloudWatch Logs filter pattern strings and
// EventBridge "wildcard" matching. Callers parse their own escapes and pass the literal pieces
// between the stars.
package wildcard

import "strings"

// Match reports whether s matches the pattern whose literal pieces between stars are parts
// (len(parts) is the number of stars plus one; one part means no star). It is a linear scan
// that takes each middle piece at its first occurrence, so "*a*a*a*" cannot blow up.
func Match(parts []string, s string) bool {
	if len(parts) == 1 {
		return s == parts[0]
	}
	first, last := parts[0], parts[len(parts)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}
