// Package waiver reads a waivers file and applies it to findings: a FAIL that a current waiver
// matches becomes WAIVED (still reported, no longer failing the build).
//
// A waiver is an accepted risk with a reason and an end date, never a silent mute: an expired
// waiver stops applying and is reported, and a waiver that matches nothing is reported so the
// file does not rot into a list of stale exceptions. The format is YAML:
//
//	waivers:
//	  - check: cloudtrail-logging            # check id or glob (required)
//	    account: "123456789012"              # account id or glob (default: any)
//	    region: us-east-1                    # region or glob (default: any)
//	    resource: "arn:aws:cloudtrail:*:trail/legacy-*"   # resource id/ARN or glob (default: any)
//	    reason: "legacy trail, retired in SEC-123"        # required
//	    expires: 2027-03-31                  # required; applies through that day (UTC)
//
// In globs '*' matches any run of characters (including '/' and ':') and '?' one character.
package waiver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Waiver is one entry of the file. Empty Account, Region or Resource match anything.
type Waiver struct {
	Check    string
	Account  string
	Region   string
	Resource string
	Reason   string
	// Expires is the last day the waiver applies (UTC), as written (YYYY-MM-DD).
	Expires string
	// Line is the entry's line in the file, for messages.
	Line int

	lastDay time.Time
}

// File is a parsed waivers file.
type File struct {
	Path    string
	Waivers []Waiver
}

// Error is a malformed waivers file: it names the file, the line and the field at fault.
type Error struct {
	Path  string
	Line  int
	Field string // e.g. "waivers[2].expires"; "" for a syntax error
	Msg   string
}

func (e *Error) Error() string {
	where := e.Path
	if e.Line > 0 {
		where += fmt.Sprintf(":%d", e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("waivers file %s: %s: %s", where, e.Field, e.Msg)
	}
	return fmt.Sprintf("waivers file %s: %s", where, e.Msg)
}

// MaxSize bounds the file: a waivers list is written by hand.
const MaxSize = 4 << 20

// Load reads and parses a waivers file.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("waivers file: %w", err)
	}
	defer f.Close()
	// Read through a limit: a path such as /dev/zero or a FIFO never ends.
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("waivers file %s: %w", path, err)
	}
	return Parse(data, path)
}

var (
	accountRe = regexp.MustCompile(`^[0-9]{12}$`)
	dateRe    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	yamlLine  = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)
)

// fields are the keys an entry may have; required ones first.
var fields = []string{"check", "reason", "expires", "account", "region", "resource"}

// Parse parses a waivers document; name is used in errors.
func Parse(data []byte, name string) (*File, error) {
	if len(data) > MaxSize {
		return nil, &Error{Path: name, Msg: fmt.Sprintf("larger than %d MiB: not a waivers file", MaxSize>>20)}
	}
	f := &File{Path: name}
	if len(bytes.TrimSpace(data)) == 0 {
		return f, nil
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return f, nil // comments only
	} else if err != nil {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			var line int
			fmt.Sscan(m[1], &line)
			return nil, &Error{Path: name, Line: line, Msg: "invalid YAML: " + m[2]}
		}
		return nil, &Error{Path: name, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Path: name, Line: extra.Line, Msg: "more than one YAML document; a waivers file holds one"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return f, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Path: name, Line: root.Line, Msg: "the top level must be a mapping with a 'waivers:' list"}
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "waivers" {
			return nil, &Error{Path: name, Line: k.Line, Field: k.Value, Msg: "unknown top-level key (want 'waivers')"}
		}
		if list != nil {
			return nil, &Error{Path: name, Line: k.Line, Field: "waivers", Msg: "appears twice"}
		}
		list = v
	}
	if list == nil {
		return nil, &Error{Path: name, Line: root.Line, Field: "waivers", Msg: "missing"}
	}
	if list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		return f, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, &Error{Path: name, Line: list.Line, Field: "waivers", Msg: "must be a list of entries"}
	}
	for i, n := range list.Content {
		w, err := parseEntry(n, fmt.Sprintf("waivers[%d]", i), name)
		if err != nil {
			return nil, err
		}
		f.Waivers = append(f.Waivers, w)
	}
	return f, nil
}

func parseEntry(n *yaml.Node, field, path string) (Waiver, error) {
	fail := func(line int, f, msg string) (Waiver, error) {
		return Waiver{}, &Error{Path: path, Line: line, Field: f, Msg: msg}
	}
	if n.Kind != yaml.MappingNode {
		return fail(n.Line, field, "must be a mapping with check, reason and expires")
	}
	w := Waiver{Line: n.Line}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := field + "." + k.Value
		known := false
		for _, name := range fields {
			known = known || name == k.Value
		}
		if !known {
			return fail(k.Line, f, "unknown field (want "+strings.Join(fields, ", ")+")")
		}
		if seen[k.Value] != nil {
			return fail(k.Line, f, fmt.Sprintf("appears twice (first on line %d)", seen[k.Value].Line))
		}
		seen[k.Value] = k
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return fail(v.Line, f, "must be a single value")
		}
		val := strings.TrimSpace(v.Value)
		if val == "" {
			return fail(v.Line, f, "is empty")
		}
		switch k.Value {
		case "check":
			w.Check = val
		case "account":
			if !hasGlob(val) && !accountRe.MatchString(val) {
				return fail(v.Line, f, fmt.Sprintf("%q is not a 12-digit account id or a glob", val))
			}
			w.Account = val
		case "region":
			w.Region = val
		case "resource":
			w.Resource = val
		case "reason":
			w.Reason = val
		case "expires":
			d, err := time.Parse("2006-01-02", val)
			if !dateRe.MatchString(val) || err != nil {
				return fail(v.Line, f, fmt.Sprintf("%q is not a date (want YYYY-MM-DD, e.g. 2027-03-31)", val))
			}
			w.Expires, w.lastDay = val, d
		}
	}
	for _, req := range fields[:3] {
		if seen[req] == nil {
			return fail(n.Line, field+"."+req, "missing (every waiver needs check, reason and expires)")
		}
	}
	return w, nil
}

// CheckIDs rejects waivers naming a check id that does not exist (a typo would otherwise only
// surface as "matches nothing"). Globs are not checked.
func (f *File) CheckIDs(known []string) error {
	for i, w := range f.Waivers {
		if hasGlob(w.Check) {
			continue
		}
		ok := false
		for _, id := range known {
			ok = ok || id == w.Check
		}
		if !ok {
			return &Error{Path: f.Path, Line: w.Line, Field: fmt.Sprintf("waivers[%d].check", i),
				Msg: fmt.Sprintf("unknown check id %q (known: %s)", w.Check, strings.Join(known, ", "))}
		}
	}
	return nil
}

// Expired reports whether the waiver no longer applies at now: it applies through its
// expires day, UTC.
func (w *Waiver) Expired(now time.Time) bool {
	return !now.UTC().Before(w.lastDay.AddDate(0, 0, 1))
}

// describe names the waiver for messages: "waivers.yml:12 (cloudtrail-logging, account ...)".
func (w *Waiver) describe(path string) string {
	parts := []string{w.Check}
	if w.Account != "" {
		parts = append(parts, "account "+w.Account)
	}
	if w.Region != "" {
		parts = append(parts, "region "+w.Region)
	}
	if w.Resource != "" {
		parts = append(parts, "resource "+w.Resource)
	}
	return fmt.Sprintf("%s:%d (%s)", path, w.Line, strings.Join(parts, ", "))
}

func hasGlob(s string) bool { return strings.ContainsAny(s, "*?") }

// Glob reports whether s matches pattern, where '*' matches any run of characters (including
// none, '/' and ':') and '?' exactly one. Matching is case-sensitive, as AWS ids are.
func Glob(pattern, s string) bool {
	// Iterative matcher with backtracking to the last '*': linear in practice, no recursion.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchOptional matches an optional field: empty pattern matches anything.
func matchOptional(pattern, s string) bool { return pattern == "" || Glob(pattern, s) }
