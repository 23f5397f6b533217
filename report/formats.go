package report

import (
	"fmt"
	"io"
)

// WriteOptions are what the writers of the formats need besides the report; each format
// reads only its own.
type WriteOptions struct {
	Format    string    // one of Formats
	Warnings  io.Writer // sarif: soft-limit warnings
	Notes     []string  // markdown: notes such as waiver warnings
	Color     bool      // table: colour
	ShowPass  bool      // table: list PASS findings too
	Wide      bool      // table: each finding's resource and fix under its sentence
	Framework string    // table: show each finding's control id in this framework
}

// formats are the writers, one per format, in the order the commands' help lists them.
var formats = []struct {
	name  string
	write func(io.Writer, *Report, WriteOptions) error
}{
	{"table", func(w io.Writer, r *Report, o WriteOptions) error {
		return WriteTable(w, r, TableOptions{Color: o.Color, ShowPass: o.ShowPass, Framework: o.Framework, Wide: o.Wide})
	}},
	{"json", func(w io.Writer, r *Report, _ WriteOptions) error { return WriteJSON(w, r) }},
	{"sarif", func(w io.Writer, r *Report, o WriteOptions) error {
		return WriteSARIF(w, r, SARIFOptions{Warnings: o.Warnings})
	}},
	{"markdown", func(w io.Writer, r *Report, o WriteOptions) error {
		return WriteMarkdown(w, r, MarkdownOptions{Notes: o.Notes})
	}},
	{"html", func(w io.Writer, r *Report, _ WriteOptions) error { return WriteHTML(w, r) }},
	{"csv", func(w io.Writer, r *Report, _ WriteOptions) error { return WriteCSV(w, r) }},
	{"junit", func(w io.Writer, r *Report, _ WriteOptions) error { return WriteJUnit(w, r) }},
	{"asff", func(w io.Writer, r *Report, _ WriteOptions) error { return WriteASFF(w, r, ASFFOptions{}) }},
	{"ocsf", func(w io.Writer, r *Report, _ WriteOptions) error { return WriteOCSF(w, r) }},
}

// Formats are the formats a report can be written in (the --format of scan and merge).
var Formats = func() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}()

// Write writes r in o.Format: the one place where a format's name picks its writer, so that
// every command writes every format the same way.
func Write(w io.Writer, r *Report, o WriteOptions) error {
	for _, f := range formats {
		if f.name == o.Format {
			return f.write(w, r, o)
		}
	}
	return fmt.Errorf("unknown report format %q", o.Format)
}
