package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/lookout-audit/lookout/internal/terminal"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
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

// DefaultWidth is the width the plan is fitted to when the output is not a terminal (a pipe,
// a file, CI logs), so that piped output does not depend on who ran the command.
const DefaultWidth = 120

// minWidth is the narrowest layout attempted.
const minWidth = 60

// WriteTable writes the plan fitted to w's terminal (DefaultWidth when w is not one).
func WriteTable(w io.Writer, d Document) error {
	return WriteTableWidth(w, d, terminal.Width(w))
}

// WriteTableWidth writes the plan for a reviewer in at most width columns (0: DefaultWidth):
// per plan, a heading line (check, account, region, resource) and the finding it repairs,
// then one line per action — number, IAM action, effect, region, target and the key
// parameters, abbreviated; with --apply, the outcome — then its note, then a one-line
// summary. Long values are cut with "…": `lookout fix --format json` has every parameter
// whole, and is what a change review should keep.
func WriteTableWidth(w io.Writer, d Document, width int) error {
	if width <= 0 {
		width = DefaultWidth
	}
	width = max(width, minWidth)
	if len(d.Plans) == 0 {
		_, err := fmt.Fprintln(w, "nothing to fix: no failing finding has a remediation to plan")
		return err
	}
	var b strings.Builder
	line := func(s string) { b.WriteString(strings.TrimRight(s, " ") + "\n") }
	n := 0
	// Column widths are shared by all plans so that the actions line up.
	numW, actionW, effectW, regionW := 1, len("ACTION"), len("EFFECT"), len("REGION")
	total := Count(d.Plans)
	numW = max(numW, len(fmt.Sprint(total)))
	for _, p := range d.Plans {
		for _, a := range p.Actions {
			actionW = max(actionW, displayWidth(a.IAMAction()))
			effectW = max(effectW, displayWidth(string(a.Effect)))
			regionW = max(regionW, displayWidth(a.Region))
		}
	}
	actionW = min(actionW, max(width/3, 30))
	effectW = min(effectW, 9)
	regionW = min(regionW, 14)
	outcomeW := 0
	if d.Applied {
		outcomeW = len("skipped")
	}
	// What is left goes to the target and the parameters, the target first.
	rest := width - numW - actionW - effectW - regionW - 2*4
	if outcomeW > 0 {
		rest -= outcomeW + 2
	}
	if rest < 16 { // very narrow: the action column gives way too (its labels are cut with "…")
		shrink := max(0, min(16-rest, actionW-12))
		actionW -= shrink
		rest += shrink
	}
	targetW := max(8, rest*2/5)
	paramsW := max(6, rest-targetW-2)
	cols := func(num, action, effect, region, target, params, outcome string) string {
		s := pad(num, numW, true) + "  " + pad(action, actionW, false) + "  " + pad(effect, effectW, false) + "  " + pad(region, regionW, false) + "  " +
			pad(target, targetW, false) + "  " + pad(params, paramsW, false)
		if d.Applied {
			s += "  " + pad(outcome, outcomeW, false)
		}
		return s
	}
	line(cols("#", "ACTION", "EFFECT", "REGION", "TARGET", "KEY PARAMETERS", "RESULT"))
	for _, p := range d.Plans {
		head := fmt.Sprintf("%s · %s · %s", p.CheckID, p.Account, p.Region)
		if p.Resource != "" {
			head += " · " + shortARN(p.Resource)
		}
		line("")
		line(cut(head, width))
		if p.Finding != "" {
			line(cut("  finding: "+p.Finding, width))
		}
		if len(p.Actions) == 0 {
			line(cut("  (no action)", width))
		}
		for _, a := range p.Actions {
			n++
			line(cols(fmt.Sprint(n), a.IAMAction(), string(a.Effect), a.Region, shortARN(a.Target), paramSummary(a), string(a.Outcome)))
			if d.Applied && a.Detail != "" {
				line(cut("  "+strings.Repeat(" ", numW)+"└ "+a.Detail, width))
			}
		}
		if p.Note != "" {
			line(cut("  note: "+p.Note, width))
		}
	}
	line("")
	var parts []string
	for _, k := range sortedKeys(d.Summary) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, d.Summary[k]))
	}
	verb := "planned (dry run: nothing changed; rerun with --apply)"
	if d.Applied {
		verb = "applied"
	}
	summary := fmt.Sprintf("%s: %s", verb, strings.Join(parts, " "))
	if displayWidth(summary) > width {
		line(cut(verb+":", width))
		line(cut("  "+strings.Join(parts, " "), width))
	} else {
		line(summary)
	}
	if !d.Applied {
		line(cut("full parameters: lookout fix --format json", width))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// shortARN keeps an ARN's resource part: the account and region are on the plan's heading and
// in the REGION column.
func shortARN(s string) string {
	if parts := strings.SplitN(s, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		return parts[5]
	}
	return s
}

// paramSummary shows the parameters on one line as key=value, names first (the parameters
// whose key ends in "Name"), then other scalars, then lists and objects by size; a string is
// cut to 24 columns, and a parameter that only repeats the target or is not set (an empty
// string, list or object, or null) is left out. The JSON format has them whole; the summary
// reads the params in that form, by their SDK names.
func paramSummary(a Action) string {
	p, target := a.paramsObject(), a.Target
	type kv struct {
		rank int
		text string
	}
	var parts []kv
	for _, k := range sortedKeys(p) {
		rank := 1
		if strings.HasSuffix(strings.ToLower(k), "name") {
			rank = 0
		}
		var v string
		switch x := p[k].(type) {
		case string:
			if x == "" || x == target || shortARN(x) == shortARN(target) {
				continue
			}
			v = cut(shortARN(x), 24)
		case []any:
			if len(x) == 0 {
				continue
			}
			v, rank = fmt.Sprintf("[%d]", len(x)), 2
		case map[string]any:
			if len(x) == 0 {
				continue
			}
			v, rank = fmt.Sprintf("{%d}", len(x)), 2
		case nil:
			continue
		default:
			b, _ := json.Marshal(x)
			v = cut(string(b), 24)
		}
		parts = append(parts, kv{rank, k + "=" + v})
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].rank < parts[j].rank })
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.text
	}
	return strings.Join(out, " ")
}

// displayWidth is the number of terminal columns s takes.
func displayWidth(s string) int { return twwidth.Width(s) }

// cut shortens s to at most width columns, ending it with "…" when cut; control characters
// become spaces, so nothing from a resource name reaches the terminal as a command.
func cut(s string, width int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	if displayWidth(s) <= width {
		return s
	}
	var b strings.Builder
	cols := 0
	for _, r := range s {
		rw := displayWidth(string(r))
		if cols+rw > width-1 {
			break
		}
		b.WriteRune(r)
		cols += rw
	}
	return b.String() + "…"
}

// pad cuts s to width columns and pads it with spaces, on the left when right is set.
func pad(s string, width int, right bool) string {
	s = cut(s, width)
	fill := strings.Repeat(" ", max(0, width-displayWidth(s)))
	if right {
		return fill + s
	}
	return s + fill
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
