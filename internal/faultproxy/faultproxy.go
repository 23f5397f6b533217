// Package faultproxy is a loopback HTTP proxy for tests that stands between the AWS SDK and
// moto_server and, per API operation, injects the faults real AWS produces: AccessDenied,
// throttling, 5xx, malformed bodies, connection resets, slow answers, or plain latency.
//
// It is how lookout proves it fails closed: an operation that cannot be read must turn into
// ERROR for exactly the checks that needed it, and never into PASS.
package faultproxy

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is a kind of fault.
type Kind int

const (
	AccessDenied Kind = iota + 1 // the service's access-denied error, HTTP 400/403
	Throttle                     // ThrottlingException, HTTP 400
	ServerError                  // HTTP 500 InternalFailure
	Malformed                    // HTTP 200 with a body that is not the protocol's format
	Reset                        // the connection is closed without an answer
	Slow                         // the answer is held for Fault.Delay before being sent
	Empty                        // HTTP 200 with an empty answer: {} or an empty XML result
	EmptyBody                    // HTTP 200 with no body at all
	Truncated                    // the real answer's status and headers, and the first half of its body
)

// Fault is one rule: calls whose operation matches get Kind with probability Rate (1 if 0).
type Fault struct {
	// Operation is "service:Action" with the SigV4 signing name, e.g. "cloudtrail:GetTrailStatus",
	// "monitoring:DescribeAlarms", "logs:DescribeMetricFilters"; "*" as either part matches any.
	Operation string
	Kind      Kind
	Rate      float64
	Delay     time.Duration
}

// Proxy is a running fault proxy.
type Proxy struct {
	URL     string
	server  *httptest.Server
	target  *url.URL
	rp      *httputil.ReverseProxy
	mu      sync.Mutex
	faults  []Fault
	latency time.Duration
	rng     *rand.Rand
	// Injected counts faults injected, Calls every call seen.
	Injected atomic.Int64
	Calls    atomic.Int64
}

// New starts a proxy in front of target (a moto_server URL).
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: u, rng: rand.New(rand.NewPCG(1, 2))}
	p.rp = httputil.NewSingleHostReverseProxy(u)
	// A scan runs dozens of calls at once; keep that many connections to the upstream.
	p.rp.Transport = &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}
	p.server = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.server.URL
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() {
	p.server.CloseClientConnections()
	p.server.Close()
}

// SetFaults replaces the fault rules.
func (p *Proxy) SetFaults(f ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
}

// SetLatency adds d to every answer (a realistic AWS round trip over loopback).
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

var credScope = regexp.MustCompile(`Credential=[^/]+/[0-9]+/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)

// Operation names the call in r as "service:Action" (signing name and action), reading the
// body when the protocol carries the action there. The body is restored for forwarding.
func Operation(r *http.Request) (service, action string) {
	if m := credScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		service = m[2]
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		if i := strings.LastIndexByte(t, '.'); i >= 0 {
			return service, t[i+1:]
		}
		return service, t
	}
	if r.Body != nil && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			return service, v.Get("Action")
		}
	}
	// REST protocols (lambda, s3): method and path.
	return service, r.Method + " " + r.URL.Path
}

func matches(pattern, service, action string) bool {
	ps, pa, ok := strings.Cut(pattern, ":")
	if !ok {
		return false
	}
	return (ps == "*" || ps == service) && (pa == "*" || pa == action)
}

func (p *Proxy) pick(service, action string) (Fault, bool, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.faults {
		if !matches(f.Operation, service, action) {
			continue
		}
		rate := f.Rate
		if rate == 0 {
			rate = 1
		}
		if p.rng.Float64() < rate {
			return f, true, p.latency
		}
		break
	}
	return Fault{}, false, p.latency
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.Calls.Add(1)
	// Read the whole body first: the server notices a client that hung up (and cancels
	// r.Context()) only once the body has been consumed.
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	service, action := Operation(r)
	f, hit, latency := p.pick(service, action)
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	if !hit {
		p.rp.ServeHTTP(w, r)
		return
	}
	p.Injected.Add(1)
	switch f.Kind {
	case AccessDenied:
		writeError(w, r, http.StatusBadRequest, accessDeniedCode(service),
			fmt.Sprintf("User: arn:aws:sts::123456789012:assumed-role/audit/lookout is not authorized to perform: %s:%s", service, action))
	case Throttle:
		writeError(w, r, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
	case ServerError:
		writeError(w, r, http.StatusInternalServerError, "InternalFailure", "We encountered an internal error. Please try again.")
	case Malformed:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<<<this is not the protocol's format{{{")
	case Reset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0)
				}
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case Empty:
		if r.Header.Get("X-Amz-Target") != "" {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "{}")
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, `<%sResponse><%sResult></%sResult></%sResponse>`, action, action, action, action)
	case EmptyBody:
		if r.Header.Get("X-Amz-Target") != "" {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		} else {
			w.Header().Set("Content-Type", "text/xml")
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	case Truncated:
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, r)
		full := rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(full)/2))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(full[:len(full)/2])
	case Slow:
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
		p.rp.ServeHTTP(w, r)
	}
}

// accessDeniedCode is the code each service really uses for a denied call.
func accessDeniedCode(service string) string {
	switch service {
	case "cloudtrail", "events", "logs", "ssm", "lambda":
		return "AccessDeniedException"
	}
	return "AccessDenied"
}

// writeError answers in the error format of the request's protocol.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		if strings.Contains(r.Header.Get("Authorization"), "/ec2/") {
			fmt.Fprintf(w, `<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>fault</RequestID></Response>`, code, msg)
			return
		}
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fault</RequestId></ErrorResponse>`, code, msg)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message":%q}`, msg)
	}
}
