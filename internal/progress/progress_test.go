package progress

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/lookout-audit/lookout/internal/collect"
)

func TestDisabledBarIsSilentAndSafe(t *testing.T) {
	b := NewScan(&bytes.Buffer{}, 3, 2, false)
	if b != nil {
		t.Fatal("disabled bar should be nil")
	}
	cfg := aws.Config{}
	b.Attach(&cfg)
	b.Observe(collect.ProgressEvent{Account: "1", Region: "us-east-1"})
	b.Done()
	if len(cfg.APIOptions) != 0 || b.Calls() != 0 {
		t.Fatal("a nil bar changed the configuration")
	}
}

func TestBarShowsAccountsCallsErrors(t *testing.T) {
	var out bytes.Buffer
	b := NewScan(&out, 2, 0, true) // regions unknown until the accounts list them
	// Two configurations sharing one middleware list: attaching to both must count each once.
	base := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("k", "s", ""),
		BaseEndpoint: aws.String("http://127.0.0.1:1"), // nothing listens: the call fails fast
		Retryer:      func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) },
		APIOptions:   make([]func(*middleware.Stack) error, 0, 4),
	}
	a, c := base.Copy(), base.Copy()
	b.Attach(&a)
	b.Attach(&c)
	for _, cfg := range []aws.Config{a, c, a} {
		_, _ = sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	}
	if got := b.Calls(); got != 3 {
		t.Fatalf("counted %d API calls, want 3", got)
	}
	b.Observe(collect.ProgressEvent{Account: "111111111111", Planned: 2})
	b.Observe(collect.ProgressEvent{Account: "111111111111", Region: "us-east-1", Errors: 1})
	b.Observe(collect.ProgressEvent{Account: "111111111111", Region: "us-west-2"})
	b.Observe(collect.ProgressEvent{Account: "111111111111", AccountDone: true})
	b.Observe(collect.ProgressEvent{Account: "222222222222", AccountDone: true, Errors: 1}) // role not assumable
	b.mu.Lock()
	desc := b.describe()
	planned := b.planned
	b.mu.Unlock()
	b.Done()
	if want := "accounts 2/2 · 3 API calls · 2 errors"; desc != want {
		t.Errorf("description %q, want %q", desc, want)
	}
	if planned != 2 {
		t.Errorf("planned regions %d, want 2", planned)
	}
	if !strings.Contains(out.String(), "regions") {
		t.Errorf("bar output %q does not show the region count", out.String())
	}
}
