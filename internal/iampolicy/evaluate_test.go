package iampolicy

import (
	"strings"
	"testing"
	"time"
)

const (
	acct     = "111122223333"
	other    = "444455556666"
	topicARN = "arn:aws:sns:us-east-1:111122223333:alarms"
	alarmARN = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:HighCPU"
	ruleARN  = "arn:aws:events:us-east-1:111122223333:rule/root-login"
	cw       = "cloudwatch.amazonaws.com"
	events   = "events.amazonaws.com"
)

// defaultTopicPolicy is the policy SNS gives a new topic (SNS Developer Guide, "Example cases
// for Amazon SNS access control"): everyone, provided AWS:SourceOwner is the topic's account.
const defaultTopicPolicy = `{
  "Version": "2008-10-17",
  "Id": "__default_policy_ID",
  "Statement": [
    {
      "Sid": "__default_statement_ID",
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
        "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
        "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
      "Resource": "arn:aws:sns:us-east-1:111122223333:alarms",
      "Condition": {"StringEquals": {"AWS:SourceOwner": "111122223333"}}
    }
  ]
}`

// allowCW is a topic policy statement list prefix allowing CloudWatch to publish, for policies
// that add a Deny after it.
const allowCW = `{"Sid": "AllowCW", "Effect": "Allow", "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
  "Action": "sns:Publish", "Resource": "arn:aws:sns:us-east-1:111122223333:alarms"}`

func pol(stmts ...string) string {
	return `{"Version": "2012-10-17", "Statement": [` + strings.Join(stmts, ",") + `]}`
}

func cwReq() Request { return ServiceRequest(cw, "sns:Publish", topicARN, alarmARN, acct) }
func acctReq() Request {
	return Request{Principal: Principal{Account: acct}, Action: "sns:Publish", Resource: topicARN}
}

func TestEvaluate(t *testing.T) {
	cases := []struct {
		name   string
		policy string
		req    Request
		want   Decision
		stmt   string // expected Result.Statement; "-" to skip the check
		reason string // substring expected in Reason; "" to skip
	}{
		// The default topic policy: Principal AWS "*" matches service principals too, and
		// AWS:SourceOwner is what lets same-account services through.
		{"default topic policy allows cloudwatch", defaultTopicPolicy, cwReq(), Allow,
			`Sid "__default_statement_ID"`, `statement "__default_statement_ID" allows sns:Publish to cloudwatch.amazonaws.com (condition StringEquals AWS:SourceOwner)`},
		// EventBridge does not carry AWS:SourceOwner: the default policy does not let it
		// publish (it needs a statement for events.amazonaws.com).
		{"default topic policy does not let eventbridge publish", defaultTopicPolicy,
			ServiceRequest(events, "sns:Publish", topicARN, ruleARN, acct), ImplicitDeny, "", "no statement allows sns:Publish to events.amazonaws.com"},
		{"default topic policy refuses another account's alarm", defaultTopicPolicy,
			ServiceRequest(cw, "sns:Publish", topicARN, "arn:aws:cloudwatch:us-east-1:444455556666:alarm:X", other), ImplicitDeny,
			"", "no statement allows sns:Publish to cloudwatch.amazonaws.com"},
		{"default topic policy, SourceOwner unknown without source account", defaultTopicPolicy,
			ServiceRequest(cw, "sns:Publish", topicARN, alarmARN, ""), Unknown, `Sid "__default_statement_ID"`, "AWS:SourceOwner"},
		{"default topic policy: version 2008 action names are case-insensitive", defaultTopicPolicy,
			ServiceRequest(cw, "SNS:PUBLISH", topicARN, alarmARN, acct), Allow, "-", ""},

		// Service principal scoped with aws:SourceArn.
		{"service principal with ArnLike SourceArn", pol(`{"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
			"Action": "sns:Publish", "Resource": "arn:aws:sns:us-east-1:111122223333:alarms",
			"Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:111122223333:alarm:*"}}}`),
			cwReq(), Allow, "statement 1", "statement 1 allows sns:Publish to cloudwatch.amazonaws.com (condition ArnLike aws:SourceArn)"},
		{"ArnLike SourceArn naming another account", pol(`{"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
			"Action": "sns:Publish", "Resource": "arn:aws:sns:us-east-1:111122223333:alarms",
			"Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:444455556666:alarm:*"}}}`),
			cwReq(), ImplicitDeny, "", ""},
		{"ArnEquals behaves like ArnLike", pol(`{"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
			"Action": "sns:Publish", "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:cloudwatch:*:111122223333:alarm:High*"}}}`),
			cwReq(), Allow, "-", ""},
		{"ARN wildcard stays inside its component", pol(`{"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
			"Action": "sns:Publish", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-*:alarm:*"}}}`),
			cwReq(), ImplicitDeny, "", ""},
		{"ARN pattern with fewer than six parts is Unknown", pol(`{"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
			"Action": "sns:Publish", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:*"}}}`),
			cwReq(), Unknown, "statement 1", `cannot evaluate ArnLike aws:SourceArn: the pattern "arn:aws:cloudwatch:*" is not a six-part ARN`},
		{"ArnNotLike on an absent key is true", pol(allowCW, `{"Sid": "D", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"ArnNotLike": {"aws:SourceArn": "arn:aws:cloudwatch:*:111122223333:alarm:*"}}}`),
			Request{Principal: Principal{Service: cw}, Action: "sns:Publish", Resource: topicARN, Absent: []string{"aws:SourceArn"}},
			ExplicitDeny, `Sid "D"`, ""},

		// Deny statements.
		{"Deny StringNotEquals SourceAccount, other account", pol(allowCW, `{"Sid": "DenyOthers", "Effect": "Deny", "Principal": "*",
			"Action": "sns:Publish", "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceAccount": "111122223333"}}}`),
			ServiceRequest(cw, "sns:Publish", topicARN, "arn:aws:cloudwatch:us-east-1:444455556666:alarm:X", other), ExplicitDeny,
			`Sid "DenyOthers"`, `statement "DenyOthers" denies sns:Publish to cloudwatch.amazonaws.com (condition StringNotEquals aws:SourceAccount)`},
		{"Deny StringNotEquals SourceAccount, own account", pol(allowCW, `{"Sid": "DenyOthers", "Effect": "Deny", "Principal": "*",
			"Action": "sns:Publish", "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceAccount": "111122223333"}}}`),
			cwReq(), Allow, `Sid "AllowCW"`, ""},
		{"StringNotEquals with several values is NOR", pol(allowCW, `{"Sid": "D", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"StringNotEquals": {"aws:SourceAccount": ["999999999999", "111122223333"]}}}`),
			cwReq(), Allow, "-", ""},
		{"NotAction Deny denies every other action", pol(allowCW, `{"Sid": "OnlySubscribe", "Effect": "Deny", "Principal": "*",
			"NotAction": ["sns:Subscribe", "sns:Receive"], "Resource": "*"}`), cwReq(), ExplicitDeny, `Sid "OnlySubscribe"`, ""},
		{"NotAction Deny spares the listed action", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:*", "Resource": "*"}`,
			`{"Effect": "Deny", "Principal": "*", "NotAction": "sns:Publish", "Resource": "*"}`), cwReq(), Allow, "statement 1", ""},
		{"NotPrincipal Deny excluding the service spares it", pol(allowCW, `{"Sid": "OnlyCW", "Effect": "Deny",
			"NotPrincipal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish", "Resource": "*"}`), cwReq(), Allow, `Sid "AllowCW"`, ""},
		{"NotPrincipal Deny excluding the service denies others", pol(allowCW, `{"Sid": "OnlyCW", "Effect": "Deny",
			"NotPrincipal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish", "Resource": "*"}`),
			ServiceRequest(events, "sns:Publish", topicARN, ruleARN, acct), ExplicitDeny, `Sid "OnlyCW"`, "to events.amazonaws.com"},
		{"definite Deny wins over an earlier Allow", pol(`{"Effect": "Allow", "Principal": "*", "Action": "*"}`,
			`{"Effect": "Deny", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish"}`), cwReq(), ExplicitDeny, "statement 2", ""},

		// Principals.
		{"account root ARN does not match a service request", pol(`{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
			"Action": "sns:Publish", "Resource": "*"}`), cwReq(), ImplicitDeny, "", ""},
		{"account root ARN matches the account", pol(`{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
			"Action": "sns:Publish", "Resource": "*"}`), acctReq(), Allow, "statement 1", "to account 111122223333"},
		{"bare account id matches the account", pol(`{"Effect": "Allow", "Principal": {"AWS": ["999999999999", "111122223333"]},
			"Action": "sns:Publish", "Resource": "*"}`), acctReq(), Allow, "-", ""},
		{"role ARN does not match the account", pol(`{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Ops"},
			"Action": "sns:Publish", "Resource": "*"}`), acctReq(), ImplicitDeny, "", ""},
		{"Principal * matches a service", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish"}`), cwReq(), Allow, "-", ""},
		{"Service principal is not an account principal", pol(`{"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
			"Action": "sns:Publish"}`), acctReq(), ImplicitDeny, "", ""},
		{"Federated and CanonicalUser never match", pol(`{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com",
			"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, "Action": "*"}`), cwReq(), ImplicitDeny, "", ""},
		{"no Principal element applies to everyone", pol(`{"Effect": "Allow", "Action": "sns:Publish"}`), cwReq(), Allow, "-", ""},

		// Actions and resources.
		{"Action wildcard sns:*", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:*", "Resource": "*"}`), cwReq(), Allow, "-", ""},
		{"Action case SNS:Publish", pol(`{"Effect": "Allow", "Principal": "*", "Action": "SNS:Publish"}`), cwReq(), Allow, "-", ""},
		{"Action ? wildcard", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Pub?ish"}`), cwReq(), Allow, "-", ""},
		{"Action of another service", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sqs:*"}`), cwReq(), ImplicitDeny, "", ""},
		{"kms:GenerateDataKey* matches kms:GenerateDataKey", `{"Version": "2012-10-17", "Id": "key-policy", "Statement": [
			{"Sid": "Allow CloudWatch", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
			 "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}]}`,
			ServiceRequest(cw, "kms:GenerateDataKey", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", alarmARN, acct),
			Allow, `Sid "Allow CloudWatch"`, ""},
		{"Resource wildcard, topic in another region", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Resource": "arn:aws:sns:us-west-2:111122223333:*"}`), cwReq(), ImplicitDeny, "", ""},
		{"Resource is case-sensitive", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Resource": "arn:aws:sns:us-east-1:111122223333:Alarms"}`), cwReq(), ImplicitDeny, "", ""},
		{"NotResource", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"NotResource": "arn:aws:sns:us-east-1:111122223333:other"}`), cwReq(), Allow, "-", ""},

		// Condition operators and absent keys.
		{"StringLikeIfExists with absent key", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"StringLikeIfExists": {"aws:SourceVpce": "vpce-*"}}}`), cwReq(), Allow, "-", ""},
		{"StringLike without IfExists on absent key", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"StringLike": {"aws:SourceVpce": "vpce-*"}}}`), cwReq(), ImplicitDeny, "", ""},
		{"Null true on an absent key", pol(allowCW, `{"Sid": "NeedSource", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"Null": {"aws:SourceArn": "true"}}}`),
			Request{Principal: Principal{Service: cw}, Action: "sns:Publish", Resource: topicARN, Absent: []string{"AWS:SOURCEARN"}},
			ExplicitDeny, `Sid "NeedSource"`, ""},
		{"Null true on a present key", pol(allowCW, `{"Sid": "NeedSource", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"Null": {"aws:SourceArn": "true"}}}`), cwReq(), Allow, `Sid "AllowCW"`, ""},
		{"Null false on a present key", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"Null": {"aws:SourceAccount": false}}}`), cwReq(), Allow, "-", ""},
		{"Null on an unknown key", pol(allowCW, `{"Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"Null": {"aws:SourceArn": "true"}}}`),
			Request{Principal: Principal{Service: cw}, Action: "sns:Publish", Resource: topicARN}, Unknown, "statement 2", "Null aws:SourceArn"},
		{"Bool SecureTransport false Deny does not apply", pol(allowCW, `{"Effect": "Deny", "Principal": "*", "Action": "*",
			"Condition": {"Bool": {"aws:SecureTransport": false}}}`), cwReq(), Allow, "-", ""},
		{"Numeric comparison", pol(`{"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
			"Condition": {"NumericLessThanEquals": {"s3:max-keys": 100}}}`),
			Request{Action: "s3:ListBucket", Context: map[string][]string{"S3:Max-Keys": {"10"}}}, Allow, "-", "to an anonymous caller"},
		{"NumericNotEquals", pol(`{"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
			"Condition": {"NumericNotEquals": {"s3:max-keys": ["10", "20"]}}}`),
			Request{Action: "s3:ListBucket", Context: map[string][]string{"s3:max-keys": {"10.0"}}}, ImplicitDeny, "", ""},
		{"ForAnyValue with one matching value", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sqs:TagQueue",
			"Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}}`),
			Request{Action: "sqs:TagQueue", Context: map[string][]string{"aws:TagKeys": {"team", "cost"}}}, Allow, "-", ""},
		{"ForAllValues with a value outside the list", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sqs:TagQueue",
			"Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}}`),
			Request{Action: "sqs:TagQueue", Context: map[string][]string{"aws:TagKeys": {"team", "cost"}}}, ImplicitDeny, "", ""},
		{"ForAllValues with an absent key is true", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sqs:TagQueue",
			"Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}}`),
			Request{Action: "sqs:TagQueue", Absent: []string{"aws:TagKeys"}}, Allow, "-", ""},
		{"ForAnyValue with an absent key is false, IfExists or not", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sqs:TagQueue",
			"Condition": {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["team"]}}}`),
			Request{Action: "sqs:TagQueue", Context: map[string][]string{"aws:TagKeys": {}}}, ImplicitDeny, "", ""},
		{"ForAllValues:StringNotLike Deny", pol(`{"Effect": "Allow", "Principal": "*", "Action": "*"}`, `{"Effect": "Deny", "Principal": "*",
			"Action": "*", "Condition": {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}}`),
			Request{Action: "iam:TagRole", Context: map[string][]string{"aws:TagKeys": {"key2:audit"}}}, ExplicitDeny, "statement 2", ""},
		{"multi-valued key without a set operator", pol(`{"Effect": "Allow", "Principal": "*", "Action": "*",
			"Condition": {"StringEquals": {"aws:TagKeys": "team"}}}`),
			Request{Action: "sqs:TagQueue", Context: map[string][]string{"aws:TagKeys": {"team", "cost"}}}, Unknown, "statement 1", "several values"},
		{"DateGreaterThan is Unknown naming the statement", pol(`{"Sid": "TimeBox", "Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}`),
			Request{Principal: Principal{Service: cw}, Action: "sns:Publish", Context: map[string][]string{"aws:CurrentTime": {"2026-01-01T00:00:00Z"}}},
			Unknown, `Sid "TimeBox"`, `statement "TimeBox" might: cannot evaluate DateGreaterThan aws:CurrentTime: operator not supported`},
		{"unknown Deny outweighs a definite Allow", pol(allowCW, `{"Sid": "Freeze", "Effect": "Deny", "Principal": "*", "Action": "*",
			"Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}`),
			Request{Principal: Principal{Service: cw}, Action: "sns:Publish", Resource: topicARN, Context: map[string][]string{"aws:CurrentTime": {"2026-01-01T00:00:00Z"}}},
			Unknown, `Sid "Freeze"`, `statement "Freeze" might deny sns:Publish to cloudwatch.amazonaws.com: cannot evaluate DateLessThan aws:CurrentTime`},
		{"definite Deny outweighs an unknown Deny", pol(`{"Effect": "Deny", "Principal": "*", "Action": "*",
			"Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}`, `{"Sid": "Always", "Effect": "Deny", "Principal": "*", "Action": "*"}`),
			cwReq(), ExplicitDeny, `Sid "Always"`, ""},
		{"unsupported operator decided by the absent-key rule", pol(`{"Effect": "Allow", "Principal": "*", "Action": "*",
			"Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}}`), cwReq(), ImplicitDeny, "", ""},
		{"unsupported negated operator on an absent key", pol(allowCW, `{"Sid": "Net", "Effect": "Deny", "Principal": "*", "Action": "*",
			"Condition": {"NotIpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}}}`), cwReq(), ExplicitDeny, `Sid "Net"`, ""},
		{"IpAddress on aws:SourceIp of a service request", pol(`{"Effect": "Allow", "Principal": "*", "Action": "*",
			"Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}`), cwReq(), Unknown, "statement 1", "IpAddress aws:SourceIp"},
		{"unrecognised operator is Unknown even on an absent key", pol(`{"Effect": "Allow", "Principal": "*", "Action": "*",
			"Condition": {"StringSortOf": {"aws:SourceVpc": "x"}}}`), cwReq(), Unknown, "statement 1", "operator not recognised"},
		{"PrincipalOrgID is absent on a service request", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}`), cwReq(), ImplicitDeny, "", ""},
		{"data-perimeter Deny on PrincipalOrgID blocks services", pol(allowCW, `{"Sid": "Perimeter", "Effect": "Deny", "Principal": "*",
			"Action": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}`), cwReq(), ExplicitDeny, `Sid "Perimeter"`, ""},
		{"data-perimeter Deny exempting services", pol(allowCW, `{"Sid": "Perimeter", "Effect": "Deny", "Principal": "*", "Action": "*",
			"Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}`),
			cwReq(), Allow, `Sid "AllowCW"`, ""},
		{"PrincipalTag family is absent on a service request", pol(allowCW, `{"Effect": "Deny", "Principal": "*", "Action": "*",
			"Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "ops"}}}`), cwReq(), ExplicitDeny, "statement 2", ""},
		{"key neither in Context nor Absent is Unknown", pol(`{"Sid": "ByArn", "Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}}`), cwReq(), Unknown, `Sid "ByArn"`,
			"cannot evaluate ArnLike aws:PrincipalArn: the key is neither in the request context nor known to be absent"},
		{"false condition outweighs an unknown one", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}, "StringEquals": {"aws:SourceAccount": "444455556666"}}}`),
			cwReq(), ImplicitDeny, "", ""},
		{"condition key names are case-insensitive", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"StringEquals": {"AWS:SOURCEACCOUNT": 111122223333}}}`), cwReq(), Allow, "-", ""},
		{"StringEqualsIgnoreCase", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"StringEqualsIgnoreCase": {"aws:PrincipalServiceName": "CloudWatch.AmazonAWS.com"}}}`), cwReq(), Allow, "-", ""},

		// Policy variables.
		{"policy variable resolved from the context", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:${aws:SourceAccount}:alarm:*"}}}`), cwReq(), Allow, "-", ""},
		{"policy variable that cannot be resolved", pol(`{"Sid": "Var", "Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}}}`), cwReq(), Unknown, `Sid "Var"`,
			"policy variable ${aws:PrincipalAccount} is neither in the request context nor known to be absent"},
		{"policy variable of an absent key, with a default", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Condition": {"StringEquals": {"aws:PrincipalServiceName": "${aws:username, 'cloudwatch.amazonaws.com'}"}}}`), cwReq(), Allow, "-", ""},
		{"policy variable in Resource", pol(`{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Resource": "arn:aws:sns:us-east-1:111122223333:${aws:SourceAccount}"}`),
			ServiceRequest(cw, "sns:Publish", "arn:aws:sns:us-east-1:111122223333:111122223333", alarmARN, acct), Allow, "-", ""},
		{"policy variable in Resource that cannot be resolved", pol(`{"Sid": "R", "Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
			"Resource": "arn:aws:sns:us-east-1:111122223333:${aws:PrincipalArn}"}`), cwReq(), Unknown, `Sid "R"`, "cannot match Resource"},
		{"policy variables are literal under version 2008-10-17", `{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Principal": "*",
			"Action": "sns:Publish", "Condition": {"StringEquals": {"aws:SourceAccount": "${aws:SourceAccount}"}}}}`, cwReq(), ImplicitDeny, "", ""},
		{"${*} is a literal asterisk", pol(`{"Effect": "Allow", "Principal": "*", "Action": "*",
			"Condition": {"StringLike": {"s3:prefix": "home/${*}"}}}`),
			Request{Action: "s3:ListBucket", Context: map[string][]string{"s3:prefix": {"home/alice"}}}, ImplicitDeny, "", ""},
		{"${*} matches an asterisk", pol(`{"Effect": "Allow", "Principal": "*", "Action": "*",
			"Condition": {"StringLike": {"s3:prefix": "home/${*}${?}${$}"}}}`),
			Request{Action: "s3:ListBucket", Context: map[string][]string{"s3:prefix": {"home/*?$"}}}, Allow, "-", ""},
		{"substituted value is not a wildcard", pol(`{"Effect": "Allow", "Principal": "*", "Action": "*",
			"Condition": {"StringLike": {"s3:prefix": "${aws:username}/x"}}}`),
			Request{Action: "s3:ListBucket", Context: map[string][]string{"s3:prefix": {"bob/x"}, "aws:username": {"*"}}}, ImplicitDeny, "", ""},

		// Trust policies and document shapes.
		{"trust policy for events.amazonaws.com", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
			"Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}]}`,
			ServiceRequest(events, "sts:AssumeRole", "", ruleARN, acct), Allow, "statement 1", "allows sts:AssumeRole to events.amazonaws.com"},
		{"trust policy for another service", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
			"Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}]}`,
			ServiceRequest("lambda.amazonaws.com", "sts:AssumeRole", "", "", ""), ImplicitDeny, "", ""},
		{"Statement as a single object", `{"Statement": {"Sid": "One", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
			"Action": "sns:Publish", "Resource": "arn:aws:sns:us-east-1:111122223333:alarms"}}`, cwReq(), Allow, `Sid "One"`, ""},
		{"no statement applies", pol(`{"Effect": "Deny", "Principal": "*", "Action": "sqs:*"}`), cwReq(), ImplicitDeny, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.policy)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := p.Evaluate(tc.req)
			t.Logf("%v [%s] %s", got.Decision, got.Statement, got.Reason)
			if got.Decision != tc.want {
				t.Fatalf("Decision = %v, want %v (%s: %s)", got.Decision, tc.want, got.Statement, got.Reason)
			}
			if tc.stmt != "-" && got.Statement != tc.stmt {
				t.Errorf("Statement = %q, want %q", got.Statement, tc.stmt)
			}
			if tc.reason != "" && !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("Reason = %q, want it to contain %q", got.Reason, tc.reason)
			}
			if got.Reason == "" {
				t.Error("empty Reason")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"syntax error with line and column", "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\",}\n  ]\n}", "line 3, column 24"},
		{"truncated document", `{"Statement": [`, "unexpected end of JSON input"},
		{"trailing data", `{"Statement": {"Effect": "Allow", "Action": "*"}} {}`, "unexpected data after the policy document"},
		{"not an object", `[]`, "must be a JSON object"},
		{"Effect lower-case", pol(`{"Effect": "allow", "Principal": "*", "Action": "*"}`), `Statement[0].Effect: "allow" is not "Allow" or "Deny"`},
		{"missing Effect", pol(`{"Principal": "*", "Action": "*"}`), "Statement[0]: missing Effect"},
		{"missing Action", `{"Statement": {"Effect": "Allow", "Principal": "*"}}`, "Statement: missing Action"},
		{"Action and NotAction", pol(`{"Effect": "Allow", "Action": "*", "NotAction": "s3:*"}`), "Statement[0]: has both Action and NotAction"},
		{"Principal and NotPrincipal", pol(`{"Effect": "Deny", "Principal": "*", "NotPrincipal": "*", "Action": "*"}`), "has both Principal and NotPrincipal"},
		{"Resource and NotResource", pol(`{"Effect": "Deny", "Action": "*", "Resource": "*", "NotResource": "*"}`), "has both Resource and NotResource"},
		{"Action not a string", pol(`{"Effect": "Allow", "Action": ["sns:Publish", 7]}`), "Statement[0].Action[1]: must be a string"},
		{"empty Action list", pol(`{"Effect": "Allow", "Action": []}`), "Statement[0].Action: is an empty list"},
		{"condition block not an object", pol(`{"Effect": "Allow", "Action": "*"}`, `{"Effect": "Allow", "Action": "*"}`,
			`{"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": "x"}}`), "Statement[2].Condition.StringEquals: must be an object of condition keys"},
		{"condition value null", pol(`{"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": {"aws:SourceAccount": null}}}`),
			"Statement[0].Condition.StringEquals.aws:SourceAccount: must be a string"},
		{"condition value list with an object", pol(`{"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": {"aws:SourceAccount": ["1", {}]}}}`),
			"Statement[0].Condition.StringEquals.aws:SourceAccount[1]: must be a string, number or boolean"},
		{"Condition not an object", pol(`{"Effect": "Allow", "Action": "*", "Condition": []}`), "Statement[0].Condition: must be an object"},
		{"string principal other than *", pol(`{"Effect": "Allow", "Principal": "123456789012", "Action": "*"}`), `Statement[0].Principal: a principal given as a string must be "*"`},
		{"unknown principal type", pol(`{"Effect": "Allow", "Principal": {"Services": "x"}, "Action": "*"}`), "Statement[0].Principal.Services: unknown principal type"},
		{"unknown statement element", pol(`{"Effect": "Allow", "Action": "*", "Condtion": {}}`), "Statement[0].Condtion: unknown statement element"},
		{"unknown policy element", `{"version": "2012-10-17", "Statement": []}`, "version: unknown policy element"},
		{"bad Version", `{"Version": "2012-10-18", "Statement": {"Effect": "Allow", "Action": "*"}}`, `Version: must be "2012-10-17" or "2008-10-17"`},
		{"no Statement", `{"Version": "2012-10-17"}`, "no Statement element"},
		{"empty Statement", `{"Statement": []}`, "Statement: is empty"},
		{"Statement entry not an object", `{"Statement": ["x"]}`, "Statement[0]: must be an object"},
		{"duplicate key", `{"Statement": {"Effect": "Allow", "Effect": "Deny", "Action": "*"}}`, `duplicate key "Effect"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.doc)
			if err == nil {
				t.Fatalf("Parse succeeded (%d statements), want error containing %q", len(p.statements), tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestParseLimits checks that huge and deeply nested documents are refused, and quickly.
func TestParseLimits(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"over 64 KiB", `{"Statement": [` + strings.Repeat(`{"Effect": "Allow", "Action": "*"},`, 2000) + `]}`, "over the 65536-byte limit"},
		{"deeply nested", `{"Statement": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, "nested deeper than 32 levels"},
		{"deep inside a condition", pol(`{"Effect": "Allow", "Action": "*", "Condition": {"StringEquals": {"k": ` +
			strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}}`), "nested deeper than 32 levels"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse(tc.doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestGlobNoBacktrackingBlowup feeds the pattern that makes naive recursive matchers exponential.
func TestGlobNoBacktrackingBlowup(t *testing.T) {
	pattern := strings.Repeat("a*", 40) + "b"
	value := strings.Repeat("a", 4000)
	p, err := Parse(pol(`{"Effect": "Allow", "Action": "*", "Resource": "` + pattern + `",
		"Condition": {"StringLike": {"k": "` + pattern + `"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := p.Evaluate(Request{Action: "x:y", Resource: value, Context: map[string][]string{"k": {value}}})
	if got.Decision != ImplicitDeny {
		t.Errorf("Decision = %v, want implicit deny", got.Decision)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"", "", true}, {"", "a", false}, {"a*", "a", true}, {"a*b", "axxb", true},
		{"a*b", "axxbc", false}, {"a?c", "abc", true}, {"a?c", "ac", false}, {"*b*", "abc", true},
		{"a*b*c", "abbbc", true}, {"a*b*c", "acb", false}, {"é?", "éü", true}, {"**", "x", true},
	}
	for _, tc := range cases {
		if got := glob(compile(tc.pattern, true, false).flat, tc.s); got != tc.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{ImplicitDeny: "implicit deny", Allow: "allow", ExplicitDeny: "explicit deny", Unknown: "unknown", 9: "Decision(9)"} {
		if got := d.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(d), got, want)
		}
	}
}

func TestServiceRequest(t *testing.T) {
	r := ServiceRequest(cw, "sns:Publish", topicARN, alarmARN, acct)
	rc := newReqCtx(r)
	for key, want := range map[string]string{"aws:sourcearn": alarmARN, "AWS:SourceAccount": acct, "aws:SourceOwner": acct,
		"aws:SecureTransport": "true", "aws:PrincipalServiceName": cw, "aws:PrincipalIsAWSService": "true"} {
		if v, st := rc.lookup(key); st != keyPresent || v[0] != want {
			t.Errorf("%s = %v (state %d), want %q", key, v, st, want)
		}
	}
	for _, key := range []string{"aws:PrincipalOrgID", "aws:principaltag/Team", "aws:MultiFactorAuthPresent", "aws:SourceVpce"} {
		if _, st := rc.lookup(key); st != keyAbsent {
			t.Errorf("%s state %d, want absent", key, st)
		}
	}
	for _, key := range []string{"aws:PrincipalArn", "aws:PrincipalAccount", "aws:SourceIp", "aws:userid"} {
		if _, st := rc.lookup(key); st != keyUnknown {
			t.Errorf("%s state %d, want unknown", key, st)
		}
	}
	if _, st := newReqCtx(ServiceRequest(cw, "sqs:SendMessage", "q", "", acct)).lookup("aws:SourceOwner"); st != keyUnknown {
		t.Errorf("AWS:SourceOwner set for sqs:SendMessage")
	}
	if _, st := newReqCtx(ServiceRequest(cw, "sns:Publish", "q", "", acct)).lookup("aws:SourceArn"); st != keyUnknown {
		t.Errorf("aws:SourceArn should be unknown when not given")
	}
	// The returned Absent list is the caller's to modify.
	r.Absent[0] = "x"
	if serviceAbsentKeys[0] == "x" {
		t.Error("ServiceRequest shares its Absent list")
	}
}
