package detection

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/eventpattern"
)

// TestCISEventStampedAsParsed: the detection CISEvent stamps from prepared events is the one
// built by stamping each record and parsing it (cisEventParsed): same events, names, bodies
// (as JSON), decoded events and read-only flags, and the same verdict for patterns that read
// the stamped values (account, region, ARNs) and patterns that do not (remembered per
// control).
func TestCISEventStampedAsParsed(t *testing.T) {
	stamps := []struct{ region, account string }{
		{"eu-west-3", "111122223333"}, {"us-east-1", defaultAccount}, {"ap-south-2", "444455556666"}, {"", ""},
	}
	for _, c := range CISControls() {
		if !cisSetFor(cisSpecFor(c.Key)).fast {
			t.Errorf("%s: its events cannot be stamped without parsing", c.Key)
			continue
		}
		for _, st := range stamps {
			fast := CISEvent(c.Key, st.region, st.account)
			region := st.region
			if region == "" {
				region = "us-east-1"
			}
			slow := cisEventParsed(cisSpecFor(c.Key), fast.Summary, region, orDefaultAccount(st.account))
			if fast.cis == nil {
				t.Fatalf("%s: CISEvent did not stamp prepared events", c.Key)
			}
			name := fmt.Sprintf("%s in %s/%s", c.Key, region, st.account)
			if fast.ID != slow.ID || fast.Summary != slow.Summary || fast.Language != slow.Language {
				t.Errorf("%s: header %q %q, want %q %q", name, fast.ID, fast.Summary, slow.ID, slow.Summary)
			}
			fe, se := flatEvents(fast), flatEvents(slow)
			if len(fe) != len(se) || len(fast.AnyOf) != len(slow.AnyOf) || len(fast.Positives) != len(slow.Positives) {
				t.Fatalf("%s: %d events (%d groups), want %d (%d)", name, len(fe), len(fast.AnyOf), len(se), len(slow.AnyOf))
			}
			for i := range fe {
				f, s := fe[i], se[i]
				if f.Name != s.Name {
					t.Errorf("%s: event %d named %q, want %q", name, i, f.Name, s.Name)
				}
				if m := f.memo; m == nil || m.tmpl == nil {
					t.Errorf("%s: %s: not stamped from a prepared event", name, f.Name)
				} else if want := replaceAll(string(m.tmpl.body), m.pairs); string(f.Body) != want {
					t.Errorf("%s: %s: stamped body is not the template with %q replaced", name, f.Name, m.pairs)
				}
				var fj, sj any
				if json.Unmarshal(f.Body, &fj) != nil || json.Unmarshal(s.Body, &sj) != nil || !reflect.DeepEqual(fj, sj) {
					t.Errorf("%s: %s: body differs\n%s\nwant\n%s", name, f.Name, f.Body, s.Body)
				}
				fd, err1 := f.Decoded()
				sd, err2 := s.Decoded()
				if err1 != nil || err2 != nil || !reflect.DeepEqual(leaves(fd), leaves(sd)) {
					t.Errorf("%s: %s: decoded event differs (%v, %v)", name, f.Name, err1, err2)
				}
				if f.ReadOnlyAPICall() != s.ReadOnlyAPICall() {
					t.Errorf("%s: %s: read-only %v, want %v", name, f.Name, f.ReadOnlyAPICall(), s.ReadOnlyAPICall())
				}
			}
			// The lazy detection is the same, its texts written on demand.
			lazy := flatEvents(CISEventLazy(c.Key, st.region, st.account))
			for i := range lazy {
				if lazy[i].Body != nil || string(lazy[i].Bytes()) != string(fe[i].Body) || lazy[i].Name != fe[i].Name {
					t.Errorf("%s: lazy %s: Body %d bytes, Bytes() differs from CISEvent's Body: %v", name, lazy[i].Name, len(lazy[i].Body), string(lazy[i].Bytes()) != string(fe[i].Body))
				}
				if string(fe[i].Bytes()) != string(fe[i].Body) {
					t.Errorf("%s: %s: Bytes() is not Body", name, fe[i].Name)
				}
			}
			acct := orDefaultAccount(st.account)
			for _, p := range []string{
				`{"source":["aws.iam"]}`,
				`{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"]}`,
				`{"detail":{"errorCode":[{"exists":true}]}}`,
				`{"account":["` + acct + `"]}`,
				`{"account":[{"anything-but":"111122223333"}],"source":[{"prefix":"aws."}]}`,
				`{"region":["eu-west-3"]}`,
				`{"detail":{"awsRegion":["` + region + `"],"eventSource":[{"exists":true}]}}`,
				`{"detail":{"userIdentity":{"arn":[{"prefix":"arn:aws:iam::` + acct + `:"}]}}}`,
				`{"$or":[{"region":["us-east-1"]},{"detail":{"recipientAccountId":["444455556666"]}}]}`,
				`{"detail":{"eventName":["ConsoleLogin","PutRolePolicy","CreateTrail","AuthorizeSecurityGroupIngress"]}}`,
				`{"source":[`,
			} {
				fv, ferr := fast.EvaluateEventPattern(p)
				sv, serr := slow.EvaluateEventPattern(p)
				if fmt.Sprint(ferr) != fmt.Sprint(serr) || !reflect.DeepEqual(norm(fv), norm(sv)) {
					t.Errorf("%s: pattern %s: verdict %+v (%v), want %+v (%v)", name, p, fv, ferr, sv, serr)
				}
			}
		}
	}
}

func flatEvents(d Detection) []Event {
	out := append([]Event{}, d.Positives...)
	for _, g := range d.AnyOf {
		out = append(out, g...)
	}
	return append(out, d.Negatives...)
}

// leaves lists an event's keys and values with their paths, sorted: two events with the same
// list are the same JSON.
func leaves(e *eventpattern.Event) []string {
	var out []string
	e.StringLeaves(func(path, value string, kind eventpattern.LeafKind) {
		out = append(out, fmt.Sprintf("%d|%s|%s", kind, strings.ReplaceAll(path, eventpattern.PathSep, "."), value))
	})
	sort.Strings(out)
	return out
}

func norm(v Verdict) Verdict {
	if v.text != "" && v.text != (Verdict{Detects: v.Detects, MissedPositives: v.MissedPositives, MatchedNegatives: v.MatchedNegatives}).String() {
		v.text = "remembered text differs: " + v.text
	} else {
		v.text = ""
	}
	if len(v.MissedPositives) == 0 {
		v.MissedPositives = nil
	}
	if len(v.MatchedNegatives) == 0 {
		v.MatchedNegatives = nil
	}
	return v
}
