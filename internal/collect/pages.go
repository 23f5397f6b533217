package collect

import (
	"context"
	"sync"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// pages reads every page of an SDK paginator, given as its HasMorePages and NextPage, handing
// each page to each in order. A page that cannot be read ends the read as a read error of
// operation: what was handed over before is partial, and the caller records the error beside
// it, never in its place.
func pages[T, O any](ctx context.Context, more func() bool, next func(context.Context, ...O) (T, error), operation string, each func(T)) *snapshot.ReadError {
	return pagesUntil(ctx, more, next, operation, func(page T) *snapshot.ReadError {
		each(page)
		return nil
	})
}

// pagesUntil is pages for a reader whose handling of a page makes calls of its own that may
// fail (e.g. a read per item listed): the first failure, the page's or the handler's, ends the
// read, and no further page is asked for.
func pagesUntil[T, O any](ctx context.Context, more func() bool, next func(context.Context, ...O) (T, error), operation string, each func(T) *snapshot.ReadError) *snapshot.ReadError {
	for more() {
		page, err := next(ctx)
		if err != nil {
			return readError(operation, err)
		}
		if e := each(page); e != nil {
			return e
		}
	}
	return nil
}

// readIAM reads each of names once (they are distinct: IAM names are unique in an account),
// all at once, each under the IAM service's bound and the global one (Collector.doAs), and
// returns the answers by name. A name that never got a slot, because the scan ended while it
// waited, is unread(the context's error, as a read error of operation): not read, not absent.
func readIAM[R any](ctx context.Context, c *Collector, names []string, operation string, read func(name string) R, unread func(*snapshot.ReadError) R) map[string]R {
	out := make(map[string]R, len(names))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r R
			ran := false
			c.doAs(ctx, "iam", func() { ran, r = true, read(name) })
			if !ran {
				r = unread(readError(operation, ctx.Err()))
			}
			mu.Lock()
			out[name] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}
