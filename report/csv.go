package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/lookout-audit/lookout/checks"
)

// CSVColumns are the columns of --format csv, in order. They are part of the output's
// contract: new columns are only ever appended. Each framework of checks.FrameworkIDs has a
// column holding the finding's control id in it (empty when the check maps to none).
var CSVColumns = append([]string{
	"check_id", "title", "severity", "status", "account", "region", "resource", "message",
	"fix_available", "fix_summary", "waiver_reason", "waiver_expires",
}, checks.FrameworkIDs()...)

// WriteCSV writes one row per finding under a header row, as RFC 4180 CSV (comma-separated,
// CRLF line ends, fields quoted where needed), in report order.
//
// A field that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a
// carriage return) is prefixed with a single quote, as OWASP's CSV injection guidance says:
// resource names and messages come from the scanned accounts and cannot be trusted.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	for _, f := range r.Findings {
		fixAvailable, fixSummary := "", ""
		if f.Fix != nil {
			fixAvailable, fixSummary = strconv.FormatBool(f.Fix.Available), f.Fix.Summary
		}
		reason, expires := "", ""
		if f.Waiver != nil {
			reason, expires = f.Waiver.Reason, f.Waiver.Expires
		}
		row := []string{f.CheckID, f.Title, string(f.Severity), string(f.Status), f.Account, f.Region, f.Resource, f.Message,
			fixAvailable, fixSummary, reason, expires}
		for _, fw := range checks.FrameworkIDs() {
			row = append(row, f.Frameworks[fw])
		}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses a cell a spreadsheet would evaluate.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
