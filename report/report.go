// Package report turns findings into the documents people and machines read: the JSON report
// of the contract (schema_version 1), a table for a terminal, and (in sibling files) SARIF and
// markdown. It also decides the exit code a set of findings asks for.
package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/version"
)

// SchemaVersion of the JSON report.
const SchemaVersion = 1

// Report is the JSON report of the report contract (README: Output formats, json).
type Report struct {
	SchemaVersion int              `json:"schema_version"`
	Tool          Tool             `json:"tool"`
	GeneratedAt   time.Time        `json:"generated_at"`
	Scope         Scope            `json:"scope"`
	Findings      []checks.Finding `json:"findings"`
	Summary       Summary          `json:"summary"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Scope is what was scanned. Shard is set ("K/N") for one shard of a sharded scan.
type Scope struct {
	Accounts []string `json:"accounts"`
	Regions  []string `json:"regions"`
	Shard    string   `json:"shard,omitempty"`
}

// Summary counts findings by status.
type Summary struct {
	Pass   int `json:"PASS"`
	Fail   int `json:"FAIL"`
	Error  int `json:"ERROR"`
	Waived int `json:"WAIVED"`
}

// New builds a report; findings are sorted in contract order.
func New(findings []checks.Finding, scope Scope, generatedAt time.Time) *Report {
	fs := append([]checks.Finding(nil), findings...)
	checks.SortFindings(fs)
	if fs == nil {
		fs = []checks.Finding{}
	}
	sort.Strings(scope.Accounts)
	sort.Strings(scope.Regions)
	if scope.Accounts == nil {
		scope.Accounts = []string{}
	}
	if scope.Regions == nil {
		scope.Regions = []string{}
	}
	return &Report{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: version.Name, Version: version.Version},
		GeneratedAt:   generatedAt.UTC().Truncate(time.Second),
		Scope:         scope,
		Findings:      fs,
		Summary:       Summarize(fs),
	}
}

// Summarize counts findings by status.
func Summarize(fs []checks.Finding) Summary {
	var s Summary
	for _, f := range fs {
		switch f.Status {
		case checks.Pass:
			s.Pass++
		case checks.Fail:
			s.Fail++
		case checks.Error:
			s.Error++
		case checks.Waived:
			s.Waived++
		}
	}
	return s
}

// WriteJSON writes the report as indented JSON.
//
// It writes exactly what a json.Encoder (indent "  ", no HTML escaping) writes for r, but one
// finding at a time, so that the text of a large report (120 MB for a thousand accounts) is
// never all in memory at once: only the findings are.
func WriteJSON(w io.Writer, r *Report) error {
	head := *r
	if r.Findings != nil {
		head.Findings = []checks.Finding{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&head); err != nil {
		return err
	}
	text := buf.Bytes()
	// The empty list, at the top level (no newline occurs inside a JSON string).
	marker := []byte("\n  \"findings\": [],\n")
	at := bytes.Index(text, marker)
	if len(r.Findings) == 0 || at < 0 {
		_, err := w.Write(text)
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(text[:at])
	bw.WriteString("\n  \"findings\": [")
	var one, indented bytes.Buffer
	fenc := json.NewEncoder(&one)
	fenc.SetEscapeHTML(false)
	for i := range r.Findings {
		one.Reset()
		indented.Reset()
		if err := fenc.Encode(&r.Findings[i]); err != nil {
			return err
		}
		if err := json.Indent(&indented, bytes.TrimSuffix(one.Bytes(), []byte("\n")), "    ", "  "); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(indented.Bytes())
	}
	bw.WriteString("\n  ],\n")
	bw.Write(text[at+len(marker):])
	return bw.Flush()
}

// ReadJSON reads a JSON report written by WriteJSON, refusing other schema versions.
func ReadJSON(rd io.Reader) (*Report, error) {
	var r Report
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("not a lookout JSON report: %w", err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("report schema_version %d is not supported (want %d)", r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}

// FailOnNone disables exit code 1 (--fail-on none).
const FailOnNone = checks.Severity("none")

// ParseFailOn parses a --fail-on value: a severity, or "none".
func ParseFailOn(s string) (checks.Severity, error) {
	if s == string(FailOnNone) {
		return FailOnNone, nil
	}
	return checks.ParseSeverity(s)
}

// ExitCode is the exit code the findings ask for: 2 if any is ERROR (the picture is
// incomplete, whatever else failed), 1 if an unwaived FAIL is at or above failOn, else 0.
func ExitCode(fs []checks.Finding, failOn checks.Severity) int {
	code := exitcode.OK
	for _, f := range fs {
		switch {
		case f.Status == checks.Error:
			return exitcode.Incomplete
		case f.Status == checks.Fail && failOn != FailOnNone && f.Severity.Rank() >= failOn.Rank():
			code = exitcode.Findings
		}
	}
	return code
}

// evidenceText is the finding's evidence as indented JSON, or "" when it has none.
func evidenceText(f checks.Finding) string {
	if f.Evidence == nil {
		return ""
	}
	ev, err := json.MarshalIndent(f.Evidence, "", "  ")
	if err != nil {
		return ""
	}
	return string(ev)
}

// waiverNote says until when and why a WAIVED finding was waived.
func waiverNote(f checks.Finding) string {
	if f.Waiver == nil {
		return "waived"
	}
	return fmt.Sprintf("waived until %s: %s", f.Waiver.Expires, f.Waiver.Reason)
}

// titleOf is the finding's title, or its check id when it has none.
func titleOf(f checks.Finding) string {
	if f.Title == "" {
		return f.CheckID
	}
	return f.Title
}

// fixText says how to fix the finding: the fix's summary, with the command that applies it
// when lookout can; "" when the finding carries no fix.
func fixText(f checks.Finding) string {
	switch {
	case f.Fix == nil || f.Fix.Summary == "":
		return ""
	case f.Fix.Available:
		return f.Fix.Summary + " (" + FixCommand(f.CheckID) + ")"
	}
	return f.Fix.Summary
}
