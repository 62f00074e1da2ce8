package routecontroller

import (
	"context"
	"errors"
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"

	"github.com/dualnet/dualnet/internal/routes"
	"github.com/dualnet/dualnet/internal/worker"
)

// tableKey is the queue's only key: every change leads to one sync of the whole table, since
// ARM writes a route table whole.
const tableKey = "route-table"

// newQueue retries a failed sync after 250ms, doubled per failure in a row, at most 30s.
func newQueue() workqueue.TypedRateLimitingInterface[string] {
	return worker.NewQueue("dualnet-routes", 250*time.Millisecond, 30*time.Second)
}

// run syncs the table at once, then on node changes, once per Resync, and again after
// failures, until ctx ends.
func (c *Controller) run(ctx context.Context) {
	// The first resync, at once, reads every node: the changes the informer announced while
	// its cache filled need no sync of their own.
	select {
	case <-c.changed:
	default:
	}
	var background sync.WaitGroup
	defer background.Wait()
	background.Go(func() { c.debounce(ctx) })
	background.Go(func() { worker.AddEvery(ctx, c.queue, tableKey, c.opts.Resync) })
	worker.Run(ctx, c.queue, c.syncTable)
}

// syncTable is one sync of the table. After a ThrottledError it waits out ARM's Retry-After
// whatever asks for the next sync: a request sent sooner would only be throttled again.
func (c *Controller) syncTable(ctx context.Context, _ string) error {
	if left := time.Until(c.throttledUntil); left > 0 {
		return &worker.Later{After: left, Reason: "ARM's Retry-After"}
	}
	began := time.Now()
	err := c.sync(ctx)
	c.metrics.syncSeconds.Observe(time.Since(began).Seconds())
	if err == nil || ctx.Err() != nil {
		return err
	}
	c.metrics.syncErrors.Inc()
	var throttled *routes.ThrottledError
	if errors.As(err, &throttled) {
		c.throttledUntil = time.Now().Add(throttled.RetryAfter)
	}
	return err
}

// debounce adds the table's key to the queue once node changes pause for Quiet, or MaxDelay
// after the first while they keep coming: a scale-up of hundreds of nodes becomes a handful
// of table writes.
func (c *Controller) debounce(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.changed:
		}
		c.coalesce(ctx)
		c.queue.Add(tableKey)
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
