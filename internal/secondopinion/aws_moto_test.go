package secondopinion

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

// TestAWSEvaluatorOnMoto asks the emulator's evaluators: events:TestEventPattern is answered
// with moto's own matcher, logs:TestMetricFilter by the launcher's test double (moto has
// none), which matches every message for a JSON pattern. Over the demo organisation's findings
// the double disagrees with lookout on the negatives of JSON filter patterns: those findings,
// and only those, turn ERROR, and every call made is one the result counts.
func TestAWSEvaluatorOnMoto(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Ctx(t)
	cfg := srv.Config("us-east-1")
	rec := &awsclient.Recorder{}
	rec.Attach(&cfg)
	ev := NewAWS(cfg)

	event := `{"version":"0","id":"6f87d04b-9f74-4f04-a780-7acf4b0a9b38","detail-type":"AWS Console Sign In via CloudTrail","source":"aws.signin",` +
		`"account":"123456789012","time":"2026-11-20T10:00:00Z","region":"us-east-1","resources":[],"detail":{"eventName":"ConsoleLogin"}}`
	if m, err := ev.EventMatches(ctx, "us-east-1", `{"source":["aws.signin"],"detail":{"eventName":["ConsoleLogin"]}}`, []byte(event)); err != nil || !m {
		t.Errorf("TestEventPattern on a matching event = %v, %v", m, err)
	}
	if m, err := ev.EventMatches(ctx, "us-west-2", `{"source":["aws.ec2"]}`, []byte(event)); err != nil || m {
		t.Errorf("TestEventPattern on another source = %v, %v", m, err)
	}
	if _, err := ev.EventMatches(ctx, "us-east-1", `{"source":["aws.signin"]}`, []byte(`{"source":"aws.signin"}`)); err == nil || !strings.Contains(err.Error(), "ValidationException") {
		t.Errorf("an event without id, account, time, region, resources and detail-type: %v, want ValidationException", err)
	}
	got, err := ev.FilterMatches(ctx, "us-east-1", `"Accepted publickey"`, []string{"sshd[1]: Accepted publickey for ec2-user", "sshd[1]: Failed password for root"})
	if err != nil || len(got) != 2 || !got[0] || got[1] {
		t.Errorf("TestMetricFilter on a quoted term = %v, %v", got, err)
	}

	findings := demoFindings(t)
	before := make([]checks.Status, len(findings))
	for i, f := range findings {
		before[i] = f.Status
	}
	calls := len(rec.Calls())
	res := Verify(ctx, ev, findings, Options{})
	if made := len(rec.Calls()) - calls; made != res.Calls || res.Calls == 0 {
		t.Errorf("%d calls made, result counts %d", made, res.Calls)
	}
	if len(res.Errors) != 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	filterDisagreements := 0
	for _, d := range res.Disagreements {
		if strings.HasPrefix(d.What, "metric filter ") {
			filterDisagreements++
			for _, e := range d.Events {
				if !e.AWSMatches || e.LookoutMatches {
					t.Errorf("%s: the double matches every message of a JSON pattern, got %+v", d.What, e)
				}
			}
		} else {
			t.Logf("moto's event pattern matcher disagrees with lookout on %s (%s): %+v", d.What, d.Pattern, d.Events)
		}
	}
	if filterDisagreements == 0 {
		t.Fatalf("no disagreement planted by the double: %+v", res)
	}
	for i, f := range findings {
		b, _ := json.Marshal(f.Evidence)
		disagrees := strings.Contains(string(b), `"disagrees":[`)
		switch {
		case disagrees && f.Status != checks.Error:
			t.Errorf("%s %s %s: AWS's evaluator disagrees, status %s", f.CheckID, f.Account, f.Region, f.Status)
		case !disagrees && f.Status != before[i]:
			t.Errorf("%s %s %s: status %s -> %s with no disagreement", f.CheckID, f.Account, f.Region, before[i], f.Status)
		}
	}
}
