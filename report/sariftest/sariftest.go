// Package sariftest checks SARIF documents in tests: against the OASIS SARIF 2.1.0 schema
// (a copy lives in report/testdata, so tests never depend on anything outside the repo) and
// against the rules GitHub code scanning applies on upload (GitHub Docs, "SARIF support for
// code scanning"), which the schema alone does not catch: a location URI with a scheme, a
// result without a location or fingerprint, a security-severity that is not a string, and so
// on.
//
// It is imported by tests only.
package sariftest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Log is the part of a SARIF document the GitHub rules look at.
type Log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []Run  `json:"runs"`
}

// Run is one SARIF run.
type Run struct {
	Tool struct {
		Driver struct {
			Name  string `json:"name"`
			Rules []Rule `json:"rules"`
		} `json:"driver"`
	} `json:"tool"`
	AutomationDetails *struct {
		ID string `json:"id"`
	} `json:"automationDetails"`
	Invocations []struct {
		ExecutionSuccessful bool `json:"executionSuccessful"`
		Notifications       []struct {
			Level   string `json:"level"`
			Message struct {
				Text string `json:"text"`
			} `json:"message"`
		} `json:"toolExecutionNotifications"`
	} `json:"invocations"`
	Results []Result `json:"results"`
}

// Rule is one reportingDescriptor.
type Rule struct {
	ID               string  `json:"id"`
	ShortDescription Message `json:"shortDescription"`
	FullDescription  Message `json:"fullDescription"`
	Help             Message `json:"help"`
	HelpURI          string  `json:"helpUri"`
	Properties       struct {
		SecuritySeverity any      `json:"security-severity"`
		Tags             []string `json:"tags"`
	} `json:"properties"`
}

// Message is a (multiformat) message.
type Message struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

// Result is one SARIF result.
type Result struct {
	RuleID    string  `json:"ruleId"`
	RuleIndex *int    `json:"ruleIndex"`
	Level     string  `json:"level"`
	Message   Message `json:"message"`
	Locations []struct {
		PhysicalLocation *struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region *struct {
				StartLine int `json:"startLine"`
			} `json:"region"`
		} `json:"physicalLocation"`
		LogicalLocations []struct {
			Name               string `json:"name"`
			FullyQualifiedName string `json:"fullyQualifiedName"`
		} `json:"logicalLocations"`
	} `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Fixes               []struct {
		ArtifactChanges []any `json:"artifactChanges"`
	} `json:"fixes"`
}

// GitHub's upload limits.
const (
	maxRuns       = 20
	maxResults    = 25000
	maxLocations  = 1000
	maxGzipedSize = 10 << 20
)

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// SchemaPath is the repository's copy of the OASIS SARIF 2.1.0 schema.
func SchemaPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "sarif-schema-2.1.0.json")
}

func compiled() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		f, err := os.Open(SchemaPath())
		if err != nil {
			schemaErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			schemaErr = fmt.Errorf("%s: %w", SchemaPath(), err)
			return
		}
		c := jsonschema.NewCompiler()
		const loc = "file:///sarif-schema-2.1.0.json"
		if err := c.AddResource(loc, doc); err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = c.Compile(loc)
	})
	return schema, schemaErr
}

// ValidateSchema returns the schema violations of data, or nil.
func ValidateSchema(data []byte) error {
	sch, err := compiled()
	if err != nil {
		return fmt.Errorf("loading the SARIF schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return sch.Validate(inst)
}

// GitHubProblems lists every way data breaks GitHub code scanning's rules for an uploaded
// SARIF file (empty when it complies).
func GitHubProblems(data []byte) []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	var log Log
	if err := json.Unmarshal(data, &log); err != nil {
		return []string{"not a SARIF log: " + err.Error()}
	}
	if n := gzipLen(data); n > maxGzipedSize {
		add("gzipped size %d exceeds %d bytes", n, maxGzipedSize)
	}
	if log.Schema == "" {
		add("$schema is missing")
	}
	if log.Version != "2.1.0" {
		add("version is %q, want 2.1.0", log.Version)
	}
	if len(log.Runs) == 0 || len(log.Runs) > maxRuns {
		add("%d runs; GitHub takes 1 to %d", len(log.Runs), maxRuns)
	}
	categories := map[string]bool{}
	for ri, run := range log.Runs {
		at := fmt.Sprintf("runs[%d]", ri)
		if run.Tool.Driver.Name == "" {
			add("%s.tool.driver.name is empty", at)
		}
		if run.AutomationDetails == nil || run.AutomationDetails.ID == "" {
			add("%s.automationDetails.id is missing (separate scans would close each other's alerts)", at)
		} else {
			id := run.AutomationDetails.ID
			if !strings.HasSuffix(id, "/") || strings.Count(id, "/") < 2 {
				add("%s.automationDetails.id %q is not a category of the form tool/scope/", at, id)
			}
			if categories[id] {
				add("%s.automationDetails.id %q repeats another run's category", at, id)
			}
			categories[id] = true
		}
		rules := map[string]int{}
		for i, r := range run.Tool.Driver.Rules {
			rat := fmt.Sprintf("%s.rules[%d] (%s)", at, i, r.ID)
			if r.ID == "" {
				add("%s: id is empty", rat)
			}
			if _, dup := rules[r.ID]; dup {
				add("%s: id repeats", rat)
			}
			rules[r.ID] = i
			for name, v := range map[string]string{
				"shortDescription.text": r.ShortDescription.Text, "fullDescription.text": r.FullDescription.Text,
				"help.text": r.Help.Text, "help.markdown": r.Help.Markdown, "helpUri": r.HelpURI,
			} {
				if strings.TrimSpace(v) == "" {
					add("%s: %s is empty", rat, name)
				}
			}
			if u, err := url.Parse(r.HelpURI); err == nil && r.HelpURI != "" && u.Scheme != "https" {
				add("%s: helpUri %q is not an https URL", rat, r.HelpURI)
			}
			switch s := r.Properties.SecuritySeverity.(type) {
			case string:
				if v, err := strconv.ParseFloat(s, 64); err != nil || v < 0.1 || v > 10 {
					add("%s: security-severity %q is not a number from 0.1 to 10.0", rat, s)
				}
			case nil:
				add("%s: properties.security-severity is missing", rat)
			default:
				add("%s: security-severity must be a string, is %T", rat, s)
			}
			if !contains(r.Properties.Tags, "security") {
				add("%s: tags %v lack \"security\" (GitHub ignores security-severity without it)", rat, r.Properties.Tags)
			}
		}
		if len(run.Results) > maxResults {
			add("%s: %d results exceed %d", at, len(run.Results), maxResults)
		}
		fingerprints := map[string]int{}
		for i, res := range run.Results {
			rat := fmt.Sprintf("%s.results[%d] (%s)", at, i, res.RuleID)
			idx, known := rules[res.RuleID]
			if !known {
				add("%s: ruleId %q names no rule", rat, res.RuleID)
			}
			if res.RuleIndex != nil && known && *res.RuleIndex != idx {
				add("%s: ruleIndex %d does not point at rule %q (index %d)", rat, *res.RuleIndex, res.RuleID, idx)
			}
			if strings.TrimSpace(res.Message.Text) == "" {
				add("%s: message.text is empty", rat)
			} else if first := FirstSentence(res.Message.Text); len(first) < 20 {
				add("%s: first sentence %q is too short to stand alone", rat, first)
			}
			if len(res.Locations) == 0 || len(res.Locations) > maxLocations {
				add("%s: %d locations; GitHub needs 1 to %d", rat, len(res.Locations), maxLocations)
			}
			for li, loc := range res.Locations {
				lat := fmt.Sprintf("%s.locations[%d]", rat, li)
				if loc.PhysicalLocation == nil {
					add("%s: no physicalLocation (GitHub rejects logical-only locations)", lat)
					continue
				}
				if msg := URIProblem(loc.PhysicalLocation.ArtifactLocation.URI); msg != "" {
					add("%s: uri %q: %s", lat, loc.PhysicalLocation.ArtifactLocation.URI, msg)
				}
				if loc.PhysicalLocation.Region == nil || loc.PhysicalLocation.Region.StartLine < 1 {
					add("%s: region.startLine must be at least 1", lat)
				}
			}
			fp := res.PartialFingerprints["primaryLocationLineHash"]
			if fp == "" {
				add("%s: partialFingerprints.primaryLocationLineHash is missing (GitHub computes it only for files it can read)", rat)
			} else if prev, dup := fingerprints[fp]; dup {
				add("%s: fingerprint repeats results[%d]: two alerts would merge", rat, prev)
			}
			fingerprints[fp] = i
			for fi, fx := range res.Fixes {
				if len(fx.ArtifactChanges) == 0 {
					add("%s.fixes[%d]: empty artifactChanges make the upload fail", rat, fi)
				}
			}
		}
	}
	return p
}

// URIProblem says why GitHub would reject uri as a result location, or "".
func URIProblem(uri string) string {
	switch {
	case uri == "":
		return "empty"
	case strings.ContainsAny(uri, " \t\r\n"):
		return "contains white space"
	case strings.HasPrefix(uri, "/"):
		return "absolute path"
	}
	first, _, _ := strings.Cut(uri, "/")
	if strings.Contains(first, ":") {
		return "has a scheme (':' in the first segment)"
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "not a URI reference: " + err.Error()
	}
	if u.Scheme != "" || u.Host != "" {
		return "not a relative reference"
	}
	for _, seg := range strings.Split(uri, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Sprintf("segment %q would be normalised away", seg)
		}
	}
	return ""
}

// FirstSentence is the text up to and including the first ". " (or all of it).
func FirstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// Check fails t unless data is valid against the schema and GitHub's rules, and returns the
// parsed log for further assertions.
func Check(t testing.TB, data []byte) *Log {
	t.Helper()
	if err := ValidateSchema(data); err != nil {
		t.Fatalf("SARIF is not valid against %s:\n%v", SchemaPath(), err)
	}
	if p := GitHubProblems(data); len(p) > 0 {
		t.Fatalf("SARIF breaks GitHub code scanning's rules:\n  %s", strings.Join(p, "\n  "))
	}
	var log Log
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	return &log
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func gzipLen(b []byte) int {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Len()
}
