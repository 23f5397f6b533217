package collect

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// readError records a failed call. Operation is "service:Action", which is also the IAM action
// a reader needs to grant. Messages come from AWS error responses, which carry no secrets;
// request ids are dropped so that two runs over the same failure read the same.
func readError(operation string, err error) *snapshot.ReadError {
	e := &snapshot.ReadError{Operation: operation}
	var api smithy.APIError
	switch {
	case errors.As(err, &api):
		e.Code = api.ErrorCode()
		e.Message = api.ErrorMessage()
		if e.Message == "" {
			e.Message = api.Error()
		}
	case errors.Is(err, context.DeadlineExceeded):
		e.Code, e.Message = "Timeout", "no answer before the deadline"
	case errors.Is(err, context.Canceled):
		e.Code, e.Message = "Canceled", "the scan was cancelled"
	default:
		e.Message = firstLine(err.Error())
	}
	return e
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// countErrors counts the read errors recorded in a region, for progress reporting: each
// service section's own error, and the region-wide reads next to it (the default bus's
// policy, the alarm history). Errors about one item (a subscription's attributes, a function's
// policy, a queue, a key) are left to the checks that judge that item.
func countErrors(r *snapshot.Region) int {
	n := 0
	add := func(e *snapshot.ReadError) {
		if e != nil {
			n++
		}
	}
	if r.CloudTrail != nil {
		add(r.CloudTrail.Error)
	}
	if r.EventBridge != nil {
		add(r.EventBridge.Error)
		add(r.EventBridge.BusPolicyError)
	}
	if r.Logs != nil {
		add(r.Logs.Error)
	}
	if r.CloudWatch != nil {
		add(r.CloudWatch.Error)
		add(r.CloudWatch.HistoryError)
	}
	if r.SNS != nil {
		add(r.SNS.Error)
	}
	if r.Lambda != nil {
		add(r.Lambda.Error)
	}
	if r.EC2 != nil {
		add(r.EC2.Error)
		add(r.EC2.SecurityGroupsError)
	}
	if r.SSM != nil {
		add(r.SSM.Error)
	}
	return n
}
