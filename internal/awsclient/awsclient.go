// Package awsclient builds the AWS SDK configuration and service clients lookout uses, in one
// place, so that every client gets the same credentials chain, endpoint override and retry
// policy.
package awsclient

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// DefaultRegion is where account-wide calls (STS, DescribeRegions, Organizations) go when
// neither the profile nor the environment names a region.
const DefaultRegion = "us-east-1"

// DefaultMaxAttempts is generous because a scan of a large organisation meets throttling as a
// matter of course: with 30% of calls throttled, eight attempts leave one call in 15,000
// unanswered, and the adaptive mode slows the client down meanwhile.
const DefaultMaxAttempts = 8

// maxBackoff caps the wait between two attempts of one call.
const maxBackoff = 5 * time.Second

// Options select credentials and endpoint.
type Options struct {
	Profile string
	// EndpointURL points every client at one endpoint, such as a moto_server; empty means
	// AWS_ENDPOINT_URL if set (the SDK reads it), else the real AWS endpoints.
	EndpointURL string
	// MaxAttempts caps attempts per call under the adaptive retry mode (0: DefaultMaxAttempts).
	MaxAttempts int
}

// LoadConfig resolves credentials through the SDK default chain (environment, profile, SSO,
// IMDS) and configures adaptive retries, which slow down under throttling instead of failing.
func LoadConfig(ctx context.Context, o Options) (aws.Config, error) {
	budget := newRetryBudget(DefaultFailureRetries, DefaultDialRetries)
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return budgeted{budget: budget, RetryerV2: retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
				ao.Throttles = append(ao.Throttles, snsThrottled)
				attempts := o.MaxAttempts
				if attempts <= 0 {
					attempts = DefaultMaxAttempts
				}
				ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) {
					so.MaxAttempts = attempts
					// The client-side retry quota is a circuit breaker for services that
					// call AWS without bound; a scan's concurrency is already bounded, and
					// running out of quota mid-scan would turn throttling into ERRORs.
					so.RateLimiter = ratelimit.None
					// Back off at most 5 s between attempts (the SDK's default is 20 s): with
					// eight attempts a failing call then gives up in seconds, not minutes.
					so.MaxBackoff = maxBackoff
					so.Retryables = append(so.Retryables, retry.RetryableErrorCode{Codes: snsThrottled.Codes})
				})
			})}
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
	cfg.HTTPClient = sharedHTTPClient(cfg.HTTPClient)
	RejectEmptyAnswers(&cfg)
	attachDebug(ctx, &cfg)
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

// sharedHTTPClient returns one client for every service client of a scan: one connection
// pool instead of one per (account, region, service), sized for the scan's concurrency. It
// keeps the transport the SDK configured (custom CA bundle, proxies, dial timeouts).
func sharedHTTPClient(c aws.HTTPClient) aws.HTTPClient {
	var tr *http.Transport
	switch bc := c.(type) {
	case *awshttp.BuildableClient:
		tr = bc.GetTransport()
	case nil:
		tr = awshttp.NewBuildableClient().GetTransport()
	default:
		return c
	}
	// As many idle connections per host as calls a scan has in flight by default
	// (collect.DefaultConcurrency): an endpoint that serves every service and region (an
	// emulator, a proxy) then reuses its connections instead of opening new ones.
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 512
	return &http.Client{Transport: tr}
}

// CloseIdleConnections releases the pooled connections of cfg's HTTP client once a scan is
// done with them, so that a long-lived process (or a test) does not keep sockets open.
func CloseIdleConnections(cfg aws.Config) {
	if c, ok := cfg.HTTPClient.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
