package output

import (
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/report"
)

// ReportFlags are the flags of the commands that write a report (scan, merge), defined once
// so that both write the same formats and say so in the same words.
type ReportFlags struct {
	Format   string
	Output   string
	FailOn   string
	ShowPass bool
	Wide     bool
}

// AddFlags registers --format, --output, --fail-on and --show-pass.
func (r *ReportFlags) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&r.Format, "format", "table", "report format: "+strings.Join(report.Formats, ", "))
	f.StringVarP(&r.Output, "output", "o", "", "write the report to this file instead of stdout (written atomically)")
	f.StringVar(&r.FailOn, "fail-on", "high", "exit 1 when an unwaived FAIL is at or above this severity: critical, high, medium, low or none")
	f.BoolVar(&r.ShowPass, "show-pass", false, "table format: list PASS findings too")
	f.BoolVar(&r.Wide, "wide", false, "table format: each finding's resource and fix under its sentence (lookout explain gives the whole path)")
}

// Check validates --format and parses --fail-on; either wrong is a usage error.
func (r *ReportFlags) Check() (checks.Severity, error) {
	if err := CheckFormat(r.Format, report.Formats); err != nil {
		return "", err
	}
	failOn, err := report.ParseFailOn(r.FailOn)
	if err != nil {
		return "", exitcode.Usagef("--fail-on: %v", err)
	}
	return failOn, nil
}

// Write writes rep in --format to --output (stdout when none: then in colour where stdout is
// a terminal that allows it, and fitted to its width), with opts for what only the command
// knows; then it says once on stderr why each account that could not be read was not. A
// report that could not be written is exit code 2.
func (r *ReportFlags) Write(stdout, stderr io.Writer, rep *report.Report, opts report.WriteOptions) error {
	opts.Format, opts.ShowPass, opts.Wide, opts.Warnings = r.Format, r.ShowPass, r.Wide, stderr
	opts.Color = r.Output == "" && ColorEnabled(stdout)
	if err := Write(r.Output, stdout, func(w io.Writer) error { return report.Write(w, rep, opts) }); err != nil {
		return exitcode.WithCode(exitcode.Incomplete, err)
	}
	// An account that could not be read makes every check ERROR for one cause: say it once.
	_ = report.WriteAccountFailures(stderr, rep.Findings)
	return nil
}

// Verdict is what a command that wrote a report of findings returns: nil, or the silent exit
// code the findings ask for (report.ExitCode).
func Verdict(findings []checks.Finding, failOn checks.Severity) error {
	if code := report.ExitCode(findings, failOn); code != exitcode.OK {
		return exitcode.Silent(code)
	}
	return nil
}

// CheckFormat is a usage error unless format is one of known.
func CheckFormat(format string, known []string) error {
	if slices.Contains(known, format) {
		return nil
	}
	return exitcode.Usagef("--format: unknown format %q (want %s)", format, strings.Join(known, ", "))
}
