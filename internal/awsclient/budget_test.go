package awsclient

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

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
