package worker_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/util/workqueue"

	"github.com/dualnet/dualnet/internal/testutil/poll"
	"github.com/dualnet/dualnet/internal/worker"
)

// newQueue retries after 10ms, doubled per failure in a row.
func newQueue() workqueue.TypedRateLimitingInterface[string] {
	return workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](10*time.Millisecond, time.Second))
}

// run runs the worker in the background until the test ends, and returns when it does.
func run(t *testing.T, queue workqueue.TypedRateLimitingInterface[string], process func(context.Context, string) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		worker.Run(ctx, queue, process)
	}()
	stop = func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10s of the end of its context")
		}
	}
	t.Cleanup(stop)
	return stop
}

func TestAFailingKeyIsRetriedUntilItSucceedsAndThenForgotten(t *testing.T) {
	queue := newQueue()
	succeeded := make(chan int, 1)
	tries := 0
	run(t, queue, func(_ context.Context, key string) error {
		tries++
		if tries < 3 {
			return errors.New("not yet")
		}
		succeeded <- queue.NumRequeues(key)
		return nil
	})
	queue.Add("node")
	select {
	case requeues := <-succeeded:
		if requeues != 2 {
			t.Errorf("the third try saw %d failures in a row, want 2", requeues)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no success within 10s")
	}
	poll.Eventually(t, 10*time.Second, "the key forgotten after its success", func() error {
		return poll.Met(queue.NumRequeues("node") == 0, "still counted")
	})
}

func TestLaterBringsTheKeyBackWithoutCountingAFailure(t *testing.T) {
	queue := newQueue()
	var mu sync.Mutex
	var seen []time.Time
	var requeues []int
	run(t, queue, func(_ context.Context, key string) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, time.Now())
		requeues = append(requeues, queue.NumRequeues(key))
		switch len(seen) {
		case 1:
			return errors.New("a failure")
		case 2:
			return &worker.Later{After: 300 * time.Millisecond, Reason: "asked to wait"}
		}
		return nil
	})
	queue.Add("table")
	poll.Eventually(t, 10*time.Second, "three tries", func() error {
		mu.Lock()
		defer mu.Unlock()
		return poll.Met(len(seen) == 3, fmt.Sprintf("%d tries", len(seen)))
	})
	mu.Lock()
	defer mu.Unlock()
	if gap := seen[2].Sub(seen[1]); gap < 300*time.Millisecond {
		t.Errorf("the try after Later{300ms} came %v after it, want at least 300ms", gap)
	}
	if requeues[2] != 1 {
		t.Errorf("after a failure then Later, the key counts %d failures in a row, want 1 (Later is not a failure)", requeues[2])
	}
}

func TestRunReturnsWhenItsContextEndsAndProcessesNothingAfter(t *testing.T) {
	queue := newQueue()
	processing, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var processed []string
	stop := run(t, queue, func(_ context.Context, key string) error {
		mu.Lock()
		processed = append(processed, key)
		mu.Unlock()
		if key == "first" {
			close(processing)
			<-release
		}
		return nil
	})
	queue.Add("first")
	<-processing
	queue.Add("second") // still in the queue when the context ends
	go func() { time.Sleep(50 * time.Millisecond); close(release) }()
	stop()
	mu.Lock()
	defer mu.Unlock()
	if len(processed) != 1 {
		t.Errorf("processed %v, want only the key taken before the end", processed)
	}
	if !queue.ShuttingDown() {
		t.Error("the queue is not shut down after Run returned")
	}
}

func TestWaitForCachesSaysWhetherTheCachesSyncedOrTheContextEndedFirst(t *testing.T) {
	synced := func() bool { return true }
	never := func() bool { return false }
	if !worker.WaitForCaches(context.Background(), "test", synced, synced) {
		t.Error("WaitForCaches with every cache synced = false, want true")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if worker.WaitForCaches(ctx, "test", synced, never) {
		t.Error("WaitForCaches after the end of its context, with a cache never synced = true, want false")
	}
}
