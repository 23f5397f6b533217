package route

import (
	"testing"

	"github.com/lookout-audit/lookout/internal/detection"
)

// TestEventProbeIsRecordProbe: reading a detection event's probe from its decoded form
// (eventProbe) gives what parsing its text gives (recordProbe), for every event of every
// detection, the CIS events stamped for several regions and accounts, and the whole corpus
// (sshd lines and notifications included, which are no CloudTrail record).
func TestEventProbeIsRecordProbe(t *testing.T) {
	var events []detection.Event
	add := func(d detection.Detection) {
		events = append(events, d.Positives...)
		for _, g := range d.AnyOf {
			events = append(events, g...)
		}
		events = append(events, d.Negatives...)
	}
	for _, d := range detection.All() {
		add(d)
	}
	for _, c := range detection.CISControls() {
		add(detection.CISFilter(c.Key))
		for _, st := range []struct{ region, account string }{{"", ""}, {"eu-west-3", "111122223333"}, {"ap-south-2", "444455556666"}} {
			add(detection.CISEvent(c.Key, st.region, st.account))
		}
	}
	events = append(events, detection.Corpus()...)
	// Odd shapes and types, which json.Unmarshal refuses or ignores field by field.
	for _, body := range []string{
		`{"eventSource":"iam.amazonaws.com","eventName":"PutRolePolicy","readOnly":false,"userIdentity":{"arn":"arn:aws:iam::1:user/a"},"sessionCredentialFromConsole":"true"}`,
		`{"eventSource":"iam.amazonaws.com","eventName":"GetRole","readOnly":"true"}`,
		`{"eventSource":"iam.amazonaws.com","eventName":"GetRole","readOnly":null,"userIdentity":null}`,
		`{"eventSource":"iam.amazonaws.com","eventName":"GetRole","userIdentity":"root"}`,
		`{"eventSource":"iam.amazonaws.com","eventName":"GetRole","userIdentity":{"arn":7}}`,
		`{"eventSource":5,"eventName":"GetRole"}`,
		`{"eventSource":"iam.amazonaws.com","eventName":"GetRole","sessionCredentialFromConsole":true}`,
		`{"eventSource":"","detail":{"eventSource":"kms.amazonaws.com","eventName":"DisableKey","readOnly":false}}`,
		`{"detail":{"eventSource":"kms.amazonaws.com","eventName":"DisableKey","detail":{"eventSource":"x","eventName":"y"}}}`,
		`{"detail":{"eventName":"DisableKey","detail":{"eventSource":"x","eventName":"y"}}}`,
		`{"detail":null}`, `{"detail":"text"}`, `{"detail":[1]}`, `{"eventSource":"s3.amazonaws.com"}`,
		`[{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}]`, `null`, `not json`, ``,
	} {
		events = append(events, detection.Event{Name: body, Body: []byte(body)})
	}
	records := 0
	for _, e := range events {
		want, wantOK := recordProbe(e.Body)
		got, gotOK := eventProbe(e)
		if got != want || gotOK != wantOK {
			t.Errorf("%s: eventProbe %+v %v, recordProbe %+v %v", e.Name, got, gotOK, want, wantOK)
		}
		if wantOK {
			records++
		}
	}
	if records == 0 || records == len(events) {
		t.Fatalf("%d of %d events are CloudTrail records: the test covers neither kind", records, len(events))
	}
}
