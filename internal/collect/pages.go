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

// once holds the account-wide reads of one kind by item (a trail's ARN, a role's name...):
// each item is read once, started by the first region whose answers name it (or by the
// account-wide pass, for an item no region started), in its own goroutine under the account's
// context. Neither a region that ends sooner nor a slow call elsewhere holds it up, and the
// items are read at once, each call under the collector's bounds.
type once[R any] struct {
	mu    sync.Mutex
	reads map[string]*onceRead[R]
}

// onceRead is one item's read; wait returns its answer.
type onceRead[R any] struct {
	done   chan struct{}
	answer R
}

// start starts read for key unless it was started already, and returns the read to wait on.
func (o *once[R]) start(a *accountCollector, key string, read func(ctx context.Context) R) *onceRead[R] {
	o.mu.Lock()
	defer o.mu.Unlock()
	if r, ok := o.reads[key]; ok {
		return r
	}
	if o.reads == nil {
		o.reads = map[string]*onceRead[R]{}
	}
	r := &onceRead[R]{done: make(chan struct{})}
	o.reads[key] = r
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer close(r.done)
		r.answer = read(a.ctx)
	}()
	return r
}

func (r *onceRead[R]) wait() R {
	<-r.done
	return r.answer
}
