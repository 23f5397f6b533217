package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Document is the JSON form of `lookout fix --format json`.
type Document struct {
	SchemaVersion int       `json:"schema_version"`
	Tool          Tool      `json:"tool"`
	GeneratedAt   time.Time `json:"generated_at"`
	// Applied is false for a dry run: nothing was changed.
	Applied bool           `json:"applied"`
	Plans   []Plan         `json:"plans"`
	Summary map[string]int `json:"summary"`
}

// Tool names the program that wrote the document.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// NewDocument wraps plans with a summary: the number of plans and actions and, when applied,
// of each outcome.
func NewDocument(plans []Plan, applied bool, tool Tool, now time.Time) Document {
	if plans == nil {
		plans = []Plan{}
	}
	sum := map[string]int{"plans": len(plans), "actions": Count(plans)}
	if applied {
		for _, o := range []Outcome{Done, Exists, Failed, Skipped} {
			sum[string(o)] = 0
		}
		for _, p := range plans {
			for _, a := range p.Actions {
				sum[string(a.Outcome)]++
			}
		}
	}
	return Document{SchemaVersion: SchemaVersion, Tool: tool, GeneratedAt: now.UTC().Truncate(time.Second), Applied: applied, Plans: plans, Summary: sum}
}

// WriteJSON writes the document, indented.
func WriteJSON(w io.Writer, d Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(d)
}

// WriteTable writes one row per action, grouped by plan, then a one-line summary.
func WriteTable(w io.Writer, d Document) error {
	if len(d.Plans) == 0 {
		_, err := fmt.Fprintln(w, "nothing to fix: no failing finding has a remediation to plan")
		return err
	}
	table := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithRowMaxWidth(60),
		tablewriter.WithHeaderAutoFormat(tw.Off),
	)
	header := []any{"#", "CHECK / FINDING", "ACTION", "TARGET", "WHY"}
	if d.Applied {
		header = append(header, "OUTCOME")
	}
	table.Header(header...)
	n := 0
	for _, p := range d.Plans {
		finding := fmt.Sprintf("%s\n%s %s", p.CheckID, p.Account, p.Region)
		if len(p.Actions) == 0 {
			row := []any{"-", finding, "(none)", p.Resource, p.Note}
			if d.Applied {
				row = append(row, "")
			}
			if err := table.Append(row...); err != nil {
				return err
			}
			continue
		}
		for i, a := range p.Actions {
			n++
			first := ""
			if i == 0 {
				first = finding
			}
			why := a.Why
			if i == len(p.Actions)-1 && p.Note != "" {
				why += "\nnote: " + p.Note
			}
			row := []any{fmt.Sprint(n), first, fmt.Sprintf("%s (%s)\n%s\n%s", a.IAMAction(), a.Effect, a.Region, paramSummary(a.Params)), a.Target, why}
			if d.Applied {
				out := string(a.Outcome)
				if a.Detail != "" {
					out += ": " + a.Detail
				}
				row = append(row, out)
			}
			if err := table.Append(row...); err != nil {
				return err
			}
		}
	}
	if err := table.Render(); err != nil {
		return err
	}
	var parts []string
	for _, k := range sortedKeys(d.Summary) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, d.Summary[k]))
	}
	verb := "planned (dry run: nothing changed; rerun with --apply)"
	if d.Applied {
		verb = "applied"
	}
	_, err := fmt.Fprintf(w, "%s: %s\n", verb, strings.Join(parts, " "))
	return err
}

// paramSummary shows the key parameters on one line each, long values shortened (the JSON
// format has them whole).
func paramSummary(p map[string]any) string {
	var lines []string
	for _, k := range sortedKeys(p) {
		b, _ := json.Marshal(p[k])
		v := string(b)
		if s, ok := p[k].(string); ok {
			v = s
		}
		if len(v) > 80 {
			v = v[:77] + "..."
		}
		lines = append(lines, k+"="+v)
	}
	return strings.Join(lines, "\n")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
