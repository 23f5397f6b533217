// Package bench holds lookout's performance benchmarks (go test -bench, see BENCHMARKS.md) and
// what they need: a loopback proxy that adds a realistic AWS round trip to every moto_server
// answer and counts the calls, and a demo state to seed moto with.
//
// Nothing here runs in the ordinary test suite: the package has benchmarks only.
package bench

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

// Proxy forwards every request to an upstream (moto) and holds each answer for Delay before
// passing it on, so that a scan against a local emulator pays the round trip it would pay to
// AWS. It counts the requests it forwards.
type Proxy struct {
	URL   string
	Delay time.Duration
	calls atomic.Int64
	srv   *httptest.Server
}

// StartProxy starts a proxy to upstream on a free loopback port; Close stops it.
func StartProxy(upstream string, delay time.Duration) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	p := &Proxy{Delay: delay}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}
	rp.ModifyResponse = func(*http.Response) error {
		time.Sleep(p.Delay)
		return nil
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		rp.ServeHTTP(w, r)
	}))
	p.URL = p.srv.URL
	return p, nil
}

// Calls is the number of requests forwarded so far.
func (p *Proxy) Calls() int64 { return p.calls.Load() }

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }
