package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/terminal"
)

// TableOptions controls the human table.
type TableOptions struct {
	// Color enables ANSI colours; the caller decides (a TTY, and NO_COLOR unset).
	Color bool
	// ShowPass lists PASS findings too; by default the table shows what needs attention and
	// counts the rest in the summary line.
	ShowPass bool
	// Width is the number of columns to fit (0: the width of w's terminal, or DefaultTableWidth
	// when w is not a terminal). Below CompactBelow the findings are written as blocks instead
	// of a table.
	Width int
	// Framework, when set (e.g. "cis-aws-7.0"), adds each finding's control id in it.
	Framework string
}

// DefaultTableWidth is the width used when the output is not a terminal (a pipe, a file, CI
// logs), so that piped output does not depend on who ran the command.
const DefaultTableWidth = 120

// CompactBelow is the width under which the table becomes one block per finding: a table of
// five columns and a readable detail column needs about a hundred.
const CompactBelow = 100

// minWidth is the narrowest layout lookout attempts; narrower terminals get this width.
const minWidth = 40

const (
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[32m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

// statusOrder puts what needs attention first.
func statusOrder(s checks.Status) int {
	switch s {
	case checks.Fail:
		return 0
	case checks.Error:
		return 1
	case checks.Waived:
		return 2
	}
	return 3
}

// tableRow is one row of the table or one block of the compact layout: a finding, or all
// the ERROR findings of an account that could not be read.
type tableRow struct {
	status, severity, check, control, account, region string
	st                                                checks.Status
	detail                                            []string // paragraphs
}

// WriteTable writes a summary line and the findings that need attention, failures first and
// by severity, fitted to opts.Width columns: a table from CompactBelow columns up, else one
// block per finding. No line is wider than the width (measured in display columns). An
// account that could not be read at all is one row, not one per check.
func WriteTable(w io.Writer, r *Report, opts TableOptions) error {
	width := opts.Width
	if width <= 0 {
		width = terminal.Width(w)
	}
	if width <= 0 {
		width = DefaultTableWidth
	}
	if width < minWidth {
		width = minWidth
	}
	paint := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}
	sum := r.Summary
	line := fmt.Sprintf("lookout: %d findings in %d account(s), %d region(s): %s FAIL, %s ERROR, %d PASS, %d WAIVED",
		len(r.Findings), len(r.Scope.Accounts), len(r.Scope.Regions),
		paint(ansiRed+ansiBold, fmt.Sprint(sum.Fail)), paint(ansiYellow, fmt.Sprint(sum.Error)), sum.Pass, sum.Waived)
	for _, l := range wrapText(line, width) {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	rows := tableRows(r.Findings, opts)
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, paint(ansiGreen, "every check passed"))
		return err
	}
	for i := range rows {
		switch rows[i].st {
		case checks.Fail:
			rows[i].status = paint(ansiRed+ansiBold, rows[i].status)
		case checks.Error:
			rows[i].status = paint(ansiYellow, rows[i].status)
		case checks.Pass:
			rows[i].status = paint(ansiGreen, rows[i].status)
		}
	}
	if width < CompactBelow {
		return writeBlocks(w, rows, opts.Framework, width)
	}
	return writeGrid(w, rows, opts.Framework != "", width)
}

// tableRows selects, groups and orders the rows.
func tableRows(fs []checks.Finding, opts TableOptions) []tableRow {
	var rows []tableRow
	failed := map[string]AccountFailure{}
	for _, a := range UnreadableAccounts(fs) {
		failed[a.Account+"\x00"+a.Cause] = a
	}
	grouped := map[string]bool{}
	for _, f := range fs {
		if f.Status == checks.Pass && !opts.ShowPass {
			continue
		}
		if cause, ok := accountCause(f); ok {
			k := f.Account + "\x00" + cause
			if grouped[k] {
				continue
			}
			grouped[k] = true
			a := failed[k]
			rows = append(rows, tableRow{
				status: string(checks.Error), st: checks.Error, severity: "-",
				check:   fmt.Sprintf("all %d checks", len(a.Checks)),
				account: a.Account, region: f.Region,
				detail: []string{"account could not be read: " + printable(a.Cause), "likely remedy: " + a.Remedy},
			})
			continue
		}
		row := tableRow{
			status: string(f.Status), st: f.Status, severity: string(f.Severity), check: printable(f.CheckID),
			account: printable(f.Account), region: printable(f.Region), detail: []string{printable(f.Message)},
		}
		if opts.Framework != "" {
			row.control = f.Frameworks[opts.Framework]
			if row.control == "" {
				row.control = "-"
			}
		}
		if f.Resource != "" && f.Resource != f.Account && !strings.Contains(f.Message, f.Resource) {
			row.detail = append(row.detail, printable(f.Resource))
		}
		if f.Status == checks.Fail && f.Fix != nil && f.Fix.Available {
			row.detail = append(row.detail, "fix: "+printable(f.Fix.Summary))
		}
		if f.Status == checks.Waived && f.Waiver != nil {
			row.detail = append(row.detail, printable(waiverNote(f)))
		}
		rows = append(rows, row)
	}
	sevRank := func(s string) int { return checks.Severity(s).Rank() }
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if statusOrder(a.st) != statusOrder(b.st) {
			return statusOrder(a.st) < statusOrder(b.st)
		}
		return sevRank(a.severity) > sevRank(b.severity)
	})
	return rows
}

// writeGrid writes the rows as a bordered table whose cells are wrapped here, to widths that
// add up to the terminal's, so the renderer never wraps or widens anything itself.
func writeGrid(w io.Writer, rows []tableRow, withControl bool, width int) error {
	const statusW, severityW = 6, 8
	whereW := len("ACCOUNT")
	checkMax, controlW := len("CHECK"), len("CONTROL")
	for _, r := range rows {
		whereW = max(whereW, displayWidth(r.account), displayWidth(r.region))
		checkMax = max(checkMax, displayWidth(r.check))
		controlW = max(controlW, displayWidth(r.control))
	}
	whereW = min(whereW, 16)
	controlW = min(controlW, 14)
	cols := 5
	fixed := statusW + severityW + whereW
	if withControl {
		cols++
		fixed += controlW
	}
	// Each column has a space either side and one border on its left, plus the last border.
	borders := 3*cols + 1
	free := width - borders - fixed // for CHECK and DETAIL
	checkW := min(checkMax, max(14, free/3))
	detailW := free - checkW
	if detailW < 20 {
		checkW = max(10, free-20)
		detailW = free - checkW
	}
	cell := func(s string, w int) string { return strings.Join(wrapText(s, w), "\n") }
	table := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithTrimSpace(tw.Off),
	)
	header := []any{"STATUS", "SEVERITY", "CHECK"}
	if withControl {
		header = append(header, "CONTROL")
	}
	header = append(header, "ACCOUNT\nREGION", "DETAIL")
	table.Header(header...)
	for _, r := range rows {
		row := []any{r.status, r.severity, cell(r.check, checkW)}
		if withControl {
			row = append(row, cell(r.control, controlW))
		}
		var detail []string
		for _, p := range r.detail {
			detail = append(detail, wrapText(p, detailW)...)
		}
		row = append(row, cell(r.account, whereW)+"\n"+cell(r.region, whereW), strings.Join(detail, "\n"))
		if err := table.Append(row...); err != nil {
			return err
		}
	}
	return table.Render()
}

// writeBlocks writes one block per row for narrow terminals:
//
//	FAIL · critical · cloudtrail-logging
//	  333333333333 · us-east-1
//	  trail sandbox-main covers us-east-1 but is not logging …
//	  fix: cloudtrail:StartLogging on trail sandbox-main in us-west-2
func writeBlocks(w io.Writer, rows []tableRow, framework string, width int) error {
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteString("\n")
		}
		head := r.status + " · " + r.severity + " · " + r.check
		for _, l := range wrapText(head, width) {
			b.WriteString(l + "\n")
		}
		where := r.account + " · " + r.region
		if framework != "" && r.control != "" {
			where += " · " + framework + " " + r.control
		}
		for _, l := range wrapIndent(where, width, 2) {
			b.WriteString(l + "\n")
		}
		for _, p := range r.detail {
			for _, l := range wrapIndent(p, width, 2) {
				b.WriteString(l + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// printable replaces control characters (an escape sequence in a resource name would
// otherwise reach the terminal) with spaces; line breaks are kept.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}
