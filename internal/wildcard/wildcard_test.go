package wildcard

import "testing"

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		parts []string
		s     string
		want  bool
	}{
		{[]string{"abc"}, "abc", true},
		{[]string{"abc"}, "abcd", false},
		{[]string{"", ""}, "", true},
		{[]string{"a", "c"}, "abc", true},
		{[]string{"a", "c"}, "ab", false},
		{[]string{"ab", "ba"}, "aba", false}, // the prefix and the suffix may not overlap
		{[]string{"", "a", "a", ""}, "xaya", true},
		{[]string{"", "a", "a", ""}, "xay", false},
	} {
		if got := Match(c.parts, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.parts, c.s, got, c.want)
		}
	}
}
