// Package progress shows how far a long scan has got, on a terminal only: in CI, with --quiet,
// or when stderr is not a TTY it stays silent, and it never writes to stdout, where machine
// formats go.
package progress

import (
	"fmt"
	"io"
	"sync"

	"github.com/schollz/progressbar/v3"

	"github.com/lookout-audit/lookout/internal/collect"
)

// Bar counts (account, region) pairs done and read errors seen.
type Bar struct {
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	errors int
}

// New returns a bar on w for total units (-1 when unknown), or nil when enabled is false.
// A nil *Bar is valid and does nothing.
func New(w io.Writer, total int, enabled bool) *Bar {
	if !enabled {
		return nil
	}
	return &Bar{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("collecting"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("regions"),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000),
	)}
}

// Observe is a collect.Options.Progress callback.
func (b *Bar) Observe(ev collect.ProgressEvent) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors += ev.Errors
	b.bar.Describe(fmt.Sprintf("collecting %s/%s (%d read errors)", ev.Account, ev.Region, b.errors))
	_ = b.bar.Add(1)
}

// Done clears the bar.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	_ = b.bar.Finish()
}
