// Package progress shows how far a long scan has got, on a terminal only: in CI, with --quiet,
// or when stderr is not a TTY it stays silent, and it never writes to stdout, where machine
// formats go.
//
// The bar counts (account, region) pairs done, with an ETA once their number is known; its
// description shows accounts done, API calls made and read errors seen so far.
package progress

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
	"github.com/schollz/progressbar/v3"

	"github.com/lookout-audit/lookout/internal/collect"
)

// refresh is how often the description (API calls) is redrawn between region events.
const refresh = 250 * time.Millisecond

// Bar is a progress bar for one scan. A nil *Bar is valid and does nothing.
type Bar struct {
	bar   *progressbar.ProgressBar
	calls atomic.Int64

	mu           sync.Mutex
	accounts     int // accounts in scope
	accountsDone int
	planned      int  // regions announced so far
	fixedTotal   bool // the region total was known from the start
	regionsDone  int
	errors       int

	stop chan struct{}
	done sync.WaitGroup
}

// New returns a bar on w for total (account, region) pairs (-1 when unknown), or nil when
// enabled is false.
func New(w io.Writer, total int, enabled bool) *Bar {
	if !enabled {
		return nil
	}
	return newBar(w, 0, total)
}

// NewScan returns a bar on w for a scan of accounts accounts, each of regionsPerAccount
// regions (0 when each account's enabled regions are listed during the scan), or nil when
// enabled is false.
func NewScan(w io.Writer, accounts, regionsPerAccount int, enabled bool) *Bar {
	if !enabled {
		return nil
	}
	return newBar(w, accounts, accounts*regionsPerAccount)
}

func newBar(w io.Writer, accounts, total int) *Bar {
	b := &Bar{accounts: accounts, fixedTotal: total > 0, stop: make(chan struct{})}
	if !b.fixedTotal {
		total = -1 // unknown until the accounts list their regions
	}
	b.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(b.describe()),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("regions"),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(20),
		// No spinner goroutine of the library's own for an unknown total: it renders on a
		// ticker of its own without the bar's updates' ordering (a data race under -race) and
		// outlives an unfinished bar. This package's refresh loop redraws instead.
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
	b.done.Add(1)
	go b.tick()
	return b
}

// Attach counts the API calls made with cfg (one per operation, retries not counted). The
// middleware list is copied, so configurations that share one are not changed.
func (b *Bar) Attach(cfg *aws.Config) {
	if b == nil {
		return
	}
	count := func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("lookoutProgress",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				b.calls.Add(1)
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
	cfg.APIOptions = append(cfg.APIOptions[:len(cfg.APIOptions):len(cfg.APIOptions)], count)
}

// Observe is a collect.Options.Progress callback.
func (b *Bar) Observe(ev collect.ProgressEvent) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors += ev.Errors
	switch {
	case ev.AccountDone:
		b.accountsDone++
	case ev.Planned > 0:
		if !b.fixedTotal {
			b.planned += ev.Planned
			b.bar.ChangeMax(b.planned)
		}
	case ev.Region != "":
		b.regionsDone++
	}
	// Describe before Add: Add renders, and must render the current counts.
	b.bar.Describe(b.describe())
	if ev.Region != "" && !ev.AccountDone && ev.Planned == 0 {
		_ = b.bar.Add(1)
	}
}

// describe must be called with mu held (or before the bar is shared).
func (b *Bar) describe() string {
	accounts := fmt.Sprint(b.accountsDone)
	if b.accounts > 0 {
		accounts += fmt.Sprintf("/%d", b.accounts)
	}
	return fmt.Sprintf("accounts %s · %d API calls · %d errors", accounts, b.calls.Load(), b.errors)
}

func (b *Bar) tick() {
	defer b.done.Done()
	t := time.NewTicker(refresh)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.mu.Lock()
			b.bar.Describe(b.describe())
			b.mu.Unlock()
		}
	}
}

// Calls is the number of API calls counted so far.
func (b *Bar) Calls() int64 {
	if b == nil {
		return 0
	}
	return b.calls.Load()
}

// Done stops the bar and clears it.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	close(b.stop)
	b.done.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.bar.Finish()
}
