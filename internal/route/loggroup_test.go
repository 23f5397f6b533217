package route

import "testing"

func TestLogGroupFromARN(t *testing.T) {
	for in, want := range map[string]LogGroupRef{
		"arn:aws:logs:us-east-1:111111111111:log-group:aws-cloudtrail-logs:*": {"111111111111", "us-east-1", "aws-cloudtrail-logs", "aws"},
		"arn:aws-cn:logs:cn-north-1:111111111111:log-group:trail-logs:*":      {"111111111111", "cn-north-1", "trail-logs", "aws-cn"},
		"arn:aws:logs:eu-west-1:111111111111:log-group:/aws/cloudtrail/main":  {"111111111111", "eu-west-1", "/aws/cloudtrail/main", "aws"},
	} {
		got, err := LogGroupFromARN(in)
		if err != nil || got != want {
			t.Errorf("LogGroupFromARN(%s) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "cloudtrail-logs", "arn:aws:sns:us-east-1:111111111111:topic", "arn:aws:logs:us-east-1:111111111111:log-group:"} {
		if _, err := LogGroupFromARN(bad); err == nil {
			t.Errorf("LogGroupFromARN(%q) accepted", bad)
		}
	}
}
