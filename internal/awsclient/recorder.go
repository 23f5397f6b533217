package awsclient

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Call is one API operation performed through a recorded configuration.
type Call struct {
	Service   string // SDK service id, e.g. "CloudTrail"
	Operation string // e.g. "GetTrailStatus"
	Region    string
	Input     string // the input parameters as JSON, to spot repeated calls
}

// Recorder counts the API calls made with the configurations it is attached to. Benchmarks
// use it to prove that no call is made twice for the same data, and the least-privilege tests
// to prove the shipped IAM policies cover every call lookout makes.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
}

// Attach adds the recorder to cfg (which is modified) and returns it.
func (r *Recorder) Attach(cfg *aws.Config) {
	// Copy before appending: configurations copied with aws.Config.Copy share the list.
	cfg.APIOptions = append(append([]func(*middleware.Stack) error{}, cfg.APIOptions...), func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("lookoutRecorder",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				input, _ := json.Marshal(in.Parameters)
				r.mu.Lock()
				r.calls = append(r.calls, Call{
					Service:   awsmiddleware.GetServiceID(ctx),
					Operation: awsmiddleware.GetOperationName(ctx),
					Region:    awsmiddleware.GetRegion(ctx),
					Input:     string(input),
				})
				r.mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

// Calls returns a copy of the calls recorded so far.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// Operations counts calls by "Service:Operation".
func (r *Recorder) Operations() map[string]int {
	out := map[string]int{}
	for _, c := range r.Calls() {
		out[c.Service+":"+c.Operation]++
	}
	return out
}

// Repeated lists calls made more than once with the same region and input.
func (r *Recorder) Repeated() []string {
	seen := map[Call]int{}
	for _, c := range r.Calls() {
		seen[c]++
	}
	var out []string
	for c, n := range seen {
		if n > 1 {
			out = append(out, fmt.Sprintf("%dx %s:%s in %s with %s", n, c.Service, c.Operation, c.Region, c.Input))
		}
	}
	sort.Strings(out)
	return out
}
