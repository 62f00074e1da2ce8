package routecontroller

import (
	"context"
	"errors"
	"time"

	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/routes"
)

// loop runs one sync per batch of node changes, one per Resync without changes, and backs off
// after failures (at least as long as ARM's Retry-After).
func (c *Controller) loop(ctx context.Context) {
	logger := klog.FromContext(ctx)
	resync := time.NewTimer(c.opts.Resync)
	defer resync.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.changed:
			c.coalesce(ctx)
		case <-resync.C:
		}
		if ctx.Err() != nil {
			return
		}
		began := time.Now()
		err := c.sync(ctx)
		c.metrics.syncSeconds.Observe(time.Since(began).Seconds())
		resync.Reset(c.opts.Resync)
		if err == nil {
			failures = 0
			continue
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		c.metrics.syncErrors.Inc()
		wait := backoff(failures)
		var throttled *routes.ThrottledError
		if errors.As(err, &throttled) && throttled.RetryAfter > wait {
			wait = throttled.RetryAfter
		}
		logger.Error(err, "Route table sync failed; retrying", "after", wait, "failures", failures)
		if !sleep(ctx, wait) {
			return
		}
		c.poke()
	}
}

// coalesce waits until node changes pause for Quiet, or MaxDelay has passed since the first.
func (c *Controller) coalesce(ctx context.Context) {
	deadline := time.NewTimer(c.opts.MaxDelay)
	defer deadline.Stop()
	for {
		quiet := time.NewTimer(c.opts.Quiet)
		select {
		case <-c.changed:
			quiet.Stop()
			continue
		case <-quiet.C:
		case <-deadline.C:
			quiet.Stop()
		case <-ctx.Done():
			quiet.Stop()
		}
		return
	}
}

// backoff is 250ms doubled per failure, at most 30s.
func backoff(failures int) time.Duration {
	d := 250 * time.Millisecond
	for i := 1; i < failures && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
