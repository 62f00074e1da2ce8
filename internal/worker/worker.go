package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// Run hands the keys of queue to process, one at a time, until ctx ends or the queue is shut
// down; it shuts the queue down when ctx ends. A key processed without error is forgotten by
// the queue's rate limiter. A key whose process fails is logged and added again after the
// rate limiter's delay, which grows with each failure in a row; one whose process returns
// Later comes back after the delay it asks for, without counting as a failure.
func Run[K comparable](ctx context.Context, queue workqueue.TypedRateLimitingInterface[K], process func(context.Context, K) error) {
	stop := context.AfterFunc(ctx, queue.ShutDown)
	defer stop()
	defer queue.ShutDown()
	for processNext(ctx, queue, process) {
	}
}

func processNext[K comparable](ctx context.Context, queue workqueue.TypedRateLimitingInterface[K], process func(context.Context, K) error) bool {
	key, shutdown := queue.Get()
	if shutdown {
		return false
	}
	defer queue.Done(key)
	// The queue hands out what it holds even once shut down: a key taken after the end of
	// ctx is not processed.
	if ctx.Err() != nil {
		return false
	}
	err := process(ctx, key)
	var later *Later
	switch {
	case err == nil:
		queue.Forget(key)
	case errors.As(err, &later):
		queue.AddAfter(key, later.After)
	case ctx.Err() != nil:
		// Ended while processing: the error is the end's, not the key's.
	default:
		klog.FromContext(ctx).Error(err, "Retrying", "key", key, "failuresInARow", queue.NumRequeues(key)+1)
		queue.AddRateLimited(key)
	}
	return true
}

// Later is what process returns for a key that must not be processed yet (a server asked to
// be left alone for a while): the key comes back after After, and the failures in a row
// the rate limiter counts are kept as they are.
type Later struct {
	After  time.Duration
	Reason string
}

func (l *Later) Error() string { return fmt.Sprintf("not before %v: %s", l.After, l.Reason) }

// WaitForCaches waits for the controller's informer caches, and says whether they synced.
// Only the end of ctx ends the wait early: a stop (SIGTERM) while a controller is still
// starting is a clean stop, as one after its first sync is, not a failure, and it is logged
// as such.
func WaitForCaches(ctx context.Context, controller string, synced ...cache.InformerSynced) bool {
	if cache.WaitForNamedCacheSync(controller, ctx.Done(), synced...) {
		return true
	}
	klog.FromContext(ctx).Info("Stopped before the caches synced", "controller", controller, "cause", context.Cause(ctx))
	return false
}

// NewQueue is a queue for Run whose failed keys come back after first, doubled per failure
// in a row, at most most (first == most: a fixed wait).
func NewQueue(name string, first, most time.Duration) workqueue.TypedRateLimitingInterface[string] {
	return workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](first, most),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: name})
}

// AddEvery adds key to queue at once and then every period until ctx ends: a resync, which
// repairs what changed without an event.
func AddEvery[K comparable](ctx context.Context, queue workqueue.TypedInterface[K], key K, period time.Duration) {
	wait.UntilWithContext(ctx, func(context.Context) { queue.Add(key) }, period)
}
