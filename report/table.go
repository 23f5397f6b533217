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
)

// TableOptions controls the human table.
type TableOptions struct {
	// Color enables ANSI colours; the caller decides (a TTY, and NO_COLOR unset).
	Color bool
	// ShowPass lists PASS findings too; by default the table shows what needs attention and
	// counts the rest in the summary line.
	ShowPass bool
}

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

// WriteTable writes a summary line and a table of findings, failures first and by severity.
func WriteTable(w io.Writer, r *Report, opts TableOptions) error {
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
	if _, err := fmt.Fprintln(w, line); err != nil {
		return err
	}
	var rows []checks.Finding
	for _, f := range r.Findings {
		if f.Status != checks.Pass || opts.ShowPass {
			rows = append(rows, f)
		}
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, paint(ansiGreen, "every check passed"))
		return err
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if statusOrder(a.Status) != statusOrder(b.Status) {
			return statusOrder(a.Status) < statusOrder(b.Status)
		}
		return a.Severity.Rank() > b.Severity.Rank()
	})
	table := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithRowMaxWidth(70),
		tablewriter.WithHeaderAutoFormat(tw.Off),
	)
	table.Header("STATUS", "SEVERITY", "CHECK", "ACCOUNT", "REGION", "DETAIL")
	for _, f := range rows {
		status := string(f.Status)
		switch f.Status {
		case checks.Fail:
			status = paint(ansiRed+ansiBold, status)
		case checks.Error:
			status = paint(ansiYellow, status)
		case checks.Pass:
			status = paint(ansiGreen, status)
		}
		detail := f.Message
		if f.Resource != "" && !strings.Contains(f.Message, f.Resource) {
			detail += "\n" + f.Resource
		}
		if f.Status == checks.Fail && f.Fix != nil && f.Fix.Available {
			detail += "\nfix: " + f.Fix.Summary
		}
		if err := table.Append(status, string(f.Severity), f.CheckID, f.Account, f.Region, detail); err != nil {
			return err
		}
	}
	return table.Render()
}
