package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/report"
)

// squash drops whitespace and table borders, so that text wrapped across lines and cells can be
// compared with the original.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(" \t\n│┌┐└┘├┤┬┴┼─", r) {
			return -1
		}
		return r
	}, s)
}

// detailColumn returns the text of the grid's last column, row after row.
func detailColumn(out string) string {
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		cells := strings.Split(line, "│")
		if len(cells) >= 3 {
			b.WriteString(cells[len(cells)-2])
		}
	}
	return b.String()
}

// The table fits 80, 120 and 200 columns (and the 100-column threshold) whatever the options:
// no line is wider than the terminal in display columns, narrow terminals get blocks, and no
// word of any message, resource or fix (--wide) is lost to wrapping.
func TestTableFitsWidth(t *testing.T) {
	r := sampleReport()
	for _, width := range []int{80, 99, 100, 120, 200} {
		for _, opts := range []report.TableOptions{
			{},
			{Color: true, ShowPass: true, Wide: true},
			{Framework: "cis-aws-7.0", Wide: true},
		} {
			opts.Width = width
			var buf bytes.Buffer
			if err := report.WriteTable(&buf, r, opts); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				if w := visibleWidth(line); w > width {
					t.Errorf("width %d %+v: line %d is %d columns wide: %q", width, opts, i+1, w, line)
				}
			}
			grid := strings.Contains(out, "┌")
			if grid != (width >= report.CompactBelow) {
				t.Errorf("width %d: table drawn = %v, want %v", width, grid, width >= report.CompactBelow)
			}
			text := squash(out)
			if grid {
				text = squash(detailColumn(out))
			}
			for _, f := range r.Findings {
				if f.Status == checks.Pass && !opts.ShowPass || f.Account == "999999999999" {
					continue
				}
				wants := []string{f.Message}
				if f.Resource != f.Account && opts.Wide {
					wants = append(wants, f.Resource)
				}
				for _, want := range wants {
					if !strings.Contains(text, squash(want)) {
						t.Errorf("width %d %+v: %q is missing or mangled:\n%s", width, opts, want, out)
					}
				}
				if opts.Wide && f.Fix != nil && f.Fix.Available && !strings.Contains(text, squash(f.Fix.Summary)) {
					t.Errorf("width %d: fix %q missing:\n%s", width, f.Fix.Summary, out)
				}
			}
			if strings.Contains(out, "<script>") == false {
				t.Errorf("width %d: the table should show text verbatim (it is not HTML)", width)
			}
		}
	}
}

// An account that could not be read is one row with its cause and remedy, not one per check.
func TestTableOneRowPerUnreadableAccount(t *testing.T) {
	for _, width := range []int{80, 120} {
		var buf bytes.Buffer
		if err := report.WriteTable(&buf, sampleReport(), report.TableOptions{Width: width}); err != nil {
			t.Fatal(err)
		}
		out := squash(buf.String())
		if n := strings.Count(out, squash("cannot assume arn:aws:iam::999999999999")); n != 1 {
			t.Errorf("width %d: the AssumeRole cause appears %d times, want once:\n%s", width, n, buf.String())
		}
		if !strings.Contains(out, squash("all 3 checks")) || !strings.Contains(out, squash("--role-name")) {
			t.Errorf("width %d: no grouped row with a remedy:\n%s", width, buf.String())
		}
	}
}

// --framework shows each finding's control id in that framework.
func TestTableFrameworkControl(t *testing.T) {
	for width, want := range map[int][]string{120: {"CONTROL", "4.1", "5.3"}, 80: {"cis-aws-7.0 4.1", "cis-aws-7.0 5.3"}} {
		var buf bytes.Buffer
		if err := report.WriteTable(&buf, sampleReport(), report.TableOptions{Width: width, Framework: "cis-aws-7.0"}); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("width %d: table lacks %q:\n%s", width, w, buf.String())
			}
		}
	}
}

// Terminal control sequences in names never reach the terminal.
func TestTableStripsControlCharacters(t *testing.T) {
	f := finding("x", checks.High, checks.Fail, "111111111111", "us-east-1", "res\x1b]0;pwned\x07", "bad \x1b[2Jname")
	var buf bytes.Buffer
	if err := report.WriteTable(&buf, report.New([]checks.Finding{f}, report.Scope{}, t0), report.TableOptions{Width: 120}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(buf.String(), "\x1b\x07") {
		t.Errorf("control characters written: %q", buf.String())
	}
}
