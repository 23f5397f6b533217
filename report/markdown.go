package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/route"
)

// MarkdownOptions controls WriteMarkdown.
type MarkdownOptions struct {
	// MaxRows caps the rows of each table (0 means DefaultMarkdownRows), so the summary fits a
	// PR comment (65,536 characters) and $GITHUB_STEP_SUMMARY (1 MiB); the rest is counted.
	MaxRows int
	// Notes are listed under "Waivers" (expired or unmatched waiver entries).
	Notes []string
	// Checks supplies titles and fix summaries; nil means the whole registry.
	Checks []*checks.Check
}

// DefaultMarkdownRows is the default cap on rows per table.
const DefaultMarkdownRows = 100

// WriteMarkdown writes a short GitHub-flavoured summary for $GITHUB_STEP_SUMMARY or a pull
// request comment: counts by status and severity, then the failures grouped by check with
// account, region, resource and fix hint, then what could not be evaluated and what was waived.
func WriteMarkdown(w io.Writer, r *Report, opts MarkdownOptions) error {
	if opts.MaxRows <= 0 {
		opts.MaxRows = DefaultMarkdownRows
	}
	if opts.Checks == nil {
		opts.Checks = checks.All()
	}
	byID := map[string]*checks.Check{}
	for _, c := range opts.Checks {
		byID[c.ID] = c
	}
	var b strings.Builder
	s := r.Summary
	fmt.Fprintf(&b, "## lookout: %d FAIL, %d ERROR, %d PASS, %d WAIVED\n\n", s.Fail, s.Error, s.Pass, s.Waived)
	scope := fmt.Sprintf("%d account(s), %d region(s)", len(r.Scope.Accounts), len(r.Scope.Regions))
	if r.Scope.Shard != "" {
		scope += ", shard " + r.Scope.Shard
	}
	fmt.Fprintf(&b, "%s · %s %s · %s\n\n", scope, r.Tool.Name, r.Tool.Version, r.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z"))

	if s.Error > 0 {
		fmt.Fprintf(&b, "> [!WARNING]\n> The scan is incomplete: %d finding(s) could not be evaluated (ERROR). "+
			"Do not treat missing failures as fixed.\n\n", s.Error)
	}
	writeCounts(&b, r.Findings)
	writeOverview(&b, OverviewOf(r))

	var fails, errs, waived []checks.Finding
	for _, f := range r.Findings {
		switch f.Status {
		case checks.Fail:
			fails = append(fails, f)
		case checks.Error:
			errs = append(errs, f)
		case checks.Waived:
			waived = append(waived, f)
		}
	}
	if len(fails) == 0 {
		b.WriteString("No unwaived failures.\n\n")
	} else {
		writeFailures(&b, fails, byID, opts.MaxRows)
	}
	writeFindingTable(&b, "Could not evaluate (ERROR)", []string{"Reason"}, errs, opts.MaxRows, func(f checks.Finding) []string {
		return []string{mdSentence(f)}
	})
	writeFindingTable(&b, "Waived", []string{"Reason", "Expires"}, waived, opts.MaxRows, func(f checks.Finding) []string {
		if f.Waiver == nil {
			return []string{"", ""}
		}
		return []string{mdText(f.Waiver.Reason), mdText(f.Waiver.Expires)}
	})
	if len(opts.Notes) > 0 {
		b.WriteString("### Waivers to review\n\n")
		for _, n := range opts.Notes {
			fmt.Fprintf(&b, "- %s\n", mdText(n))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFindingTable writes a section of findings of one status, one row each (check, account,
// region, resource, then the columns of more), at most maxRows rows; nothing when fs is empty.
func writeFindingTable(b *strings.Builder, heading string, columns []string, fs []checks.Finding, maxRows int, more func(checks.Finding) []string) {
	if len(fs) == 0 {
		return
	}
	columns = append([]string{"Check", "Account", "Region", "Resource"}, columns...)
	fmt.Fprintf(b, "### %s\n\n| %s |\n|%s\n", heading, strings.Join(columns, " | "), strings.Repeat("---|", len(columns)))
	for i, f := range fs {
		if i == maxRows {
			fmt.Fprintf(b, "\n…and %d more %s finding(s); see the JSON report.\n", len(fs)-i, f.Status)
			break
		}
		cells := append([]string{mdCode(f.CheckID), mdText(f.Account), mdText(f.Region), mdCode(f.Resource)}, more(f)...)
		fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
	}
	b.WriteString("\n")
}

// writeCounts writes the status × severity table.
func writeCounts(b *strings.Builder, fs []checks.Finding) {
	sevs := []checks.Severity{checks.Critical, checks.High, checks.Medium, checks.Low}
	statuses := []checks.Status{checks.Fail, checks.Error, checks.Waived, checks.Pass}
	counts := map[checks.Status]map[checks.Severity]int{}
	for _, st := range statuses {
		counts[st] = map[checks.Severity]int{}
	}
	for _, f := range fs {
		if counts[f.Status] != nil {
			counts[f.Status][f.Severity]++
		}
	}
	b.WriteString("| Status | Critical | High | Medium | Low | Total |\n|---|--:|--:|--:|--:|--:|\n")
	for _, st := range statuses {
		total := 0
		fmt.Fprintf(b, "| %s |", st)
		for _, sev := range sevs {
			n := counts[st][sev]
			total += n
			fmt.Fprintf(b, " %d |", n)
		}
		// Findings of an unknown severity still count in the total.
		for sev, n := range counts[st] {
			if sev.Rank() == 0 {
				total += n
			}
		}
		fmt.Fprintf(b, " %d |\n", total)
	}
	b.WriteString("\n")
}

// writeFailures groups failures by check, most severe check first.
func writeFailures(b *strings.Builder, fails []checks.Finding, byID map[string]*checks.Check, maxRows int) {
	groups := map[string][]checks.Finding{}
	var ids []string
	for _, f := range fails {
		if _, ok := groups[f.CheckID]; !ok {
			ids = append(ids, f.CheckID)
		}
		groups[f.CheckID] = append(groups[f.CheckID], f)
	}
	sort.SliceStable(ids, func(i, j int) bool {
		a, c := groups[ids[i]][0].Severity.Rank(), groups[ids[j]][0].Severity.Rank()
		if a != c {
			return a > c
		}
		return ids[i] < ids[j]
	})
	b.WriteString("### Failures\n\n")
	rows := 0
	for gi, id := range ids {
		g := groups[id]
		if rows >= maxRows {
			rest := 0
			for _, later := range ids[gi:] {
				rest += len(groups[later])
			}
			fmt.Fprintf(b, "…and %d more FAIL finding(s) of %d more check(s); see the SARIF or JSON report.\n\n", rest, len(ids)-gi)
			return
		}
		fmt.Fprintf(b, "#### %s · %s · %s (%d)\n\n", mdCode(id), g[0].Severity, mdText(g[0].Title), len(g))
		if tags := frameworkTags(g[0].Frameworks); len(tags) > 0 {
			codes := make([]string, len(tags))
			for i, t := range tags {
				codes[i] = mdCode(t)
			}
			fmt.Fprintf(b, "Controls: %s\n\n", strings.Join(codes, " · "))
		}
		if c := byID[id]; c != nil && c.FixSummary != "" {
			fmt.Fprintf(b, "Fix: `lookout fix --checks %s` (plan) then `%s`: %s\n\n", id, FixCommand(id), mdText(c.FixSummary))
		} else if c != nil && c.Remediation != "" {
			fmt.Fprintf(b, "Remediation: %s\n\n", mdText(c.Remediation))
		}
		b.WriteString("| Account | Region | Resource | Detail | Fix hint |\n|---|---|---|---|---|\n")
		for i, f := range g {
			if rows >= maxRows {
				fmt.Fprintf(b, "\n…and %d more for this check.\n", len(g)-i)
				break
			}
			rows++
			hint := "—"
			if f.Fix != nil && f.Fix.Summary != "" {
				hint = mdText(f.Fix.Summary)
				if !f.Fix.Available {
					hint = "by hand: " + hint
				}
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mdText(f.Account), mdText(f.Region), mdCode(f.Resource), mdSentence(f), hint)
		}
		b.WriteString("\n")
	}
}

// mdText escapes text for a GitHub-flavoured markdown table cell: no HTML, no emphasis or link
// syntax from resource names, no pipe that would split the cell, no line break.
var mdTextReplacer = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"\\", "\\\\", "|", "\\|", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]",
	"\r\n", " ", "\n", " ", "\r", " ",
)

func mdText(s string) string { return mdTextReplacer.Replace(s) }

// mdSentence is a finding's sentence for a table cell, with its path up to the broken hop
// under it ("path: ✓ trail → ✓ log group → ✗ metric filter") when its evidence names one.
func mdSentence(f checks.Finding) string {
	s := mdText(f.Message)
	if hops := f.Path(); hops != nil {
		s += "<br>path: " + mdText(route.ShortPath(hops))
	}
	return s
}

// mdCode renders s as inline code for a table cell, or as escaped text if it holds a backtick.
func mdCode(s string) string {
	if s == "" {
		return "—"
	}
	if strings.ContainsAny(s, "`\r\n") {
		return mdText(s)
	}
	return "`" + strings.ReplaceAll(s, "|", "\\|") + "`"
}

// markdownOverviewColumns is the most accounts the overview writes as columns; past it, each
// check's row counts the accounts by their worst status instead (a table a thousand accounts
// wide helps no one).
const markdownOverviewColumns = 8

// writeOverview writes the checks × accounts overview of a scan of more than one account: each
// cell the worst status of the check there (with how many findings had it), "–" where the
// check had nothing to judge; folded to counts of accounts when there are too many.
func writeOverview(b *strings.Builder, o Overview) {
	if len(o.Accounts) < 2 || len(o.Rows) == 0 {
		return
	}
	b.WriteString("### Overview: checks × accounts\n\n")
	if len(o.Accounts) > markdownOverviewColumns {
		fmt.Fprintf(b, "%d accounts: each row counts the accounts by the check's worst status there.\n\n", len(o.Accounts))
		b.WriteString("| Check | FAIL | ERROR | WAIVED | PASS | nothing to judge |\n|---|---|---|---|---|---|\n")
		for _, row := range o.Rows {
			n := map[checks.Status]int{}
			for _, c := range row.Cells {
				n[c.Worst]++
			}
			fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d |\n", mdCode(row.Check), n[checks.Fail], n[checks.Error], n[checks.Waived], n[checks.Pass], n[""])
		}
		b.WriteString("\n")
		return
	}
	b.WriteString("| Check |")
	for _, a := range o.Accounts {
		b.WriteString(" " + mdText(a) + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(o.Accounts)) + "\n")
	for _, row := range o.Rows {
		b.WriteString("| " + mdCode(row.Check) + " |")
		for _, c := range row.Cells {
			cell := "–"
			if c.Worst != "" {
				cell = string(c.Worst)
				if n := c.Counts[c.Worst]; n > 1 {
					cell = fmt.Sprintf("%s ×%d", c.Worst, n)
				}
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}
