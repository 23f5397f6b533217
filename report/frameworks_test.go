package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/report"
	"github.com/lookout-audit/lookout/report/sariftest"
)

// SARIF rules carry each check's control ids twice: as "framework/control" tags (GitHub filters
// alerts by tag) and as a properties.frameworks map; the document stays valid for the schema
// and for GitHub.
func TestSARIFFrameworks(t *testing.T) {
	data := writeSARIF(t, sampleReport())
	sariftest.Check(t, data)
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string `json:"id"`
						Properties struct {
							Tags       []string          `json:"tags"`
							Frameworks map[string]string `json:"frameworks"`
						} `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	byID := map[string]*checks.Check{}
	for _, c := range checks.All() {
		byID[c.ID] = c
	}
	checked := 0
	for _, r := range doc.Runs[0].Tool.Driver.Rules {
		want := map[string]string{}
		if c := byID[r.ID]; c != nil {
			want = c.Frameworks
		} else {
			for _, f := range sampleReport().Findings {
				if f.CheckID == r.ID && f.Frameworks != nil {
					want = f.Frameworks
				}
			}
		}
		tags := strings.Join(r.Properties.Tags, " ")
		for fw, id := range want {
			if !strings.Contains(" "+tags+" ", " "+fw+"/"+id+" ") {
				t.Errorf("rule %s: tags %v lack %s/%s", r.ID, r.Properties.Tags, fw, id)
			}
			if r.Properties.Frameworks[fw] != id {
				t.Errorf("rule %s: properties.frameworks = %v, want %s=%s", r.ID, r.Properties.Frameworks, fw, id)
			}
			checked++
		}
		if len(r.Properties.Tags) > 20 {
			t.Errorf("rule %s has %d tags; GitHub keeps 20", r.ID, len(r.Properties.Tags))
		}
	}
	if checked == 0 {
		t.Fatal("no rule carries a framework id: the test is vacuous")
	}
}

// The markdown summary names the controls of each failing check.
func TestMarkdownControls(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteMarkdown(&buf, sampleReport(), report.MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Controls: `cis-aws-1.4/3.1` · `cis-aws-7.0/4.1` · `aws-securityhub/CloudTrail.1`", "`cis-aws-7.0/5.3`"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, buf.String())
		}
	}
}
