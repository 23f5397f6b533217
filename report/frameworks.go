package report

import (
	"sort"

	"github.com/lookout-audit/lookout/checks"
)

// FrameworkName is the published name of a framework key (see checks.FrameworkName).
func FrameworkName(key string) string { return checks.FrameworkName(key) }

// frameworkKeys lists the frameworks of m: those of checks.FrameworkIDs in their display order,
// then any others sorted.
func frameworkKeys(m map[string]string) []string {
	var out []string
	known := map[string]bool{}
	for _, k := range checks.FrameworkIDs() {
		known[k] = true
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	var other []string
	for k := range m {
		if !known[k] {
			other = append(other, k)
		}
	}
	sort.Strings(other)
	return append(out, other...)
}

// frameworkTags are "framework/control" strings ("cis-aws-7.0/4.1"), in frameworkKeys order.
func frameworkTags(m map[string]string) []string {
	var out []string
	for _, k := range frameworkKeys(m) {
		out = append(out, k+"/"+m[k])
	}
	return out
}
