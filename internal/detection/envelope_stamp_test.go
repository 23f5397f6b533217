package detection

import (
	"reflect"
	"testing"

	"github.com/lookout-audit/lookout/internal/eventpattern"
)

// textOnly is d with every event decoded from its text, as before templates.
func textOnly(d Detection) Detection {
	d.env = nil
	strip := func(es []Event) []Event {
		out := make([]Event, len(es))
		for i, e := range es {
			out[i] = newEvent(e.Name, e.Body)
		}
		return out
	}
	d.Positives, d.Negatives = strip(d.Positives), strip(d.Negatives)
	var groups [][]Event
	for _, g := range d.AnyOf {
		groups = append(groups, strip(g))
	}
	d.AnyOf = groups
	return d
}

// TestEnvelopeStampedAsParsed: an envelope filled in from its decoded template decodes, looks
// up and matches as its text does, and a verdict remembered for every trail, account and
// region is the one judged on each: for ordinary values, values JSON must escape, values that
// look like placeholders or are not UTF-8 (those decoded from their text), and patterns that
// read the stamped values or not.
func TestEnvelopeStampedAsParsed(t *testing.T) {
	for _, path := range []string{"cloudtrail-stoplogging-by-arn.json", "signin-root-console-login.json", "ec2-state-running.json", "s3-api-call.json"} {
		if !envTemplateFor(path).ok {
			t.Errorf("%s: not stampable from its template", path)
		}
	}
	trails := []Trail{
		{Name: "org-trail", Region: "us-east-1", Account: "111111111111", ARN: "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"},
		{Name: "seoul-app", Region: "ap-northeast-2", Account: "333333333333"},
		{Name: `we"ird\name <&> é`, Region: "eu-west-1", Account: "222222222222"},
		{Name: "${ACCOUNT}", Region: "us-west-2", Account: "444444444444"},
		{Name: "bad\xffutf8", Region: "us-west-2", Account: "555555555555"},
		{},
	}
	var dets []Detection
	for _, tr := range trails {
		dets = append(dets, StopLogging(tr), RootConsoleSignin(tr.Region, tr.Account), EC2StateChange(tr.Region, tr.Account))
	}
	patterns := []string{
		`{"source":["aws.cloudtrail"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["cloudtrail.amazonaws.com"],"eventName":["StopLogging"]}}`,
		`{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"],"requestParameters":{"name":["seoul-app"]}}}`,
		`{"detail":{"eventName":["StopLogging"],"requestParameters":{"name":[{"prefix":"arn:aws:cloudtrail:us-east-1:111111111111:"}]}}}`,
		`{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"]}`,
		`{"source":["aws.signin"],"detail":{"userIdentity":{"arn":["arn:aws:iam::111111111111:root"]}}}`,
		`{"account":["222222222222"],"source":["aws.ec2"]}`,
		`{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["running","stopped","terminated"]}}`,
		`{"region":["us-west-2"],"detail-type":[{"prefix":"EC2"}]}`,
		`{"source":["aws.cloudtrail"`,
	}
	for _, d := range dets {
		plain := textOnly(d)
		d.eachEvent(func(e Event) {
			got, err := e.Decoded()
			want, werr := eventpattern.DecodeEvent(e.Body)
			if (err == nil) != (werr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s %q: stamped decoding differs from the text's", d.Summary, e.Name)
			}
			for _, path := range [][]string{{"detail", "requestParameters", "name"}, {"account"}, {"detail", "userIdentity"}, {"nope"}} {
				gv, gok := e.Lookup(path...)
				wv, wok := want.Lookup(path...)
				gp, go1 := e.Has(path...)
				_, wobj := wv.(map[string]any)
				if gok != wok || !reflect.DeepEqual(gv, wv) || gp != wok || go1 != wobj {
					t.Fatalf("%s %q: Lookup/Has %v differ", d.Summary, e.Name, path)
				}
			}
		})
		for _, p := range patterns {
			got, err := d.EvaluateEventPattern(p)
			want, werr := plain.EvaluateEventPattern(p)
			if (err == nil) != (werr == nil) || got.String() != want.String() || !reflect.DeepEqual(got.MissedPositives, want.MissedPositives) ||
				!reflect.DeepEqual(got.MatchedNegatives, want.MatchedNegatives) || got.Detects != want.Detects {
				t.Fatalf("%s, %s: remembered verdict %q (%v), judged here %q (%v)", d.Summary, p, got, err, want, werr)
			}
		}
	}
	// A pattern that names the trail is judged per trail; one that does not, once.
	if p, _ := ParseEventPattern(patterns[1]); StopLogging(trails[0]).invariant(p) {
		t.Error("a pattern naming the trail is judged invariant")
	}
	if p, _ := ParseEventPattern(patterns[0]); !StopLogging(trails[0]).invariant(p) {
		t.Error("a pattern naming no trail, account or region is judged variant")
	}
}
