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

// The table writer as it was, rendering with tablewriter (every row held, then rendered):
// what WriteTable, which writes the rows one at a time, must write byte for byte.

// WriteTable writes a summary line and the findings that need attention, failures first and
// by severity, fitted to opts.Width columns: a table from CompactBelow columns up, else one
// block per finding. No line is wider than the width (measured in display columns). An
// account that could not be read at all is one row, not one per check.
func tablewriterTable(w io.Writer, r *Report, opts TableOptions) error {
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
	for _, l := range overviewLines(OverviewOf(r), width, paint) {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	rows := tablewriterRows(r.Findings, opts)
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
		return tablewriterBlocks(w, rows, opts.Framework, width)
	}
	return tablewriterGrid(w, rows, opts.Framework != "", width)
}

// tableRows selects, groups and orders the rows.
func tablewriterRows(fs []checks.Finding, opts TableOptions) []tableRow {
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
		if opts.Wide && f.Resource != "" && f.Resource != f.Account && !strings.Contains(f.Message, f.Resource) {
			row.detail = append(row.detail, printable(f.Resource))
		}
		if opts.Wide && f.Status == checks.Fail && f.Fix != nil && f.Fix.Available {
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
func tablewriterGrid(w io.Writer, rows []tableRow, withControl bool, width int) error {
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
func tablewriterBlocks(w io.Writer, rows []tableRow, framework string, width int) error {
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
