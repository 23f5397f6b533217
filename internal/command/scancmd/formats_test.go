package scancmd_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rivo/uniseg"
	"golang.org/x/net/html"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/command/scancmd"
	"github.com/lookout-audit/lookout/internal/snapshot"
	"github.com/lookout-audit/lookout/report"
	"github.com/lookout-audit/lookout/report/sariftest"
)

// checkDocument parses one report document of format and returns how many findings it holds
// (-1 where the format does not hold them one by one).
func checkDocument(t *testing.T, format string, data []byte) int {
	t.Helper()
	switch format {
	case "json":
		r, err := report.ReadJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return len(r.Findings)
	case "sarif":
		sariftest.Check(t, data)
		return -1
	case "markdown":
		if !bytes.HasPrefix(data, []byte("## lookout: ")) {
			t.Errorf("markdown starts %q", data[:min(40, len(data))])
		}
		return -1
	case "table":
		for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			if w := uniseg.StringWidth(line); w > report.DefaultTableWidth {
				t.Errorf("piped table line of %d columns: %q", w, line)
			}
		}
		return -1
	case "html":
		doc, err := html.Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		var walk func(*html.Node)
		walk = func(n2 *html.Node) {
			if n2.Type == html.ElementNode && n2.Data == "article" {
				n++
			}
			for c := n2.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		return n
	case "csv":
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return len(rows) - 1
	case "junit":
		var doc struct {
			Tests int `xml:"tests,attr"`
		}
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Tests
	case "asff", "ocsf":
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	t.Fatalf("no check for format %s", format)
	return 0
}

// Every format of scancmd.Formats is written whole to --output (nothing on stdout) by scan
// --snapshot and by merge, and parses as its format with every finding.
func TestEveryFormatFromSnapshotAndMerge(t *testing.T) {
	demo := demoFixture(t)
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "demo.json")
	if code, _, stderr := lookout(t, "scan", "--snapshot", demo, "--format", "json", "--output", jsonPath, "--fail-on", "none"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	want := checkDocument(t, "json", data)
	for _, format := range scancmd.Formats {
		for _, cmd := range [][]string{
			{"scan", "--snapshot", demo},
			{"merge", jsonPath},
		} {
			t.Run(format+"/"+cmd[0], func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "report."+format)
				args := append(append([]string{}, cmd...), "--format", format, "--output", out, "--fail-on", "none")
				code, stdout, stderr := lookout(t, args...)
				if code != 0 || stdout != "" {
					t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
				}
				data, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if n := checkDocument(t, format, data); n >= 0 && n != want {
					t.Errorf("%s holds %d findings, want %d", format, n, want)
				}
			})
		}
	}
}

// An account that could not be read: the JSON report keeps one ERROR finding per check, and
// stderr says the cause once, with the likely remedy, however many checks ran.
func TestUnreadableAccountSaidOnce(t *testing.T) {
	s := account(map[string]bool{"us-east-1": true})
	s.Accounts = append(s.Accounts, snapshot.Account{ID: "222222222222", Partition: "aws",
		Error: &snapshot.ReadError{Operation: "sts:AssumeRole", Code: "AccessDenied", Message: "cannot assume arn:aws:iam::222222222222:role/Audit: not authorized"}})
	s.Sort()
	snap := snapshotFile(t, s)
	ids := []string{"cloudtrail-logging", "cloudtrail-stoplogging-remediation", "cloudwatch-root-usage-alarm"}
	for _, format := range []string{"json", "table"} {
		code, stdout, stderr := lookout(t, "scan", "--snapshot", snap, "--checks", strings.Join(ids, ","), "--format", format)
		if code != 2 {
			t.Fatalf("%s: exit %d, want 2: %s", format, code, stderr)
		}
		if n := strings.Count(stderr, "cannot assume arn:aws:iam::222222222222:role/Audit"); n != 1 {
			t.Errorf("%s: stderr names the cause %d times, want once:\n%s", format, n, stderr)
		}
		if !strings.Contains(stderr, "account 222222222222 could not be read, so its 3 check(s) are ERROR") || !strings.Contains(stderr, "--role-name") {
			t.Errorf("%s: stderr lacks the account line or its remedy:\n%s", format, stderr)
		}
		switch format {
		case "json":
			rep, err := report.ReadJSON(strings.NewReader(stdout))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, f := range rep.Findings {
				if f.Account == "222222222222" && f.Status == checks.Error {
					n++
				}
			}
			if n != len(ids) {
				t.Errorf("JSON: %d ERROR findings for the account, want one per check (%d)", n, len(ids))
			}
		case "table":
			if n := strings.Count(stdout, "cannot assume"); n != 1 {
				t.Errorf("table: the cause appears %d times, want one row:\n%s", n, stdout)
			}
		}
	}
}
