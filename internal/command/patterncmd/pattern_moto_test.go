package patterncmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

// `pattern test --aws` prints the emulator's answer beside lookout's: moto's event pattern
// matcher agrees on a sign-in event; the launcher's TestMetricFilter double (which matches
// every message of a JSON pattern) disagrees on an event the CIS root filter does not match,
// and that is exit 2.
func TestPatternTestAWS(t *testing.T) {
	srv := motoserver.Start(t)
	srv.UseAsDefault(t)
	dir := t.TempDir()
	event := filepath.Join(dir, "signin.json")
	if err := os.WriteFile(event, []byte(`{"version":"0","id":"6f87d04b-9f74-4f04-a780-7acf4b0a9b38","detail-type":"AWS Console Sign In via CloudTrail",`+
		`"source":"aws.signin","account":"123456789012","time":"2026-11-20T10:00:00Z","region":"us-east-1","resources":[],"detail":{"eventName":"ConsoleLogin"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := runTest(context.Background(), &out, strings.NewReader(""), testOptions{eventPattern: `{"source":["aws.signin"]}`, aws: true, region: "us-west-2"}, []string{event})
	if err != nil || !strings.Contains(out.String(), "AWS       MATCH     "+event+" (events:TestEventPattern in us-west-2: agrees)") {
		t.Errorf("event pattern: err %v, output:\n%s", err, out.String())
	}

	record := filepath.Join(dir, "user-call.json")
	if err := os.WriteFile(record, []byte(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","userName":"alice"},"eventName":"DescribeTrails","eventType":"AwsApiCall"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = runTest(context.Background(), &out, strings.NewReader(""), testOptions{filterPattern: cisRoot, aws: true}, []string{record})
	if exitcode.Code(err) != exitcode.Incomplete || !strings.Contains(out.String(), "NO MATCH  "+record) ||
		!strings.Contains(out.String(), "AWS       MATCH     "+record+" (logs:TestMetricFilter in us-east-1: DISAGREES with lookout)") {
		t.Errorf("filter pattern: err %v (code %d), output:\n%s", err, exitcode.Code(err), out.String())
	}
}
