package awsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

type debugKey struct{}

// WithDebug returns a context that makes LoadConfig log every API call to w: service,
// operation, region, HTTP status, duration and error code. Never headers or bodies: those
// carry signatures, session tokens and the data being read.
func WithDebug(ctx context.Context, w io.Writer) context.Context {
	return context.WithValue(ctx, debugKey{}, &debugLog{w: w})
}

type debugLog struct {
	mu sync.Mutex
	w  io.Writer
}

func attachDebug(ctx context.Context, cfg *aws.Config) {
	d, ok := ctx.Value(debugKey{}).(*debugLog)
	if !ok {
		return
	}
	// Copy before appending: configurations copied with aws.Config.Copy share the list.
	cfg.APIOptions = append(append([]func(*middleware.Stack) error{}, cfg.APIOptions...), func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("lookoutDebug",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				start := time.Now()
				out, md, err := next.HandleDeserialize(ctx, in)
				status := "-"
				if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp != nil && resp.StatusCode != 0 {
					status = fmt.Sprint(resp.StatusCode)
				}
				outcome := "ok"
				var api smithy.APIError
				switch {
				case errors.As(err, &api):
					outcome = api.ErrorCode()
				case err != nil:
					outcome = "transport error"
				}
				d.mu.Lock()
				fmt.Fprintf(d.w, "debug: %s.%s %s -> HTTP %s %s (%s)\n", awsmiddleware.GetServiceID(ctx),
					awsmiddleware.GetOperationName(ctx), awsmiddleware.GetRegion(ctx), status, outcome,
					time.Since(start).Round(time.Millisecond))
				d.mu.Unlock()
				return out, md, err
			}), middleware.After)
	})
}
