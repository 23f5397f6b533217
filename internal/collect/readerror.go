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
	for _, errs := range []errList{
		sectionErrors(r.CloudTrail, func(d *snapshot.CloudTrailView) errList { return errList{d.Error} }),
		sectionErrors(r.EventBridge, func(d *snapshot.EventBridgeData) errList { return errList{d.Error, d.BusPolicyError} }),
		sectionErrors(r.Logs, func(d *snapshot.LogsData) errList { return errList{d.Error} }),
		sectionErrors(r.CloudWatch, func(d *snapshot.CloudWatchData) errList { return errList{d.Error, d.HistoryError} }),
		sectionErrors(r.SNS, func(d *snapshot.SNSData) errList { return errList{d.Error} }),
		sectionErrors(r.Lambda, func(d *snapshot.LambdaData) errList { return errList{d.Error} }),
		sectionErrors(r.EC2, func(d *snapshot.EC2Data) errList { return errList{d.Error, d.SecurityGroupsError} }),
		sectionErrors(r.SSM, func(d *snapshot.SSMData) errList { return errList{d.Error} }),
		sectionErrors(r.Activity, func(d *snapshot.ActivityData) errList { return errList{d.Error} }),
	} {
		for _, e := range errs {
			if e != nil {
				n++
			}
		}
	}
	return n
}

type errList []*snapshot.ReadError

// sectionErrors is errs(s), the errors countErrors counts in a section; none if the section
// was not collected.
func sectionErrors[S any](s *S, errs func(*S) errList) errList {
	if s == nil {
		return nil
	}
	return errs(s)
}
