package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/lookout-audit/lookout/checks"
)

// JUnit XML as CI servers read it (Jenkins' JUnit plugin, GitLab's unit test reports, the
// Ant/Surefire schema): testsuites > testsuite > testcase with at most one failure, error
// or skipped child.

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	junitCounts
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	junitCounts
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

// junitCounts are the attributes a testsuites and a testsuite share.
type junitCounts struct {
	Name      string `xml:"name,attr"`
	Tests     int    `xml:"tests,attr"`
	Failures  int    `xml:"failures,attr"`
	Errors    int    `xml:"errors,attr"`
	Skipped   int    `xml:"skipped,attr"`
	Time      string `xml:"time,attr"`
	Timestamp string `xml:"timestamp,attr"`
}

// add counts the cases of o into c.
func (c *junitCounts) add(o junitCounts) {
	c.Tests += o.Tests
	c.Failures += o.Failures
	c.Errors += o.Errors
	c.Skipped += o.Skipped
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes the report as JUnit XML: one testsuite per check (named by its id, in
// report order of first appearance), one testcase per finding named
// "<account>/<region>/<resource>". FAIL is a <failure> (type = severity), ERROR an <error>
// (the verdict could not be reached), WAIVED a <skipped> with the waiver's reason, PASS a
// plain testcase. The failure text holds the message, resource, fix and evidence.
func WriteJUnit(w io.Writer, r *Report) error {
	ts := r.GeneratedAt.UTC().Format("2006-01-02T15:04:05")
	doc := junitSuites{junitCounts: junitCounts{Name: "lookout", Time: "0", Timestamp: ts}}
	index := map[string]int{}
	for _, f := range r.Findings {
		i, ok := index[f.CheckID]
		if !ok {
			i = len(doc.Suites)
			index[f.CheckID] = i
			s := junitSuite{junitCounts: junitCounts{Name: f.CheckID, Time: "0", Timestamp: ts},
				Properties: []junitProperty{{Name: "title", Value: f.Title}, {Name: "severity", Value: string(f.Severity)}}}
			for _, k := range frameworkKeys(f.Frameworks) {
				s.Properties = append(s.Properties, junitProperty{Name: k, Value: f.Frameworks[k]})
			}
			doc.Suites = append(doc.Suites, s)
		}
		s := &doc.Suites[i]
		c := junitCase{Name: f.Account + "/" + f.Region + "/" + f.Resource, Classname: "lookout." + f.CheckID, Time: "0"}
		one := junitCounts{Tests: 1}
		switch f.Status {
		case checks.Fail:
			c.Failure = &junitProblem{Message: f.Message, Type: string(f.Severity), Text: junitDetail(f)}
			one.Failures = 1
		case checks.Error:
			c.Error = &junitProblem{Message: f.Message, Type: "ERROR", Text: junitDetail(f)}
			one.Errors = 1
		case checks.Waived:
			c.Skipped = &junitSkipped{Message: waiverNote(f)}
			one.Skipped = 1
		default:
			c.SystemOut = f.Message
		}
		s.add(one)
		doc.add(one)
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitDetail is the text of a failure or error: what a CI page shows when it is opened.
func junitDetail(f checks.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\ncheck: %s (%s)\naccount: %s\nregion: %s\nresource: %s\n", f.Message, f.CheckID, f.Severity, f.Account, f.Region, f.Resource)
	if f.Detail != "" {
		b.WriteString("why: " + f.Detail + "\n")
	}
	if f.Fix != nil && f.Fix.Summary != "" {
		how := "fix: " + f.Fix.Summary + " (" + FixCommand(f.CheckID) + ")"
		if !f.Fix.Available {
			how = "fix by hand: " + f.Fix.Summary
		}
		b.WriteString(how + "\n")
	}
	if tags := frameworkTags(f.Frameworks); len(tags) > 0 {
		b.WriteString("controls: " + strings.Join(tags, ", ") + "\n")
	}
	if ev := evidenceText(f); ev != "" {
		b.WriteString("evidence: " + ev + "\n")
	}
	return b.String()
}
