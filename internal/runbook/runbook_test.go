package runbook

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		doc        string
		wantRole   string
		wantParam  string
		wantCall   string // action CallsAction finds, "" for none
		wantOpaque int
		wantErr    string
	}{
		{
			name: "json runbook restarting the trail with the passed role",
			doc: `{"schemaVersion":"0.3","assumeRole":"{{ AutomationAssumeRole }}",
			  "parameters":{"AutomationAssumeRole":{"type":"String"},"TrailName":{"type":"String"}},
			  "mainSteps":[{"name":"Start","action":"aws:executeAwsApi","inputs":{"Service":"cloudtrail","Api":"StartLogging","Name":"{{ TrailName }}"}}]}`,
			wantRole: "{{ AutomationAssumeRole }}", wantParam: "AutomationAssumeRole", wantCall: "cloudtrail:StartLogging",
		},
		{
			name: "yaml runbook, api spelled in lower camel case",
			doc: "schemaVersion: '0.3'\nassumeRole: '{{AutomationAssumeRole}}'\nmainSteps:\n" +
				"  - name: restart\n    action: aws:executeAwsApi\n    inputs:\n      Service: cloudtrail\n      Api: startLogging\n      Name: main\n",
			wantRole: "{{AutomationAssumeRole}}", wantParam: "AutomationAssumeRole", wantCall: "cloudtrail:StartLogging",
		},
		{
			name:     "literal role, no call of StartLogging",
			doc:      `{"schemaVersion":"0.3","assumeRole":"arn:aws:iam::111111111111:role/r","mainSteps":[{"name":"Describe","action":"aws:executeAwsApi","inputs":{"Service":"cloudtrail","Api":"DescribeTrails"}}]}`,
			wantRole: "arn:aws:iam::111111111111:role/r",
		},
		{
			name:       "script step is opaque",
			doc:        `{"schemaVersion":"0.3","mainSteps":[{"name":"Fix","action":"aws:executeScript","inputs":{"Runtime":"python3.11","Handler":"h","Script":"..."}}]}`,
			wantOpaque: 1,
		},
		{
			name:       "executeAwsApi with a parameterised Api is opaque",
			doc:        `{"schemaVersion":"0.3","mainSteps":[{"action":"aws:executeAwsApi","inputs":{"Service":"cloudtrail","Api":"{{ Api }}x","X":1}},{"action":"aws:executeAwsApi","inputs":{"Service":"cloudtrail"}}]}`,
			wantCall:   "",
			wantOpaque: 2,
		},
		{name: "command document", doc: `{"schemaVersion":"2.2","mainSteps":null}`, wantErr: "no mainSteps"},
		{name: "not a document", doc: `{{{`, wantErr: "neither JSON nor YAML"},
		{name: "assumeRole not a string", doc: `{"assumeRole":["a"],"mainSteps":[]}`, wantErr: "not a string"},
		{name: "too big", doc: `{"mainSteps":[]}` + strings.Repeat(" ", 1<<16), wantErr: "64 KB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.doc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.AssumeRole != tt.wantRole || d.RoleParameter() != tt.wantParam {
				t.Errorf("AssumeRole %q (parameter %q), want %q (%q)", d.AssumeRole, d.RoleParameter(), tt.wantRole, tt.wantParam)
			}
			c, ok := d.CallsAction("cloudtrail:StartLogging")
			if got := map[bool]string{true: c.Action()}[ok]; !strings.EqualFold(got, tt.wantCall) {
				t.Errorf("CallsAction = %q, want %q", got, tt.wantCall)
			}
			if len(d.Opaque) != tt.wantOpaque {
				t.Errorf("Opaque = %v, want %d", d.Opaque, tt.wantOpaque)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`{"schemaVersion":"0.3","assumeRole":"{{ AutomationAssumeRole }}","mainSteps":[{"name":"a","action":"aws:executeAwsApi","inputs":{"Service":"cloudtrail","Api":"StartLogging"}}]}`)
	f.Add("mainSteps:\n - action: aws:executeScript\n")
	f.Fuzz(func(t *testing.T, doc string) {
		d, err := Parse(doc)
		if err != nil {
			return
		}
		d.RoleParameter()
		for _, c := range d.Calls {
			if c.Service == "" || c.Api == "" {
				t.Fatalf("call without service or api: %+v", c)
			}
		}
	})
}
