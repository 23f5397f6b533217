package collect

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A service whose calls hang (throttled, backing off) holds at most its own share of the
// slots: another service still runs, and neither bound is ever exceeded.
func TestThrottledServiceDoesNotStarveOthers(t *testing.T) {
	c := New(Options{Concurrency: 4, ServiceConcurrency: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	release := make(chan struct{})
	var inFlight, peak atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.doAs(ctx, "throttled", func() {
				n := inFlight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				<-release
				inFlight.Add(-1)
			})
		}()
	}
	// Wait until the throttled service holds its share.
	for inFlight.Load() < 2 {
		select {
		case <-ctx.Done():
			t.Fatal("throttled tasks never started")
		case <-time.After(time.Millisecond):
		}
	}
	ran := make(chan struct{})
	go c.doAs(ctx, "other", func() { close(ran) })
	select {
	case <-ran:
	case <-ctx.Done():
		t.Fatal("a task of another service was starved by the throttled one")
	}
	close(release)
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Errorf("throttled service peaked at %d tasks in flight, want its cap of 2", p)
	}
}

func TestServiceCapDefaultsToHalfTheGlobalBound(t *testing.T) {
	for _, tt := range []struct{ global, want int }{{64, 32}, {5, 3}, {1, 1}, {0, DefaultConcurrency / 2}} {
		if got := New(Options{Concurrency: tt.global}).svcCap; got != tt.want {
			t.Errorf("Concurrency %d: per-service cap %d, want %d", tt.global, got, tt.want)
		}
	}
}

// A cancelled scan does not wait for a slot.
func TestDoAsReturnsWhenCancelled(t *testing.T) {
	c := New(Options{Concurrency: 1})
	hold := make(chan struct{})
	started := make(chan struct{})
	go c.doAs(context.Background(), "a", func() { close(started); <-hold })
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	c.doAs(ctx, "b", func() { ran = true })
	close(hold)
	if ran {
		t.Fatal("task ran although its context was cancelled before a slot was free")
	}
}
