// Package agentconfig reads the CloudWatch Agent's JSON configuration — the value of the
// AmazonCloudWatch-* Parameter Store parameter that AmazonCloudWatch-ManageAgent installs — as
// far as lookout needs it: which files the agent ships, to which log group and stream.
//
// It also knows the rest of the agent's semantics the SSH-log check depends on: glob file
// paths (path_glob.go), the {instance_id}/{hostname}/{ip_address} placeholders and their
// defaults (placeholder.go), where each Linux family writes SSH logins (platform.go), and which
// ManageAgent association or command configures an instance (applies.go).
//
// Parse keeps only the collect list. The raw parameter value never leaves this package, so a
// snapshot holds no agent configuration text (which may embed credentials for proxies or
// custom endpoints).
package agentconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// Parse returns the files a configuration collects, one per collect_list entry, in order, with
// the agent's defaults applied: the stream name falls back to logs.log_stream_name and then to
// {instance_id}; an omitted log group name is the file path up to its last dot, as the agent
// does. Placeholders are kept as written; Expand resolves them per instance.
//
// A configuration without a logs section collects no files and is not an error.
func Parse(data []byte) ([]snapshot.AgentLogFile, error) {
	if len(data) > MaxConfigBytes {
		return nil, &SyntaxError{Line: 1, Column: 1, Msg: fmt.Sprintf("larger than %d bytes: not an agent configuration", MaxConfigBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, jsonError(data, err)
	}
	if _, err := dec.Token(); err == nil {
		line, col := position(data, dec.InputOffset())
		return nil, &SyntaxError{Line: line, Column: col, Msg: "trailing data after the JSON document"}
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, &SyntaxError{Path: "$", Msg: "must be a JSON object, found " + kind(doc)}
	}
	logs, err := object(root, "logs", "logs")
	if err != nil || logs == nil {
		return nil, err
	}
	defaultStream, err := str(logs, "log_stream_name", "logs.log_stream_name")
	if err != nil {
		return nil, err
	}
	if defaultStream == "" {
		defaultStream = DefaultStreamName
	}
	collected, err := object(logs, "logs_collected", "logs.logs_collected")
	if err != nil || collected == nil {
		return nil, err
	}
	files, err := object(collected, "files", "logs.logs_collected.files")
	if err != nil || files == nil {
		return nil, err
	}
	const listPath = "logs.logs_collected.files.collect_list"
	raw, present := files["collect_list"]
	if !present {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, &SyntaxError{Path: listPath, Msg: "must be an array, found " + kind(raw)}
	}
	out := make([]snapshot.AgentLogFile, 0, len(list))
	for i, e := range list {
		p := listPath + "[" + strconv.Itoa(i) + "]"
		entry, ok := e.(map[string]any)
		if !ok {
			return nil, &SyntaxError{Path: p, Msg: "must be an object, found " + kind(e)}
		}
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
		out = append(out, f)
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
