package faultproxy_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/faultproxy"
)

// TestWriteThrottleIsThrottlingToTheSDK: every service's throttling answer, in its protocol,
// is read by the SDK as an API error with the service's code, which the retryers classify as
// throttling (so the adaptive mode slows down and the retry budget is not spent).
func TestWriteThrottleIsThrottlingToTheSDK(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		service, _ := faultproxy.Operation(r)
		faultproxy.WriteThrottle(w, r, service)
	}))
	defer srv.Close()
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(srv.URL),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
	ctx := context.Background()
	calls := map[string]func() error{
		"cloudtrail": func() error {
			_, err := cloudtrail.NewFromConfig(cfg).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
			return err
		},
		"monitoring": func() error {
			_, err := awsclient.CloudWatch(cfg).DescribeAlarms(ctx, nil)
			return err
		},
		"logs": func() error {
			_, err := cloudwatchlogs.NewFromConfig(cfg).DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{})
			return err
		},
		"events": func() error {
			_, err := eventbridge.NewFromConfig(cfg).ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("r")})
			return err
		},
		"sns": func() error {
			_, err := sns.NewFromConfig(cfg).ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:t")})
			return err
		},
		"ec2": func() error {
			_, err := ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
			return err
		},
		"lambda": func() error {
			_, err := lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{})
			return err
		},
		"ssm": func() error {
			_, err := ssm.NewFromConfig(cfg).DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{})
			return err
		},
		"sts": func() error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		},
		"organizations": func() error {
			_, err := organizations.NewFromConfig(cfg).ListAccounts(ctx, &organizations.ListAccountsInput{})
			return err
		},
	}
	throttles := retry.IsErrorThrottles(retry.DefaultThrottles)
	for service, call := range calls {
		err := call()
		var api smithy.APIError
		if !errors.As(err, &api) {
			t.Errorf("%s: not an API error: %v", service, err)
			continue
		}
		if want, _ := faultproxy.ThrottleCode(service); api.ErrorCode() != want {
			t.Errorf("%s: code %q, want %q", service, api.ErrorCode(), want)
		}
		if throttles.IsErrorThrottle(err) != aws.TrueTernary {
			t.Errorf("%s: %v is not classified as throttling", service, err)
		}
	}
}
