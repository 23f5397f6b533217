package report

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

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

// overviewLines writes the overview for the table, for a scan of more than one account: a
// matrix (check, then one column per account) when it fits width, else one line per check
// counting the accounts by the check's worst status there. paint colours a status.
func overviewLines(o Overview, width int, paint func(code, s string) string) []string {
	if len(o.Accounts) < 2 || len(o.Rows) == 0 {
		return nil
	}
	checkW := len("CHECK")
	for _, row := range o.Rows {
		checkW = max(checkW, len(row.Check))
	}
	colW := len("ERROR×999")
	for _, a := range o.Accounts {
		colW = max(colW, len(a))
	}
	colour := func(st checks.Status, s string) string {
		switch st {
		case checks.Fail:
			return paint(ansiRed+ansiBold, s)
		case checks.Error:
			return paint(ansiYellow, s)
		case checks.Pass:
			return paint(ansiGreen, s)
		}
		return s
	}
	pad := func(s string, n int) string { return s + strings.Repeat(" ", max(0, n-len(s))) }
	var out []string
	if checkW+(colW+2)*len(o.Accounts) <= width {
		out = append(out, "overview: the worst status of each check in each account")
		head := pad("CHECK", checkW)
		for _, a := range o.Accounts {
			head += "  " + pad(a, colW)
		}
		out = append(out, strings.TrimRight(head, " "))
		for _, row := range o.Rows {
			line := pad(row.Check, checkW)
			for _, c := range row.Cells {
				label := "–"
				if c.Worst != "" {
					label = string(c.Worst)
					if n := c.Counts[c.Worst]; n > 1 {
						label += fmt.Sprintf("×%d", n)
					}
				}
				line += "  " + colour(c.Worst, label) + strings.Repeat(" ", max(0, colW-utf8.RuneCountInString(label)))
			}
			out = append(out, strings.TrimRight(line, " "))
		}
		return append(out, "")
	}
	out = append(out, fmt.Sprintf("overview: %d accounts, counted by each check's worst status there", len(o.Accounts)))
	for _, row := range o.Rows {
		n := map[checks.Status]int{}
		for _, c := range row.Cells {
			n[c.Worst]++
		}
		var parts []string
		for _, st := range overviewStatuses {
			if n[st] > 0 {
				parts = append(parts, colour(st, fmt.Sprintf("%d %s", n[st], st)))
			}
		}
		if n[""] > 0 {
			parts = append(parts, fmt.Sprintf("%d nothing to judge", n[""]))
		}
		out = append(out, pad(row.Check, checkW)+"  "+strings.Join(parts, " · "))
	}
	return append(out, "")
}
