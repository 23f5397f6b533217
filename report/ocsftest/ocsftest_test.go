package ocsftest

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// valid is a Compliance Finding event as OCSF 1.6.0 defines it, with the cloud profile.
const valid = `{
  "activity_id": 1, "activity_name": "Create",
  "category_uid": 2, "category_name": "Findings",
  "class_uid": 2003, "class_name": "Compliance Finding",
  "type_uid": 200301, "type_name": "Compliance Finding: Create",
  "severity_id": 4, "severity": "High", "status_id": 1, "status": "New",
  "time": 1795341600000, "timezone_offset": 0, "message": "trail main is not logging",
  "metadata": {"version": "1.6.0", "profiles": ["cloud"], "product": {"name": "lookout", "vendor_name": "lookout", "version": "0.1.0"}},
  "finding_info": {"uid": "lookout/cloudtrail-logging/1", "title": "CloudTrail is logging",
                   "analytic": {"uid": "cloudtrail-logging", "type_id": 1, "type": "Rule"}},
  "compliance": {"control": "cloudtrail-logging", "standards": ["CIS"], "status_id": 3, "status": "Fail",
                 "checks": [{"uid": "cloudtrail-logging", "severity_id": 4, "severity": "High"}]},
  "cloud": {"provider": "AWS", "region": "us-east-1", "account": {"uid": "123456789012", "type_id": 10, "type": "AWS Account"}},
  "resources": [{"uid": "arn:aws:cloudtrail:us-east-1:123456789012:trail/main", "region": "us-east-1", "role_id": 1, "role": "Target"}],
  "remediation": {"desc": "start logging", "kb_article_list": [{"title": "x", "src_url": "https://example.com"}]},
  "unmapped": {"anything": [1, {"at": "all"}]}
}`

// Each mutation of the valid event is caught, with a problem naming the attribute.
func TestProblems(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Problems([]byte(valid)); len(p) > 0 {
		t.Fatalf("the valid event has problems:\n%s", strings.Join(p, "\n"))
	}
	tests := []struct {
		name   string
		path   string
		value  any // nil deletes
		remove bool
		want   string
	}{
		{name: "required attribute missing", path: "finding_info", remove: true, want: "finding_info: required by compliance_finding, missing"},
		{name: "required in an object", path: "metadata.product", remove: true, want: "metadata.product: required by metadata"},
		{name: "profile's required attribute", path: "cloud", remove: true, want: "cloud: required by compliance_finding"},
		{name: "attribute the class does not define", path: "verdict_text", value: "x", want: "compliance_finding defines no attribute verdict_text"},
		{name: "attribute an object does not define", path: "compliance.result", value: "x", want: "compliance defines no attribute result"},
		{name: "profile not applied", path: "metadata.profiles", value: []any{}, want: "cloud: belongs to the cloud profile"},
		{name: "object attribute of a profile not applied", path: "metadata.profiles", value: []any{"host"}, want: "resources[0].region: belongs to the cloud profile"},
		{name: "unknown profile", path: "metadata.profiles", value: []any{"cloud", "aws"}, want: "aws is not a profile"},
		{name: "wrong version", path: "metadata.version", value: "1.3.0", want: "metadata.version: 1.3.0, but the schema is 1.6.0"},
		{name: "enum id outside the enumeration", path: "compliance.status_id", value: 7, want: "compliance.status_id: 7 is not one of"},
		{name: "sibling caption disagrees", path: "severity", value: "Critical", want: `severity_id: 4 means "High", but severity is "Critical"`},
		{name: "Other may name its own caption", path: "cloud.account.type_id", value: 99, want: ""},
		{name: "deprecated attribute", path: "compliance.status_detail", value: "x", want: "compliance.status_detail: deprecated since 1.4.0"},
		{name: "deprecated dictionary attribute", path: "remediation.kb_articles", value: []any{"x"}, want: "remediation.kb_articles: deprecated since 1.1.0"},
		{name: "deprecated enumeration value", path: "cloud.account", value: map[string]any{"uid": "1", "type_id": 3, "type": "AWS IAM User"}, want: "(AWS IAM User) is deprecated since 1.6.0"},
		{name: "string where an integer is", path: "severity_id", value: "4", want: "severity_id: integer_t (a number), got a string"},
		{name: "fraction where a long is", path: "time", value: json.Number("1.5"), want: "time: timestamp_t (an integer)"},
		{name: "scalar where an array is", path: "compliance.standards", value: "CIS", want: "compliance.standards: an array of string_t"},
		{name: "object of the wrong shape in an array", path: "remediation.kb_article_list", value: []any{"https://example.com"}, want: "kb_article_list[0]: a kb_article object, got a string"},
		{name: "object constraint", path: "remediation.kb_article_list", value: []any{map[string]any{"title": "x"}}, want: "kb_article needs at least one of uid, src_url"},
		{name: "inherited constraint", path: "finding_info.analytic", value: map[string]any{"type_id": 1}, want: "analytic needs at least one of name, uid"},
		{name: "null", path: "message", value: nil, want: "message: null"},
		{name: "class_uid of no class", path: "class_uid", value: 2999, want: "class_uid: 2999 is no class"},
		{name: "type_uid disagrees", path: "type_uid", value: 200302, want: "type_uid: 200302, want class_uid*100 + activity_id = 200301"},
		{name: "category disagrees", path: "category_uid", value: 3, want: "category_uid: 3, but class 2003 belongs to category 2"},
		{name: "class name disagrees", path: "class_name", value: "Compliance", want: `class_name: "Compliance", want "Compliance Finding"`},
		{name: "type name disagrees", path: "type_name", value: "Compliance Finding: Update", want: `want "Compliance Finding: Create"`},
		{name: "datetime attribute without the datetime profile", path: "finding_info.created_time_dt", value: "2026-12-07T00:00:00Z", want: "defines no attribute created_time_dt"},
		{name: "value of its type's regex", path: "resources.0.ip", value: "10.0.0.1", want: ""},
		{name: "value breaks its type's regex", path: "resources.0.ip", value: "ten.0.0.1", want: `resources[0].ip: "ten.0.0.1" is not a valid ip_t`},
		{name: "activity added by the subclass", path: "activity_id", value: 3, want: "type_uid: 200301, want class_uid*100 + activity_id = 200303"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := decode(t, valid)
			set(ev, tc.path, tc.value, tc.remove)
			if tc.path == "activity_id" {
				ev["activity_name"] = "Close"
			}
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			problems := s.Problems(b)
			if tc.want == "" {
				if len(problems) > 0 {
					t.Errorf("want none, got\n%s", strings.Join(problems, "\n"))
				}
				return
			}
			for _, p := range problems {
				if strings.Contains(p, tc.want) {
					return
				}
			}
			t.Errorf("no problem contains %q; got\n%s", tc.want, strings.Join(problems, "\n"))
		})
	}
}

// The attributes of the class come through its whole extends chain and its profiles: a finding
// attribute (status_id's New…Deleted), a base_event attribute (severity_id) and an attribute the
// security_control profile brings that finding makes its own ("profile": null: confidence_id).
func TestResolvedClass(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.resolve(s.classes["compliance_finding"], s.classes, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.attrs["status_id"].Enum["6"].Caption; got != "Deleted" {
		t.Errorf("status_id 6 = %q, want Deleted (finding's enumeration)", got)
	}
	if got := r.attrs["severity_id"].Enum["5"].Caption; got != "Critical" {
		t.Errorf("severity_id 5 = %q, want Critical (the dictionary's)", got)
	}
	if got := r.attrs["activity_id"].Enum; got["0"].Caption != "Unknown" || got["3"].Caption != "Close" || got["99"].Caption != "Other" {
		t.Errorf("activity_id enumeration %v: want base_event's 0 and 99 with finding's 1-3", got)
	}
	if a := r.attrs["confidence_id"]; a.profile() != "" {
		t.Errorf("confidence_id belongs to profile %q, want the class's own", a.profile())
	}
	if a := r.attrs["is_alert"]; a.profile() != "security_control" {
		t.Errorf("is_alert belongs to profile %q, want security_control", a.profile())
	}
	if a := r.attrs["compliance"]; a.Requirement != "required" || a.Type != "compliance" {
		t.Errorf("compliance %+v", a)
	}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// set puts v at the dotted path of m (creating nothing: the parents exist; a number indexes
// an array), or removes it.
func set(m map[string]any, path string, v any, remove bool) {
	keys := strings.Split(path, ".")
	var cur any = m
	for _, k := range keys[:len(keys)-1] {
		if arr, ok := cur.([]any); ok {
			i, _ := strconv.Atoi(k)
			cur = arr[i]
			continue
		}
		cur = cur.(map[string]any)[k]
	}
	last := cur.(map[string]any)
	if remove {
		delete(last, keys[len(keys)-1])
		return
	}
	last[keys[len(keys)-1]] = v
}
