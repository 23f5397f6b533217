// Package agentconfig reads the CloudWatch Agent's JSON configuration — the value of the
// AmazonCloudWatch-* Parameter Store parameter that AmazonCloudWatch-ManageAgent installs — as
// far as lookout needs it: which files and which parts of the systemd journal the agent ships,
// to which log group and stream.
//
// It also knows the rest of the agent's semantics the SSH-log check depends on: glob file
// paths (path_glob.go), the {instance_id}/{hostname}/{ip_address} placeholders and their
// defaults (placeholder.go), where each Linux family writes SSH logins (platform.go), and which
// ManageAgent association or command configures an instance (applies.go).
//
// Parse keeps only the collect lists. The raw parameter value never leaves this package, so a
// snapshot holds no agent configuration text (which may embed credentials for proxies or
// custom endpoints).
package agentconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// MaxConfigBytes bounds what Parse reads. An advanced Parameter Store parameter holds at most
// 8 KB and the agent's own file is rarely larger than a few; anything beyond 1 MiB is not an
// agent configuration.
const MaxConfigBytes = 1 << 20

// DefaultStreamName is the stream the agent writes to when neither the collect_list entry nor
// the logs section names one.
const DefaultStreamName = "{instance_id}"

// SyntaxError reports a configuration that is not what the agent accepts, with where: a line
// and column for malformed JSON, a JSON path for a field of the wrong shape.
type SyntaxError struct {
	Line, Column int    // 1-based; 0 when the error is located by Path
	Path         string // e.g. logs.logs_collected.files.collect_list[2].file_path
	Msg          string
}

func (e *SyntaxError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("agent configuration: %s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("agent configuration: line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Collected is what a configuration's logs section collects: files and journal entries.
type Collected struct {
	Files   []snapshot.AgentLogFile
	Journal []snapshot.AgentJournalEntry
}

// Parse returns what a configuration collects, one entry per collect_list entry, in order.
//
// Files get the agent's defaults: the stream name falls back to logs.log_stream_name and then
// to {instance_id}; an omitted log group name is the file path up to its last dot. Journal
// entries are kept as written except the stream name, which falls back to {instance_id} (the
// agent's journald pipeline does not read logs.log_stream_name); log_group_name is required,
// units must be unique names, priority one of the journal's levels, as the agent's published
// schema says. Placeholders are kept as written; Expand resolves them per instance.
//
// A configuration without a logs section collects nothing and is not an error.
func Parse(data []byte) (Collected, error) {
	var out Collected
	if len(data) > MaxConfigBytes {
		return out, &SyntaxError{Line: 1, Column: 1, Msg: fmt.Sprintf("larger than %d bytes: not an agent configuration", MaxConfigBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return out, jsonError(data, err)
	}
	if _, err := dec.Token(); err == nil {
		line, col := position(data, dec.InputOffset())
		return out, &SyntaxError{Line: line, Column: col, Msg: "trailing data after the JSON document"}
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return out, &SyntaxError{Path: "$", Msg: "must be a JSON object, found " + kind(doc)}
	}
	logs, err := object(root, "logs", "logs")
	if err != nil || logs == nil {
		return out, err
	}
	defaultStream, err := str(logs, "log_stream_name", "logs.log_stream_name")
	if err != nil {
		return out, err
	}
	if defaultStream == "" {
		defaultStream = DefaultStreamName
	}
	collected, err := object(logs, "logs_collected", "logs.logs_collected")
	if err != nil || collected == nil {
		return out, err
	}
	if out.Files, err = parseFiles(collected, defaultStream); err != nil {
		return Collected{}, err
	}
	if out.Journal, err = parseJournal(collected); err != nil {
		return Collected{}, err
	}
	return out, nil
}

// collectList returns section.collect_list's entries, each an object; nil when the section
// or the list is absent.
func collectList(collected map[string]any, section string) ([]map[string]any, string, error) {
	sec, err := object(collected, section, "logs.logs_collected."+section)
	if err != nil || sec == nil {
		return nil, "", err
	}
	listPath := "logs.logs_collected." + section + ".collect_list"
	raw, present := sec["collect_list"]
	if !present {
		return nil, listPath, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, "", &SyntaxError{Path: listPath, Msg: "must be an array, found " + kind(raw)}
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		entry, ok := e.(map[string]any)
		if !ok {
			return nil, "", &SyntaxError{Path: listPath + "[" + strconv.Itoa(i) + "]", Msg: "must be an object, found " + kind(e)}
		}
		out[i] = entry
	}
	return out, listPath, nil
}

func parseFiles(collected map[string]any, defaultStream string) ([]snapshot.AgentLogFile, error) {
	list, listPath, err := collectList(collected, "files")
	if err != nil || list == nil {
		return nil, err
	}
	out := make([]snapshot.AgentLogFile, 0, len(list))
	for i, entry := range list {
		p := listPath + "[" + strconv.Itoa(i) + "]"
		f := snapshot.AgentLogFile{}
		if f.FilePath, err = str(entry, "file_path", p+".file_path"); err != nil {
			return nil, err
		}
		if f.FilePath == "" {
			return nil, &SyntaxError{Path: p + ".file_path", Msg: "is required"}
		}
		if f.LogGroupName, err = str(entry, "log_group_name", p+".log_group_name"); err != nil {
			return nil, err
		}
		if f.LogGroupName == "" {
			f.LogGroupName = defaultGroupName(f.FilePath)
		}
		if f.LogStreamName, err = str(entry, "log_stream_name", p+".log_stream_name"); err != nil {
			return nil, err
		}
		if f.LogStreamName == "" {
			f.LogStreamName = defaultStream
		}
		if f.Filters, err = filters(entry, p+".filters"); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func parseJournal(collected map[string]any) ([]snapshot.AgentJournalEntry, error) {
	list, listPath, err := collectList(collected, "journald")
	if err != nil || list == nil {
		return nil, err
	}
	out := make([]snapshot.AgentJournalEntry, 0, len(list))
	for i, entry := range list {
		p := listPath + "[" + strconv.Itoa(i) + "]"
		var e snapshot.AgentJournalEntry
		if e.LogGroupName, err = str(entry, "log_group_name", p+".log_group_name"); err != nil {
			return nil, err
		}
		if e.LogGroupName == "" {
			return nil, &SyntaxError{Path: p + ".log_group_name", Msg: "is required"}
		}
		if e.LogStreamName, err = str(entry, "log_stream_name", p+".log_stream_name"); err != nil {
			return nil, err
		}
		if e.LogStreamName == "" {
			e.LogStreamName = DefaultStreamName
		}
		if e.Units, err = units(entry, p+".units"); err != nil {
			return nil, err
		}
		if e.Priority, err = str(entry, "priority", p+".priority"); err != nil {
			return nil, err
		}
		if _, ok := PriorityLevel(e.Priority); !ok {
			return nil, &SyntaxError{Path: p + ".priority", Msg: fmt.Sprintf("%q is not a journal priority (emerg, alert, crit, err, warning, notice, info, debug or 0-7)", e.Priority)}
		}
		if e.Matches, err = matches(entry, p+".matches"); err != nil {
			return nil, err
		}
		if e.Filters, err = filters(entry, p+".filters"); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func array(m map[string]any, key, path string) ([]any, bool, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, false, nil
	}
	a, ok := v.([]any)
	if !ok {
		return nil, false, &SyntaxError{Path: path, Msg: "must be an array, found " + kind(v)}
	}
	return a, true, nil
}

// units reads journald units: strings, at least one, none repeated (the agent's schema).
func units(entry map[string]any, path string) ([]string, error) {
	list, present, err := array(entry, "units", path)
	if err != nil || !present {
		return nil, err
	}
	if len(list) == 0 {
		return nil, &SyntaxError{Path: path, Msg: "must name at least one unit (omit it to read every unit)"}
	}
	out := make([]string, 0, len(list))
	for i, u := range list {
		s, ok := u.(string)
		if !ok || s == "" {
			return nil, &SyntaxError{Path: path + "[" + strconv.Itoa(i) + "]", Msg: "must be a unit name, found " + kind(u)}
		}
		if slices.Contains(out, s) {
			return nil, &SyntaxError{Path: path + "[" + strconv.Itoa(i) + "]", Msg: fmt.Sprintf("%q is listed twice", s)}
		}
		out = append(out, s)
	}
	return out, nil
}

// matches reads journald field matches: objects of FIELD: "value".
func matches(entry map[string]any, path string) ([]map[string]string, error) {
	list, present, err := array(entry, "matches", path)
	if err != nil || !present {
		return nil, err
	}
	if len(list) == 0 {
		return nil, &SyntaxError{Path: path, Msg: "must hold at least one match (omit it to match every entry)"}
	}
	out := make([]map[string]string, 0, len(list))
	for i, m := range list {
		p := path + "[" + strconv.Itoa(i) + "]"
		obj, ok := m.(map[string]any)
		if !ok {
			return nil, &SyntaxError{Path: p, Msg: `must be an object of journal fields ({"_SYSTEMD_UNIT": "sshd.service"}), found ` + kind(m)}
		}
		fields := make(map[string]string, len(obj))
		for k, v := range obj {
			s, ok := v.(string)
			if !ok {
				return nil, &SyntaxError{Path: p + "." + k, Msg: "must be a string, found " + kind(v)}
			}
			fields[k] = s
		}
		out = append(out, fields)
	}
	return out, nil
}

// filters reads an entry's filters: type include or exclude, and a regular expression the
// agent compiles with Go's regexp (an expression that does not compile stops the agent).
func filters(entry map[string]any, path string) ([]snapshot.AgentLogFilter, error) {
	list, present, err := array(entry, "filters", path)
	if err != nil || !present {
		return nil, err
	}
	out := make([]snapshot.AgentLogFilter, 0, len(list))
	for i, f := range list {
		p := path + "[" + strconv.Itoa(i) + "]"
		obj, ok := f.(map[string]any)
		if !ok {
			return nil, &SyntaxError{Path: p, Msg: "must be an object, found " + kind(f)}
		}
		var lf snapshot.AgentLogFilter
		if lf.Type, err = str(obj, "type", p+".type"); err != nil {
			return nil, err
		}
		if lf.Type != "include" && lf.Type != "exclude" {
			return nil, &SyntaxError{Path: p + ".type", Msg: fmt.Sprintf("must be include or exclude, found %q", lf.Type)}
		}
		if lf.Expression, err = str(obj, "expression", p+".expression"); err != nil {
			return nil, err
		}
		if _, err := regexp.Compile(lf.Expression); err != nil {
			return nil, &SyntaxError{Path: p + ".expression", Msg: "not a regular expression the agent accepts: " + err.Error()}
		}
		out = append(out, lf)
	}
	return out, nil
}

// defaultGroupName is the agent's log group for an entry without log_group_name: the file
// path up to the final period ("/var/log/auth.log" -> "/var/log/auth").
func defaultGroupName(filePath string) string {
	base := filePath[strings.LastIndexByte(filePath, '/')+1:]
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		return filePath[:len(filePath)-len(base)+i]
	}
	return filePath
}

func object(m map[string]any, key, path string) (map[string]any, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, &SyntaxError{Path: path, Msg: "must be an object, found " + kind(v)}
	}
	return o, nil
}

func str(m map[string]any, key, path string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", &SyntaxError{Path: path, Msg: "must be a string, found " + kind(v)}
	}
	return s, nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, including the offending one.
		line, col := position(data, syn.Offset-1)
		return &SyntaxError{Line: line, Column: col, Msg: "invalid JSON: " + syn.Error()}
	case errors.Is(err, io.EOF):
		return &SyntaxError{Line: 1, Column: 1, Msg: "empty: no JSON document"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := position(data, int64(len(data)))
		return &SyntaxError{Line: line, Column: col, Msg: "truncated: the JSON document ends early"}
	}
	return &SyntaxError{Line: 1, Column: 1, Msg: err.Error()}
}

func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	line = 1 + bytes.Count(data[:offset], []byte("\n"))
	col = int(offset) - bytes.LastIndexByte(data[:offset], '\n')
	return line, col
}
