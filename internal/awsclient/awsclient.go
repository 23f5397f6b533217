// Package awsclient builds the AWS SDK configuration and service clients lookout uses, in one
// place, so that every client gets the same credentials chain, endpoint override and retry
// policy.
package awsclient

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// DefaultRegion is where account-wide calls (STS, DescribeRegions, Organizations) go when
// neither the profile nor the environment names a region.
const DefaultRegion = "us-east-1"

// Options select credentials and endpoint.
type Options struct {
	Profile string
	// EndpointURL points every client at one endpoint, such as a moto_server; empty means
	// AWS_ENDPOINT_URL if set (the SDK reads it), else the real AWS endpoints.
	EndpointURL string
	// MaxAttempts caps attempts per call under the adaptive retry mode (0: SDK default, 3).
	MaxAttempts int
}

// LoadConfig resolves credentials through the SDK default chain (environment, profile, SSO,
// IMDS) and configures adaptive retries, which slow down under throttling instead of failing.
func LoadConfig(ctx context.Context, o Options) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
				if o.MaxAttempts > 0 {
					ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) {
						so.MaxAttempts = o.MaxAttempts
					})
				}
			})
		}),
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.EndpointURL != "" {
		opts = append(opts, config.WithBaseEndpoint(o.EndpointURL))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return cfg, nil
}

// EndpointFromEnv reports the endpoint override the SDK will use from the environment.
func EndpointFromEnv() string { return os.Getenv("AWS_ENDPOINT_URL") }

// CloudWatch returns a CloudWatch client speaking the AWS query protocol. Newer SDKs default to
// Smithy RPCv2 CBOR; query is still served by AWS and is also what emulators such as
// moto_server speak, so tests exercise exactly the protocol used in production.
func CloudWatch(cfg aws.Config, optFns ...func(*cloudwatch.Options)) *cloudwatch.Client {
	optFns = append([]func(*cloudwatch.Options){func(o *cloudwatch.Options) {
		o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
	}}, optFns...)
	return cloudwatch.NewFromConfig(cfg, optFns...)
}
