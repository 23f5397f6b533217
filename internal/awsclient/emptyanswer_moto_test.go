package awsclient_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/faultproxy"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

// TestEmptyAnswerIsAnError: through the configuration LoadConfig builds, a 200 answer with no
// body is an error naming the operation for every JSON- and query-protocol call with an
// output (awsJson, awsQuery, ec2Query), and a real answer is not; REST protocols are left alone.
func TestEmptyAnswerIsAnError(t *testing.T) {
	srv := motoserver.Start(t)
	srv.UseAsDefault(t)
	ctx := motoserver.Ctx(t)
	p, err := faultproxy.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	cfg, err := awsclient.LoadConfig(ctx, awsclient.Options{EndpointURL: p.URL, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		op   string
		call func() error
	}{
		{"ssm:DescribeInstanceInformation", func() error {
			_, err := ssm.NewFromConfig(cfg).DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
			return err
		}},
		{"cloudtrail:DescribeTrails", func() error {
			_, err := cloudtrail.NewFromConfig(cfg).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
			return err
		}},
		{"monitoring:DescribeAlarms", func() error {
			_, err := awsclient.CloudWatch(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
			return err
		}},
		{"sns:ListTopics", func() error {
			_, err := sns.NewFromConfig(cfg).ListTopics(ctx, &sns.ListTopicsInput{})
			return err
		}},
		{"ec2:DescribeInstances", func() error {
			_, err := ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
			return err
		}},
	}
	for _, c := range calls {
		p.SetFaults()
		if err := c.call(); err != nil {
			t.Errorf("%s, a real answer: %v", c.op, err)
		}
		p.SetFaults(faultproxy.Fault{Operation: c.op, Kind: faultproxy.EmptyBody})
		err := c.call()
		_, action, _ := strings.Cut(c.op, ":")
		if err == nil || !strings.Contains(err.Error(), awsclient.EmptyAnswerCode) || !strings.Contains(err.Error(), ":"+action+" answered HTTP 200 with an empty body") {
			t.Errorf("%s with an empty body: %v, want an %s error naming it", c.op, err, awsclient.EmptyAnswerCode)
		}
	}
	// A REST-JSON call is not judged by its body (Lambda answers some operations with none).
	p.SetFaults(faultproxy.Fault{Operation: "lambda:*", Kind: faultproxy.EmptyBody})
	if _, err := lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil && strings.Contains(err.Error(), awsclient.EmptyAnswerCode) {
		t.Errorf("a REST-JSON answer was judged by its body: %v", err)
	}
}
