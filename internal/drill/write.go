package drill

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Formats a drill report can be written in.
var Formats = []string{"table", "json", "markdown", "junit"}

// Write writes the report in format (one of Formats).
func Write(w io.Writer, r Report, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "markdown":
		return writeMarkdown(w, r)
	case "junit":
		return writeJUnit(w, r)
	case "table", "":
		return writeTable(w, r)
	}
	return fmt.Errorf("unknown drill format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

func headline(r Report) string {
	what := "plan"
	if r.Applied {
		what = "applied"
	}
	s := r.Summary
	return fmt.Sprintf("drill %s (%s): %d PASS, %d FAIL, %d ERROR, %d SKIPPED", r.DrillID, what, s.Pass, s.Fail, s.Error, s.Skipped)
}

func writeTable(w io.Writer, r Report) error {
	var b strings.Builder
	b.WriteString(headline(r) + "\n")
	for _, x := range r.Results {
		fmt.Fprintf(&b, "\n%-7s %s  %s %s\n        %s\n", x.Status, x.CheckID, x.Account, x.Region, x.Message)
		if x.Resource != "" {
			fmt.Fprintf(&b, "        resource %s\n", x.Resource)
		}
		if len(x.AlsoChecks) > 0 {
			fmt.Fprintf(&b, "        also for %s\n", strings.Join(x.AlsoChecks, ", "))
		}
		if !r.Applied {
			for _, p := range x.Plan {
				fmt.Fprintf(&b, "        - %s\n", p)
			}
			if x.Receives != "" {
				fmt.Fprintf(&b, "        receives: %s\n", x.Receives)
			}
			if len(x.Permissions) > 0 {
				fmt.Fprintf(&b, "        needs: %s\n", strings.Join(x.Permissions, ", "))
			}
		}
		for _, st := range x.Steps {
			at := ""
			if st.At != nil {
				at = st.At.Format("15:04:05Z")
			}
			fmt.Fprintf(&b, "        %-7s %-16s %s %s\n", st.Status, st.Step, at, st.Detail)
		}
	}
	if len(r.Created) > 0 {
		b.WriteString("\ncreated:\n")
		for _, c := range r.Created {
			fmt.Fprintf(&b, "  %s removed=%t\n", c.ARN, c.Removed)
		}
	}
	if !r.Applied && len(r.Results) > 0 {
		b.WriteString("\nNothing was changed. Run with --apply to exercise these chains.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

func writeMarkdown(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## lookout %s\n\n", headline(r))
	if len(r.Results) == 0 {
		b.WriteString("No chain to drill in scope.\n")
	} else {
		b.WriteString("| Status | Check | Account | Region | What happened |\n|---|---|---|---|---|\n")
		for _, x := range r.Results {
			msg := mdCell(x.Message)
			for _, st := range x.Steps {
				msg += "<br>" + mdCell(fmt.Sprintf("%s %s: %s", st.Status, st.Step, st.Detail))
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", x.Status, x.CheckID, x.Account, x.Region, msg)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JUnit: a drill is a test suite, each chain a test case (failed on FAIL, errored on ERROR,
// skipped on SKIPPED), its steps the case's output.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Name    string       `xml:"name,attr"`
	Tests   int          `xml:"tests,attr"`
	Fails   int          `xml:"failures,attr"`
	Errors  int          `xml:"errors,attr"`
	Skipped int          `xml:"skipped,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name    string      `xml:"name,attr"`
	Tests   int         `xml:"tests,attr"`
	Fails   int         `xml:"failures,attr"`
	Errors  int         `xml:"errors,attr"`
	Skipped int         `xml:"skipped,attr"`
	Cases   []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(w io.Writer, r Report) error {
	s := r.Summary
	suite := junitSuite{Name: "lookout drill " + r.DrillID, Tests: len(r.Results), Fails: s.Fail, Errors: s.Error, Skipped: s.Skipped}
	for _, x := range r.Results {
		var out strings.Builder
		for _, st := range x.Steps {
			fmt.Fprintf(&out, "%s %s: %s\n", st.Status, st.Step, st.Detail)
		}
		c := junitCase{Name: x.CheckID + " " + x.Resource, Classname: "lookout.drill." + x.Account + "." + x.Region, SystemOut: out.String()}
		m := &junitMessage{Message: x.Message, Text: x.Message}
		switch x.Status {
		case Fail:
			c.Failure = m
		case Error:
			c.Error = m
		case Skipped:
			c.Skipped = m
		}
		suite.Cases = append(suite.Cases, c)
	}
	doc := junitSuites{Name: "lookout drill", Tests: suite.Tests, Fails: suite.Fails, Errors: suite.Errors, Skipped: suite.Skipped, Suites: []junitSuite{suite}}
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
