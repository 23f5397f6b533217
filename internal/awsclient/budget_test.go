package awsclient

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func TestRetryBudget(t *testing.T) {
	throttle := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	serverErr := &smithy.GenericAPIError{Code: "InternalFailure", Message: "boom"}
	b := newRetryBudget(3, 2)
	for i := 0; i < 100; i++ {
		if !b.allow(throttle) {
			t.Fatal("throttling spent the budget: the adaptive mode paces it instead")
		}
	}
	for i, want := range []bool{true, true, false, false} {
		if got := b.allow(dial); got != want {
			t.Errorf("dial failure %d: allow = %v, want %v", i, got, want)
		}
	}
	for i, want := range []bool{true, true, true, false} {
		if got := b.allow(serverErr); got != want {
			t.Errorf("server error %d: allow = %v, want %v", i, got, want)
		}
	}
}

// TestDeadEndpointFailsFast: calls to an endpoint that refuses connections stop being retried
// once the scan's dial budget is spent, and the error names the refusal.
func TestDeadEndpointFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more: connections are refused
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	cfg, err := LoadConfig(context.Background(), Options{EndpointURL: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	client := sts.NewFromConfig(cfg)
	var last error
	for i := 0; i < 6; i++ {
		_, last = client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if last == nil {
			t.Fatal("a refused connection answered")
		}
	}
	if !strings.Contains(last.Error(), "connection refused") || !strings.Contains(last.Error(), "retry budget") {
		t.Errorf("error after the budget is spent: %v", last)
	}
}

// TestThrottleDelay: a throttled retry waits less than 0.25 s·2^attempt, never more than
// maxBackoff, and the waits are jittered (not all equal).
func TestThrottleDelay(t *testing.T) {
	throttle := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	r := budgeted{budget: newRetryBudget(0, 0), RetryerV2: retry.NewAdaptiveMode()}
	for attempt := 1; attempt <= 20; attempt++ {
		ceiling := maxBackoff
		if attempt < 5 {
			ceiling = throttleBackoff << attempt
		}
		seen := map[time.Duration]bool{}
		for range 50 {
			d, err := r.RetryDelay(attempt, throttle)
			if err != nil || d < 0 || d >= ceiling {
				t.Fatalf("attempt %d: delay %v, %v; want in [0, %v)", attempt, d, err, ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("attempt %d: the delays are not jittered", attempt)
		}
	}
	// Throttling spends no budget, even when it is empty.
	if _, err := r.GetRetryToken(context.Background(), throttle); err != nil {
		t.Errorf("a throttled call was refused a retry: %v", err)
	}
}

// TestSNSThrottledIsThrottling: SNS names its throttling error "Throttled" (HTTP 429), a code
// the SDK's defaults do not list. lookout's retryer retries it as throttling: without spending
// the retry budget.
func TestSNSThrottledIsThrottling(t *testing.T) {
	snsThrottle := &smithy.GenericAPIError{Code: "Throttled", Message: "Rate exceeded"}
	b := newRetryBudget(0, 0)
	if !b.allow(snsThrottle) {
		t.Error("SNS Throttled spent (an empty) retry budget: it is throttling")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	cfg, err := LoadConfig(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Retryer().IsErrorRetryable(snsThrottle) {
		t.Error("the configured retryer does not retry SNS's Throttled")
	}
	if cfg.Retryer().IsErrorRetryable(&smithy.GenericAPIError{Code: "AuthorizationError"}) {
		t.Error("the configured retryer retries an authorization error")
	}
}
