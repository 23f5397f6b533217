package awsarn

import "testing"

func TestParseAndBuild(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		want ARN
	}{
		{"arn:aws:cloudtrail:us-east-1:111122223333:trail/main", true, ARN{"aws", "cloudtrail", "us-east-1", "111122223333", "trail/main"}},
		{"arn:aws-cn:sns:cn-north-1:111122223333:alerts", true, ARN{"aws-cn", "sns", "cn-north-1", "111122223333", "alerts"}},
		{"arn:aws-us-gov:logs:us-gov-west-1:111122223333:log-group:g:*", true, ARN{"aws-us-gov", "logs", "us-gov-west-1", "111122223333", "log-group:g:*"}},
		{"arn:aws:iam::aws:policy/ReadOnlyAccess", true, ARN{"aws", "iam", "", "aws", "policy/ReadOnlyAccess"}},
		{"alerts", false, ARN{}},
		{"arn:aws::us-east-1:1:x", false, ARN{}},
	} {
		got, ok := Parse(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok && got.String() != tc.in {
			t.Errorf("Parse(%q).String() = %q", tc.in, got.String())
		}
	}
	if got := Build("", "events", "eu-west-1", "111122223333", "rule/r"); got != "arn:aws:events:eu-west-1:111122223333:rule/r" {
		t.Errorf("Build in the default partition = %q", got)
	}
	if got := AccountOf("arn:aws:sns:us-east-1:444455556666:t"); got != "444455556666" {
		t.Errorf("AccountOf = %q", got)
	}
	if got := AccountOf("not an arn"); got != "" {
		t.Errorf("AccountOf(not an arn) = %q", got)
	}
}
