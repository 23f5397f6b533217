package collect

import "testing"

// The ARNs collect parses or builds, in every partition: an account in aws-cn or aws-us-gov
// writes its ARNs with its own partition, and none of them may be mistaken for "not an ARN".
func TestARNsInEveryPartition(t *testing.T) {
	for _, c := range []struct{ arn, kind, account, name string }{
		{"arn:aws:iam::123456789012:role/service-role/events-ssm", "role", "123456789012", "events-ssm"},
		{"arn:aws-cn:iam::123456789012:role/events", "role", "123456789012", "events"},
		{"arn:aws-us-gov:iam::123456789012:role/a/b/events", "role", "123456789012", "events"},
		{"arn:aws-us-gov:iam::123456789012:instance-profile/web", "instance-profile", "123456789012", "web"},
		{"arn:aws-cn:iam::123456789012:instance-profile/path/web", "instance-profile", "123456789012", "web"},
		{"arn:aws-cn:iam::123456789012:instance-profile/web", "role", "", ""},
		{"arn:aws-us-gov:sts::123456789012:role/events", "role", "", ""},
		{"arn:aws-cn:iam::123456789012:role", "role", "", ""},
		{"role/events", "role", "", ""},
	} {
		if account, name := iamResource(c.arn, c.kind); account != c.account || name != c.name {
			t.Errorf("iamResource(%q, %q) = %q, %q, want %q, %q", c.arn, c.kind, account, name, c.account, c.name)
		}
	}

	expectEach(t, "unqualifiedFunctionARN", unqualifiedFunctionARN, map[string]string{
		"arn:aws-cn:lambda:cn-north-1:123456789012:function:fn":           "arn:aws-cn:lambda:cn-north-1:123456789012:function:fn",
		"arn:aws-cn:lambda:cn-north-1:123456789012:function:fn:live":      "arn:aws-cn:lambda:cn-north-1:123456789012:function:fn",
		"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:fn:7":  "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:fn",
		"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:a:b:c": "",
		"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function":       "",
		"arn:aws-cn:sns:cn-north-1:123456789012:function:fn":              "",
	})

	for _, c := range []struct{ region, arn, want string }{
		{"cn-north-1", "arn:aws-cn:sqs:cn-north-1:123456789012:alerts", "alerts"},
		{"us-gov-west-1", "arn:aws-us-gov:sqs:us-gov-west-1:123456789012:alerts.fifo", "alerts.fifo"},
		{"us-gov-west-1", "arn:aws-us-gov:sqs:us-gov-east-1:123456789012:alerts", ""}, // another region
		{"cn-north-1", "arn:aws-cn:sqs:cn-north-1:210987654321:alerts", ""},           // another account
		{"cn-north-1", "arn:aws-cn:sns:cn-north-1:123456789012:alerts", ""},
		{"cn-north-1", "arn:aws-cn:sqs:cn-north-1:123456789012:", ""},
		{"cn-north-1", "arn:aws-cn:sqs:cn-north-1:123456789012:a:b", ""},
		{"cn-north-1", "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/alerts", ""},
	} {
		rc := &regionClients{region: c.region, accountID: "123456789012"}
		if got := rc.queueName(c.arn); got != c.want {
			t.Errorf("queueName(%q) in %s = %q, want %q", c.arn, c.region, got, c.want)
		}
	}

	expectEach(t, "awsManagedAlias", awsManagedAlias, map[string]bool{
		"arn:aws-cn:kms:cn-north-1:123456789012:alias/aws/sns":        true,
		"arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/aws/sqs": true,
		"arn:aws-cn:kms:cn-north-1:123456789012:alias/mine":           false,
		"arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/1234":      false,
	})

	for _, endpoint := range []string{
		"arn:aws-cn:sqs:cn-north-1:123456789012:q",
		"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f",
	} {
		if got := endpointARN("lambda", endpoint); got != endpoint {
			t.Errorf("endpointARN(lambda, %q) = %q, want it kept", endpoint, got)
		}
	}
	if got := endpointARN("sqs", "arn:q"); got != "" {
		t.Errorf("endpointARN(sqs, arn:q) = %q, want none: not an ARN", got)
	}

	asked := []string{"arn:aws-cn:ssm:cn-north-1:123456789012:parameter/agent/config", "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/plain", "local"}
	expectEach(t, "askedName", func(name string) string { return askedName(asked, name) }, map[string]string{
		"/agent/config": asked[0],
		"plain":         asked[1],
		"local":         "local",
		"config":        "config",
	})

	expectEach(t, "Partition", Partition, map[string]string{
		"arn:aws:sts::123456789012:assumed-role/audit/lookout":    "aws",
		"arn:aws-cn:iam::123456789012:user/auditor":               "aws-cn",
		"arn:aws-us-gov:sts::123456789012:assumed-role/a/lookout": "aws-us-gov",
		"":                            "aws",
		"arn::iam::123456789012:root": "aws",
		"not-an-arn":                  "aws",
	})
}

// expectEach checks f against a table of inputs and the answers wanted.
func expectEach[V comparable](t *testing.T, name string, f func(string) V, want map[string]V) {
	t.Helper()
	for in, w := range want {
		if got := f(in); got != w {
			t.Errorf("%s(%q) = %v, want %v", name, in, got, w)
		}
	}
}
