// Package explaincmd implements `lookout explain`: a finding of a JSON report, hop by hop.
package explaincmd

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/report"
)

// Options selects the findings of a report to explain.
type Options struct {
	Report   string // path of a JSON report; "-" is standard input
	Check    string
	Resource string // the finding's resource, or a part of it
	Account  string
	Region   string
	All      bool // every finding, PASS included
	Evidence bool // print the evidence as JSON
	In       io.Reader
	Out      io.Writer
}

// NewCmd returns the explain command.
func NewCmd() *cobra.Command {
	o := Options{}
	cmd := &cobra.Command{
		Use:   "explain REPORT.json [--check ID] [--resource R] [--all]",
		Short: "Explain findings of a JSON report: the path hop by hop, the broken hop, the reasoning and the evidence",
		Long: `explain reads a JSON report (lookout scan --format json --output report.json; "-" reads
standard input) and prints, for each finding selected, its verdict and sentence, the path of
the chain it judged hop by hop (✓ holds, ✗ the broken hop, ? could not be judged, · not
reached), the whole reasoning behind the sentence one line per path or alternative weighed,
the fix, and with --evidence what lookout read.

Select by --check, --resource (the resource or a part of it), --account and --region; without
a selector it explains every finding that is not PASS; --all explains every finding.`,
		Example: `  lookout scan --snapshot fixtures/demo-org.json --format json --output report.json
  lookout explain report.json --check cloudwatch-root-usage-alarm --account 333333333333
  lookout explain report.json --resource i-0a1b2c3d4e5f60002 --evidence`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return exitcode.Usagef("explain takes one JSON report (see 'lookout explain --help')")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Report, o.In, o.Out = args[0], cmd.InOrStdin(), cmd.OutOrStdout()
			return Run(o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Check, "check", "", "only findings of this check id")
	f.StringVar(&o.Resource, "resource", "", "only findings whose resource is, or contains, this")
	f.StringVar(&o.Account, "account", "", "only findings of this account")
	f.StringVar(&o.Region, "region", "", "only findings of this region")
	f.BoolVar(&o.All, "all", false, "every finding, PASS included")
	f.BoolVar(&o.Evidence, "evidence", false, "also print what lookout read, as JSON")
	return cmd
}

// Run explains the selected findings; none selected is a usage error (exit 3) naming the
// report's checks, so a typo is caught.
func Run(o Options) error {
	r, err := read(o)
	if err != nil {
		return exitcode.Usagef("%v", err)
	}
	selector := o.Check != "" || o.Resource != "" || o.Account != "" || o.Region != ""
	var picked []checks.Finding
	for _, f := range r.Findings {
		switch {
		case o.Check != "" && f.CheckID != o.Check,
			o.Resource != "" && !strings.Contains(f.Resource, o.Resource),
			o.Account != "" && f.Account != o.Account,
			o.Region != "" && f.Region != o.Region,
			!selector && !o.All && f.Status == checks.Pass:
			continue
		}
		picked = append(picked, f)
	}
	if len(picked) == 0 {
		return exitcode.Usagef("no finding of %s matches (it has %d findings; try --all, or --check with one of: %s)", o.Report, len(r.Findings), strings.Join(checkIDs(r.Findings), ", "))
	}
	for i, f := range picked {
		if i > 0 {
			fmt.Fprintln(o.Out)
		}
		if err := explain(o.Out, f, o.Evidence); err != nil {
			return err
		}
	}
	return nil
}

func read(o Options) (*report.Report, error) {
	in := o.In
	if o.Report != "-" {
		f, err := os.Open(o.Report)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	r, err := report.ReadJSON(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Report, err)
	}
	return r, nil
}

func checkIDs(fs []checks.Finding) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		if !seen[f.CheckID] {
			seen[f.CheckID] = true
			out = append(out, f.CheckID)
		}
	}
	return out
}

// explain writes one finding.
func explain(w io.Writer, f checks.Finding, withEvidence bool) error {
	fmt.Fprintf(w, "%s  %s  (%s)\n", f.Status, f.CheckID, f.Severity)
	fmt.Fprintf(w, "  account %s · region %s\n", f.Account, f.Region)
	if f.Resource != "" {
		fmt.Fprintf(w, "  resource %s\n", f.Resource)
	}
	fmt.Fprintf(w, "  %s\n", f.Message)
	if hops := f.Path(); hops != nil {
		fmt.Fprintln(w, "path:")
		writePath(w, hops)
	}
	if f.Detail != "" {
		fmt.Fprintln(w, "why:")
		for _, c := range f.ReasoningClauses() {
			fmt.Fprintf(w, "  - %s\n", c)
		}
	}
	if f.Fix != nil && f.Fix.Summary != "" {
		how := "fix (lookout fix --checks " + f.CheckID + "): "
		if !f.Fix.Available {
			how = "fix by hand: "
		}
		fmt.Fprintf(w, "%s%s\n", how, f.Fix.Summary)
	}
	if f.Waiver != nil {
		fmt.Fprintf(w, "waived: %s (expires %s)\n", f.Waiver.Reason, f.Waiver.Expires)
	}
	if withEvidence && f.Evidence != nil {
		ev, err := json.MarshalIndent(f.Evidence, "  ", "  ")
		if err != nil {
			return fmt.Errorf("evidence of %s %s: %w", f.CheckID, f.Resource, err)
		}
		fmt.Fprintf(w, "evidence:\n  %s\n", ev)
	}
	return nil
}

// writePath writes the finding's path one hop a line: ✓ holds, ✗ broken here (with the
// delivery hop that stops it), ? could not be judged, · not reached.
func writePath(w io.Writer, hops []route.PathHop) {
	for _, h := range hops {
		what := string(h.State)
		switch h.State {
		case route.HopBroken:
			what = "broken here"
		case route.HopUndecided:
			what = "could not be judged"
		}
		if h.Delivery != "" {
			what += " (" + string(h.Delivery) + ")"
		}
		fmt.Fprintf(w, "  %s %-22s %s\n", h.State.Mark(), h.Link, what)
	}
}
