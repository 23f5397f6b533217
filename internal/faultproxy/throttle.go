package faultproxy

import (
	"fmt"
	"net/http"
)

// ThrottleCode is the error code and HTTP status with which a service (by its SigV4 signing
// name) answers a call over its rate limit: "Throttling" with 400 for the query-protocol
// services (CloudWatch, SNS, STS, IAM: "Throttling: Rate exceeded, status code: 400"),
// "RequestLimitExceeded" with 503 for EC2, "TooManyRequestsException" with 429 for Lambda and
// 400 for Organizations, "SlowDown" with 503 for S3, and "ThrottlingException" with 400 for
// the JSON services (CloudTrail, CloudWatch Logs, EventBridge, SSM, KMS, SQS). Every one is a
// code the AWS SDK classifies as throttling (retry.DefaultThrottleErrorCodes).
func ThrottleCode(service string) (code string, status int) {
	switch service {
	case "monitoring", "sns", "sts", "iam":
		return "Throttling", http.StatusBadRequest
	case "ec2":
		return "RequestLimitExceeded", http.StatusServiceUnavailable
	case "lambda":
		return "TooManyRequestsException", http.StatusTooManyRequests
	case "organizations":
		return "TooManyRequestsException", http.StatusBadRequest
	case "s3":
		return "SlowDown", http.StatusServiceUnavailable
	}
	return "ThrottlingException", http.StatusBadRequest
}

// WriteThrottle answers r as its service does a call over its rate limit: ThrottleCode's code
// and status, in the error format of the request's protocol, with AWS's message "Rate
// exceeded". service is the signing name (Operation's first result).
func WriteThrottle(w http.ResponseWriter, r *http.Request, service string) {
	code, status := ThrottleCode(service)
	if service == "s3" {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<Error><Code>%s</Code><Message>Please reduce your request rate.</Message><RequestId>throttle</RequestId></Error>`, code)
		return
	}
	writeError(w, r, status, code, "Rate exceeded")
}
