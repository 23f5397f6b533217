package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// All returns every check, in the order of shared/CONTRACT.md. This list is the registry: a new
// check is one file plus one line here.
func All() []*Check {
	return []*Check{
		&CloudTrailLogging,
		&StopLoggingRemediation,
		&RootUsageAlarm,
		&APIWithoutMFAAlarm,
		&ConsoleSigninWithoutMFAAlarm,
		&ConsoleSigninRule,
		&SSMAgentSSHLogs,
		&SSHLoginAlarm,
		&EC2StateChangeRule,
	}
}

// Select returns the checks named in ids (all checks for an empty list), or an error naming
// the unknown ids and listing the known ones.
func Select(ids []string) ([]*Check, error) {
	all := All()
	if len(ids) == 0 {
		return all, nil
	}
	byID := map[string]*Check{}
	for _, c := range all {
		byID[c.ID] = c
	}
	var out []*Check
	var unknown []string
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		c, ok := byID[id]
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		out = append(out, c)
	}
	if len(unknown) > 0 {
		known := make([]string, len(all))
		for i, c := range all {
			known[i] = c.ID
		}
		return nil, fmt.Errorf("unknown check id %s (known: %s)", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return out, nil
}

// Run evaluates the checks on the snapshot and returns the findings in report order.
// An account that could not be entered gets one ERROR finding per check rather than silence.
func Run(s *snapshot.Snapshot, list []*Check, opts Options) []Finding {
	if len(opts.SigninRegions) == 0 {
		opts.SigninRegions = DefaultSigninRegions
	}
	if opts.SSHLogMaxAge == 0 {
		opts.SSHLogMaxAge = DefaultSSHLogMaxAge
	}
	if opts.Now.IsZero() {
		opts.Now = s.CollectedAt
	}
	// Checks see only the accounts that were read; unreadable accounts are reported here once.
	readable := *s
	readable.Accounts = nil
	var out []Finding
	for _, a := range s.Accounts {
		if a.Error == nil {
			readable.Accounts = append(readable.Accounts, a)
			continue
		}
		for _, c := range list {
			out = append(out, c.readError(a.ID, "global", a.ID, a.Error, "account "+a.ID))
		}
	}
	for _, c := range list {
		out = append(out, c.Run(c, &readable, opts)...)
	}
	SortFindings(out)
	return out
}

// SortFindings orders findings as the contract says: account, region, check id, resource.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.CheckID != b.CheckID {
			return a.CheckID < b.CheckID
		}
		return a.Resource < b.Resource
	})
}
