// Package checkscmd implements `lookout checks`: the registry, for people and for tools.
package checkscmd

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/exitcode"
)

// Entry is one check as `lookout checks --format json` prints it.
type Entry struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	Severity     string `json:"severity"`
	Verifies     string `json:"verifies"`
	Remediation  string `json:"remediation"`
	FixAvailable bool   `json:"fix_available"`
	Fix          string `json:"fix,omitempty"`
	// Frameworks maps a framework to the control id the check implements there.
	Frameworks map[string]string `json:"frameworks,omitempty"`
}

// NewCmd returns the checks command.
func NewCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "checks [--format table|json]",
		Short: "List the checks: id, severity, what PASS requires, and the fix",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Run(cmd.OutOrStdout(), format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

// Entries lists the registry.
func Entries() []Entry {
	var out []Entry
	for _, c := range checks.All() {
		out = append(out, Entry{ID: c.ID, Title: c.Title, Severity: string(c.Severity), Verifies: c.Verifies,
			Remediation: c.Remediation, FixAvailable: c.HasFix(), Fix: c.FixSummary, Frameworks: c.Frameworks})
	}
	return out
}

// Run prints the registry.
func Run(w io.Writer, format string) error {
	entries := Entries()
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	case "table":
		t := tablewriter.NewTable(w, tablewriter.WithRowAutoWrap(tw.WrapNormal), tablewriter.WithRowMaxWidth(60),
			tablewriter.WithHeaderAutoFormat(tw.Off))
		t.Header("ID", "SEVERITY", "VERIFIES", "FIX", "FRAMEWORKS")
		for _, e := range entries {
			fix := "no"
			if e.FixAvailable {
				fix = e.Fix
			}
			var fw []string
			for _, name := range checks.FrameworkIDs() {
				if id, ok := e.Frameworks[name]; ok {
					fw = append(fw, name+" "+id)
				}
			}
			if err := t.Append(e.ID, e.Severity, e.Verifies, fix, strings.Join(fw, "\n")); err != nil {
				return err
			}
		}
		return t.Render()
	}
	return exitcode.Usagef("--format: unknown format %q (want table or json)", format)
}
