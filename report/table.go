package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

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
	// Wide adds, under each finding's sentence, its resource and its fix; by default a row is
	// the sentence alone (lookout explain, the JSON and the HTML report give the rest).
	Wide bool
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
	for _, l := range overviewLines(OverviewOf(r), width, paint) {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	rows := newTableRows(r.Findings, opts, paint)
	if rows.len() == 0 {
		_, err := fmt.Fprintln(w, paint(ansiGreen, "every check passed"))
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if width < CompactBelow {
		writeBlocks(bw, rows, opts.Framework, width)
	} else {
		writeGrid(bw, rows, opts.Framework != "", width)
	}
	return bw.Flush()
}

// tableRows are the rows of the table in order, each built when it is written (twice for
// the grid, which measures its columns first): what is held is an index per row, not the
// rows' text.
type tableRows struct {
	fs     []checks.Finding
	order  []int // indexes into fs of the rows' findings, in the table's order
	failed map[string]AccountFailure
	opts   TableOptions
	paint  func(code, s string) string
}

func (t *tableRows) len() int { return len(t.order) }

// newTableRows selects, groups and orders the rows: every finding that needs attention (and
// PASS with ShowPass), the ERROR findings of an account that could not be read as one row
// where the first of them is, failures first and by severity.
func newTableRows(fs []checks.Finding, opts TableOptions, paint func(code, s string) string) *tableRows {
	t := &tableRows{fs: fs, failed: map[string]AccountFailure{}, opts: opts, paint: paint}
	for _, a := range UnreadableAccounts(fs) {
		t.failed[a.Account+"\x00"+a.Cause] = a
	}
	grouped := map[string]bool{}
	for i, f := range fs {
		if f.Status == checks.Pass && !opts.ShowPass {
			continue
		}
		if cause, ok := accountCause(f); ok {
			k := f.Account + "\x00" + cause
			if grouped[k] {
				continue
			}
			grouped[k] = true
		}
		t.order = append(t.order, i)
	}
	// A grouped row is ERROR with severity "-" (rank 0), whatever its first finding's.
	rank := func(i int) (int, int) {
		f := &fs[i]
		if _, ok := accountCause(*f); ok {
			return statusOrder(checks.Error), checks.Severity("-").Rank()
		}
		return statusOrder(f.Status), f.Severity.Rank()
	}
	sort.SliceStable(t.order, func(i, j int) bool {
		as, ar := rank(t.order[i])
		bs, br := rank(t.order[j])
		if as != bs {
			return as < bs
		}
		return ar > br
	})
	return t
}

// row builds the i-th row.
func (t *tableRows) row(i int) tableRow {
	f := &t.fs[t.order[i]]
	var row tableRow
	if cause, ok := accountCause(*f); ok {
		a := t.failed[f.Account+"\x00"+cause]
		row = tableRow{
			status: string(checks.Error), st: checks.Error, severity: "-",
			check:   fmt.Sprintf("all %d checks", len(a.Checks)),
			account: a.Account, region: f.Region,
			detail: []string{"account could not be read: " + printable(a.Cause), "likely remedy: " + a.Remedy},
		}
	} else {
		row = tableRow{
			status: string(f.Status), st: f.Status, severity: string(f.Severity), check: printable(f.CheckID),
			account: printable(f.Account), region: printable(f.Region), detail: []string{printable(f.Message)},
		}
		if t.opts.Framework != "" {
			row.control = f.Frameworks[t.opts.Framework]
			if row.control == "" {
				row.control = "-"
			}
		}
		if t.opts.Wide && f.Resource != "" && f.Resource != f.Account && !strings.Contains(f.Message, f.Resource) {
			row.detail = append(row.detail, printable(f.Resource))
		}
		if t.opts.Wide && f.Status == checks.Fail && f.Fix != nil && f.Fix.Available {
			row.detail = append(row.detail, "fix: "+printable(f.Fix.Summary))
		}
		if f.Status == checks.Waived && f.Waiver != nil {
			row.detail = append(row.detail, printable(waiverNote(*f)))
		}
	}
	switch row.st {
	case checks.Fail:
		row.status = t.paint(ansiRed+ansiBold, row.status)
	case checks.Error:
		row.status = t.paint(ansiYellow, row.status)
	case checks.Pass:
		row.status = t.paint(ansiGreen, row.status)
	}
	return row
}

// writeGrid writes the rows as a bordered table (box-drawing characters, the header centred,
// cells left-aligned, a space of padding either side) whose cells are wrapped here, to
// widths that add up to the terminal's. Each column is as wide as its widest line: the rows
// are measured first, then written one at a time.
func writeGrid(w *bufio.Writer, rows *tableRows, withControl bool, width int) {
	const statusW, severityW = 6, 8
	whereW := len("ACCOUNT")
	checkMax, controlW := len("CHECK"), len("CONTROL")
	for i := range rows.len() {
		r := rows.row(i)
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
	// cells are a row's columns, each a list of lines.
	cells := func(r tableRow) [][]string {
		c := [][]string{{r.status}, {r.severity}, wrapText(r.check, checkW)}
		if withControl {
			c = append(c, wrapText(r.control, controlW))
		}
		var detail []string
		for _, p := range r.detail {
			detail = append(detail, wrapText(p, detailW)...)
		}
		where := append(wrapText(r.account, whereW), wrapText(r.region, whereW)...)
		return append(c, where, detail)
	}
	header := [][]string{{"STATUS"}, {"SEVERITY"}, {"CHECK"}}
	if withControl {
		header = append(header, []string{"CONTROL"})
	}
	header = append(header, []string{"ACCOUNT", "REGION"}, []string{"DETAIL"})
	widths := make([]int, len(header))
	measure := func(c [][]string) {
		for j, lines := range c {
			for _, l := range lines {
				widths[j] = max(widths[j], displayWidth(l))
			}
		}
	}
	measure(header)
	for i := range rows.len() {
		measure(cells(rows.row(i)))
	}
	border := func(left, mid, right string) {
		w.WriteString(left)
		for j, cw := range widths {
			if j > 0 {
				w.WriteString(mid)
			}
			w.WriteString(strings.Repeat("─", cw+2))
		}
		w.WriteString(right + "\n")
	}
	lines := func(c [][]string, centre bool) {
		n := 0
		for _, l := range c {
			n = max(n, len(l))
		}
		for k := range n {
			w.WriteString("│")
			for j, cl := range c {
				s := ""
				if k < len(cl) {
					s = cl[k]
				}
				gap := widths[j] - displayWidth(s)
				left := 0
				if centre {
					left = gap / 2
				}
				w.WriteString(" ")
				w.WriteString(strings.Repeat(" ", left))
				w.WriteString(s)
				w.WriteString(strings.Repeat(" ", gap-left))
				w.WriteString(" │")
			}
			w.WriteString("\n")
		}
	}
	border("┌", "┬", "┐")
	lines(header, true)
	border("├", "┼", "┤")
	for i := range rows.len() {
		lines(cells(rows.row(i)), false)
	}
	border("└", "┴", "┘")
}

// writeBlocks writes one block per row for narrow terminals:
//
//	FAIL · critical · cloudtrail-logging
//	  333333333333 · us-east-1
//	  trail sandbox-main covers us-east-1 but is not logging …
//	  fix: cloudtrail:StartLogging on trail sandbox-main in us-west-2
func writeBlocks(b *bufio.Writer, rows *tableRows, framework string, width int) {
	for i := range rows.len() {
		r := rows.row(i)
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
