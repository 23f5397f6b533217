package awsclient

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// Retry budget. AWS throttles per account, region and API, and the adaptive retry mode paces
// a scan to the allowed rate, so throttling is retried without limit of count (up to the
// attempts of each call). Other failures are different: a service answering 500 for good, an
// endpoint refusing connections or a name that does not resolve will not heal within a scan,
// and retrying every call of the scan eight times with back-off turns a dead service into
// minutes of waiting. Those retries draw on a budget shared by the whole scan; once it is
// spent they are not retried, so the scan ends quickly and the affected checks say ERROR with
// the service's own error.
const (
	// DefaultFailureRetries is how many retries of non-throttling failures a scan may make.
	DefaultFailureRetries = 200
	// DefaultDialRetries is how many retries of connection failures (refused, unreachable, no
	// such host) a scan may make: these signal a wrong or unreachable endpoint.
	DefaultDialRetries = 8
	// dialBackoff caps the wait before retrying a connection that could not be made: a brief
	// network blip heals within it, and a dead endpoint should not cost more.
	dialBackoff = 250 * time.Millisecond
)

// errBudgetSpent ends retries once the scan's budget is spent.
var errBudgetSpent = errors.New("not retried: this scan's retry budget for failing calls is spent (the service keeps failing)")

// retryBudget is shared by every client built from one LoadConfig.
type retryBudget struct {
	failures atomic.Int64
	dials    atomic.Int64
}

func newRetryBudget(failures, dials int64) *retryBudget {
	b := &retryBudget{}
	b.failures.Store(failures)
	b.dials.Store(dials)
	return b
}

// snsThrottled is the code SNS's API model gives its throttling error ("Throttled", HTTP 429),
// which the SDK's default list of throttling codes lacks: without it a throttled SNS read
// would be retried as a failure, spending the retry budget, or not retried at all.
var snsThrottled = retry.ThrottleErrorCode{Codes: map[string]struct{}{"Throttled": {}}}

var throttles = retry.IsErrorThrottles(append(append([]retry.IsErrorThrottle{}, retry.DefaultThrottles...), snsThrottled))

// allow reports whether opErr may be retried, and spends budget if so.
func (b *retryBudget) allow(opErr error) bool {
	if throttles.IsErrorThrottle(opErr) == aws.TrueTernary {
		return true
	}
	if isDialFailure(opErr) {
		return b.dials.Add(-1) >= 0
	}
	return b.failures.Add(-1) >= 0
}

// isDialFailure: the connection could not even be made.
func isDialFailure(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// budgeted is a retryer whose retries of non-throttling failures draw on a shared budget.
type budgeted struct {
	aws.RetryerV2
	budget *retryBudget
}

// Throttled calls back off less than failing ones. A throttled call waits for a token of its
// (account, region, API) bucket, which refills within a second at AWS's rates, and the adaptive
// mode already paces the client after the first throttling error; the SDK's back-off (up to 2 s,
// then 4 s, then a flat 5 s) left a throttled scan waiting seconds after its buckets had
// refilled (BENCHMARKS.md, "Throttled at AWS's rates"). A throttled retry waits a random time
// below throttleBackoff·2^attempt, at most maxBackoff: below 0.5 s, 1 s, 2 s, 4 s, then 5 s, so
// a call still keeps retrying for about 11 s on average (22 s at most) before it fails.
const throttleBackoff = 250 * time.Millisecond

// throttleDelay is the wait before retry attempt (1 for the first retry) of a throttled call.
func throttleDelay(attempt int) time.Duration {
	ceiling := maxBackoff
	if attempt < 16 {
		ceiling = min(maxBackoff, throttleBackoff<<attempt)
	}
	return time.Duration(rand.Float64() * float64(ceiling))
}

func (r budgeted) RetryDelay(attempt int, opErr error) (time.Duration, error) {
	if throttles.IsErrorThrottle(opErr) == aws.TrueTernary {
		return throttleDelay(attempt), nil
	}
	d, err := r.RetryerV2.RetryDelay(attempt, opErr)
	if err == nil && isDialFailure(opErr) && d > dialBackoff {
		d = dialBackoff
	}
	return d, err
}

func (r budgeted) GetRetryToken(ctx context.Context, opErr error) (func(error) error, error) {
	if !r.budget.allow(opErr) {
		return nil, errBudgetSpent
	}
	return r.RetryerV2.GetRetryToken(ctx, opErr)
}
