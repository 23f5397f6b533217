package bench

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// Limit is one token bucket, as AWS throttles a control-plane API: at most Burst calls at
// once, refilled at Rate calls a second. A call that finds the bucket empty is answered with
// the service's throttling error (faultproxy.WriteThrottle) and takes no token.
type Limit struct {
	Rate  float64 // tokens added per second
	Burst float64 // the bucket's size (full at the start)
}

// Throttle gives every (account, region, API operation) its own bucket, the way AWS throttles
// per account, per region and per API. Limits is keyed by "service:Action" with the SigV4
// signing name ("monitoring:DescribeAlarms"), or "service:*"; anything else gets Default.
type Throttle struct {
	Limits  map[string]Limit
	Default Limit
}

// limit is the bucket an operation gets.
func (t *Throttle) limit(service, action string) Limit {
	if l, ok := t.Limits[service+":"+action]; ok {
		return l
	}
	if l, ok := t.Limits[service+":*"]; ok {
		return l
	}
	return t.Default
}

// AWSLimits are AWS's documented default request rates for what lookout reads, per account,
// region and API. AWS publishes a bucket size only for EC2; elsewhere the burst is taken as one
// second's worth. Sources (BENCHMARKS.md lists them): the CloudTrail quotas page ("Get,
// describe, and list APIs: 10 TPS"), CloudWatch's quotas (DescribeAlarms 9 TPS;
// DescribeAlarmHistory 3 TPS), the CloudWatch Logs API reference (DescribeLogStreams 5 TPS),
// the SNS API reference (ListSubscriptionsByTopic 30 TPS), the EC2 API throttling page
// (non-mutating actions: bucket 100, refill 20 a second). The rest are assumptions, marked.
func AWSLimits() *Throttle {
	l := func(rate float64) Limit { return Limit{Rate: rate, Burst: rate} }
	return &Throttle{
		Limits: map[string]Limit{
			"cloudtrail:*":                    l(10),
			"monitoring:DescribeAlarms":       l(9),
			"monitoring:DescribeAlarmHistory": l(3),
			"monitoring:*":                    l(3),
			"logs:DescribeMetricFilters":      l(5), // as the issue gives it
			"logs:DescribeLogStreams":         l(5),
			"logs:*":                          l(10), // assumed
			"sns:*":                           l(30), // ListSubscriptionsByTopic's; assumed for the others
			"events:*":                        l(50), // "all EventBridge APIs other than PutEvents" (not AWS's own page)
			"ec2:*":                           {Rate: 20, Burst: 100},
			"ssm:*":                           l(40), // as the issue gives it
			"sts:*":                           l(50), // assumed
			"iam:*":                           l(10), // assumed
			"organizations:*":                 l(10), // assumed
		},
		Default: l(10), // lambda, sqs, kms: assumed
	}
}

// Scaled is t with every rate and burst multiplied by f (at least one token of burst): f = 1/3
// is an account where other tools (AWS Config, Security Hub, deployment pipelines) already
// spend two thirds of every bucket.
func (t *Throttle) Scaled(f float64) *Throttle {
	scale := func(l Limit) Limit { return Limit{Rate: l.Rate * f, Burst: max(1, l.Burst*f)} }
	out := &Throttle{Limits: map[string]Limit{}, Default: scale(t.Default)}
	for k, l := range t.Limits {
		out.Limits[k] = scale(l)
	}
	return out
}

// bucket is one (account, region, operation)'s token bucket and what it saw.
type bucket struct {
	limit  Limit
	tokens float64
	last   time.Time
	// ok and throttled count the calls answered and refused; first and lastOK are the
	// arrival of the first call and of the last call answered.
	ok, throttled int
	first, lastOK time.Time
}

// take spends a token at now, if one is left.
func (b *bucket) take(now time.Time) bool {
	if b.first.IsZero() {
		b.first, b.last, b.tokens = now, now, b.limit.Burst
	}
	b.tokens = min(b.limit.Burst, b.tokens+now.Sub(b.last).Seconds()*b.limit.Rate)
	b.last = now
	if b.tokens < 1 {
		b.throttled++
		return false
	}
	b.tokens--
	b.ok++
	b.lastOK = now
	return true
}

// buckets is a Throttle in force: one bucket per (account, region, operation).
type buckets struct {
	t  *Throttle
	mu sync.Mutex
	m  map[string]*bucket
}

// allow takes a token for a call arriving at now.
func (bs *buckets) allow(account, region, service, action string, now time.Time) bool {
	key := account + " " + region + " " + service + ":" + action
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b := bs.m[key]
	if b == nil {
		b = &bucket{limit: bs.t.limit(service, action)}
		bs.m[key] = b
	}
	return b.take(now)
}

// BucketStat is what one (account, region, operation) bucket saw.
type BucketStat struct {
	Key       string // "account region service:Action"
	Limit     Limit
	Calls     int           // answered
	Throttled int           // refused with a throttling error
	Span      time.Duration // from the first call's arrival to the last answered call's
}

// Allowed is how many calls the bucket could have answered over Span: a full bucket plus what
// it refilled. Calls/Allowed is how close to its limit the bucket was driven (at most 1).
func (s BucketStat) Allowed() float64 { return s.Limit.Burst + s.Limit.Rate*s.Span.Seconds() }

// MinSpan is the least time any client could take to have Calls answered: the calls beyond a
// full bucket, at the refill rate.
func (s BucketStat) MinSpan() time.Duration {
	over := float64(s.Calls) - s.Limit.Burst
	if over <= 0 {
		return 0
	}
	return time.Duration(over / s.Limit.Rate * float64(time.Second))
}

// SetThrottle puts t in force from now on (nil: no throttling), with every bucket full.
func (r *Replay) SetThrottle(t *Throttle) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.throttle = nil
	if t != nil {
		r.throttle = &buckets{t: t, m: map[string]*bucket{}}
	}
}

// Buckets reports every bucket of the throttle in force, the most constrained first (the
// longest MinSpan, then the most calls).
func (r *Replay) Buckets() []BucketStat {
	r.mu.Lock()
	bs := r.throttle
	r.mu.Unlock()
	if bs == nil {
		return nil
	}
	bs.mu.Lock()
	out := make([]BucketStat, 0, len(bs.m))
	for k, b := range bs.m {
		out = append(out, BucketStat{Key: k, Limit: b.limit, Calls: b.ok, Throttled: b.throttled, Span: b.lastOK.Sub(b.first)})
	}
	bs.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if a, b := out[i].MinSpan(), out[j].MinSpan(); a != b {
			return a > b
		}
		if out[i].Calls != out[j].Calls {
			return out[i].Calls > out[j].Calls
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// operationOf is "service:Action" of a bucket key.
func operationOf(key string) string { return key[strings.LastIndexByte(key, ' ')+1:] }
