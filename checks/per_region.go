package checks

import "github.com/lookout-audit/lookout/internal/snapshot"

// perRegion gathers the findings judge gives each region of each account, in snapshot order.
func perRegion(s *snapshot.Snapshot, judge func(*snapshot.Account, *snapshot.Region) []Finding) []Finding {
	var out []Finding
	for ai := range s.Accounts {
		a := &s.Accounts[ai]
		for ri := range a.Regions {
			out = append(out, judge(a, &a.Regions[ri])...)
		}
	}
	return out
}
