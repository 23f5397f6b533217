package iampolicy

import (
	"testing"
	"time"
)

var fuzzPolicies = []string{
	defaultTopicPolicy,
	pol(allowCW, `{"Sid": "DenyOthers", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": "*",
		"Condition": {"StringNotEquals": {"aws:SourceAccount": "111122223333"}, "ArnNotLike": {"aws:SourceArn": "arn:aws:*:*:111122223333:*"}}}`),
	pol(`{"Effect": "Deny", "NotPrincipal": {"Service": ["events.amazonaws.com"], "AWS": "arn:aws:iam::111122223333:root"},
		"NotAction": "sts:*", "NotResource": ["arn:aws:sns:*:*:${aws:SourceAccount}", "x?${*}${$}"],
		"Condition": {"ForAllValues:StringLikeIfExists": {"aws:TagKeys": ["a*", 1, true]}, "Null": {"aws:PrincipalOrgID": "true"}}}`),
	`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole",
		"Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
		"ForAnyValue:StringEquals": {"aws:PrincipalServiceNamesList": "${aws:PrincipalServiceName, 'x'}"}, "BoolIfExists": {"aws:SecureTransport": false}}}}`,
	`{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["kms:*", "kms:GenerateDataKey?"], "Resource": "*",
		"Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:cloudwatch"}, "StringEqualsIgnoreCase": {"k": "${x}"}}}]}`,
}

// maxFuzzValue bounds the request strings the harness builds from fuzz input. Parse bounds the
// policy side; the request side belongs to the caller, and the glob costs at most the product
// of the two lengths.
const maxFuzzValue = 4 << 10

func clip(s string) string {
	if len(s) > maxFuzzValue {
		return s[:maxFuzzValue]
	}
	return s
}

// FuzzEvaluate checks that Parse never panics on any input and that Evaluate of any parsed
// policy never panics, returns a well-formed Result and finishes in bounded time.
func FuzzEvaluate(f *testing.F) {
	for _, p := range fuzzPolicies {
		f.Add(p, "sns:Publish", topicARN, "aws:SourceAccount", acct)
		f.Add(p, "sts:AssumeRole", "", "aws:TagKeys", "a*b")
	}
	f.Add(`{"Statement": [[[[{}]]]]}`, "", "", "", "")
	f.Add(`{"Statement": {"Effect": "Allow", "Action": "*"}}`, "*", "*", "${", "?")
	f.Fuzz(func(t *testing.T, doc, action, resource, key, value string) {
		p, err := Parse(doc)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		action, resource, key, value = clip(action), clip(resource), clip(key), clip(value)
		reqs := []Request{
			ServiceRequest(cw, action, resource, alarmARN, acct),
			ServiceRequest(events, "sts:AssumeRole", "", value, ""),
			{Principal: Principal{Account: acct}, Action: action, Resource: resource},
			{Action: action, Resource: resource,
				Context: map[string][]string{key: {value, resource}, "aws:SourceAccount": {value}, "aws:username": {value}, "s3:prefix": {}},
				Absent:  []string{value, "aws:*"}},
		}
		start := time.Now()
		for _, r := range reqs {
			res := p.Evaluate(r)
			if res.Decision < ImplicitDeny || res.Decision > Unknown {
				t.Fatalf("Decision %d out of range", int(res.Decision))
			}
			if res.Reason == "" {
				t.Fatalf("empty Reason for %v", res.Decision)
			}
			if (res.Statement == "") != (res.Decision == ImplicitDeny) {
				t.Fatalf("Statement %q with Decision %v", res.Statement, res.Decision)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Evaluate took %v", d)
		}
	})
}
