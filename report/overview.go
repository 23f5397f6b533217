package report

import (
	"sort"

	"github.com/lookout-audit/lookout/checks"
)

// Overview is the organisation at a glance: every check against every account, each cell the
// worst status of that check's findings in that account (what needs attention wins) and how
// many findings had each status. The HTML report draws it as a coloured matrix; markdown and
// the table write it for scans of more than one account.
type Overview struct {
	Accounts []string // sorted; every scoped account, with findings or not
	Rows     []OverviewRow
}

// OverviewRow is one check across the accounts, in the order of Overview.Accounts.
type OverviewRow struct {
	Check, Title string
	Severity     checks.Severity
	Cells        []OverviewCell
}

// OverviewCell is one check in one account; Worst is "" where the check had nothing to judge.
type OverviewCell struct {
	Account string
	Worst   checks.Status
	Counts  map[checks.Status]int
}

// worstOrder ranks statuses for a cell: what needs attention wins.
var worstOrder = map[checks.Status]int{checks.Fail: 4, checks.Error: 3, checks.Waived: 2, checks.Pass: 1}

// overviewStatuses are the statuses in the order a cell names its counts.
var overviewStatuses = []checks.Status{checks.Fail, checks.Error, checks.Waived, checks.Pass}

// OverviewOf builds the overview of a report: checks by severity (most severe first), then id.
func OverviewOf(r *Report) Overview {
	accounts := map[string]bool{}
	for _, a := range r.Scope.Accounts {
		accounts[a] = true
	}
	counts := map[string]map[string]map[checks.Status]int{}
	info := map[string]checks.Finding{}
	for _, f := range r.Findings {
		accounts[f.Account] = true
		if _, ok := info[f.CheckID]; !ok {
			info[f.CheckID] = f
		}
		if counts[f.CheckID] == nil {
			counts[f.CheckID] = map[string]map[checks.Status]int{}
		}
		if counts[f.CheckID][f.Account] == nil {
			counts[f.CheckID][f.Account] = map[checks.Status]int{}
		}
		counts[f.CheckID][f.Account][f.Status]++
	}
	var o Overview
	for a := range accounts {
		o.Accounts = append(o.Accounts, a)
	}
	sort.Strings(o.Accounts)
	var ids []string
	for c := range info {
		ids = append(ids, c)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := info[ids[i]].Severity.Rank(), info[ids[j]].Severity.Rank()
		if a != b {
			return a > b
		}
		return ids[i] < ids[j]
	})
	for _, c := range ids {
		row := OverviewRow{Check: c, Title: info[c].Title, Severity: info[c].Severity}
		for _, acct := range o.Accounts {
			cell := OverviewCell{Account: acct, Counts: counts[c][acct]}
			for st, n := range cell.Counts {
				if n > 0 && worstOrder[st] > worstOrder[cell.Worst] {
					cell.Worst = st
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		o.Rows = append(o.Rows, row)
	}
	return o
}
