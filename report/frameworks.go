package report

import (
	"sort"

	"github.com/lookout-audit/lookout/checks"
)

// frameworkNames are the published names of the frameworks of checks.Frameworks, as the
// standards' owners spell them (the CIS AWS Foundations Benchmark versions, and the control
// ids of AWS Security Hub CSPM).
var frameworkNames = map[string]string{
	"cis-aws-1.4":     "CIS AWS Foundations Benchmark v1.4.0",
	"cis-aws-3.0":     "CIS AWS Foundations Benchmark v3.0.0",
	"cis-aws-5.0":     "CIS AWS Foundations Benchmark v5.0.0",
	"cis-aws-7.0":     "CIS AWS Foundations Benchmark v7.0.0",
	"aws-securityhub": "AWS Security Hub controls",
}

// FrameworkName is the published name of a framework key ("cis-aws-7.0" → "CIS AWS
// Foundations Benchmark v7.0.0"); an unknown key (a report from a newer lookout) is its own name.
func FrameworkName(key string) string {
	if n, ok := frameworkNames[key]; ok {
		return n
	}
	return key
}

// frameworkKeys lists the frameworks of m: those of checks.Frameworks in their display order,
// then any others sorted.
func frameworkKeys(m map[string]string) []string {
	var out []string
	known := map[string]bool{}
	for _, k := range checks.Frameworks {
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
