package nodeipam

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/ipam"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/worker"
)

// Options configure the controller.
type Options struct {
	Spec netspec.Spec
	// Recorder posts the controller's events on nodes.
	Recorder record.EventRecorder
	// RoutesGone says whether the routes of a deleted node's pod CIDRs are gone, so that its
	// block may be given to another node. Nil: there are no routes to wait for (IPAM-only
	// mode), a released block is free at once.
	RoutesGone func(cidrs []netip.Prefix) bool
	// RoutesReady, with RoutesGone, says whether the route table has been read since start.
	// Until it has, no block is handed out; after, a block that still has a route (its node
	// was deleted while no controller ran) is held like a released one and the next is
	// taken. Nil: blocks are handed out without asking about stale routes.
	RoutesReady func() error
	// HoldDown frees a released block after this long even if RoutesGone never says so.
	HoldDown time.Duration
	// Metrics, if set, gets the controller's gauges.
	Metrics prometheus.Registerer
}

// recheckHeld is how often released blocks are checked for their routes being gone.
const recheckHeld = 2 * time.Second

// Controller assigns pod CIDRs to nodes.
type Controller struct {
	client      kubernetes.Interface
	nodes       corelisters.NodeLister
	synced      cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	recorder    record.EventRecorder
	routesGone  func([]netip.Prefix) bool
	routesReady func() error

	mu       sync.Mutex // guards alloc, waiting, reported, unchecked: workers write, metrics read
	alloc    *ipam.Allocator
	waiting  map[string]bool   // nodes told by an event that there is no room for them
	reported map[string]string // nodes whose CIDRs were reported as wrong, and those CIDRs
	// unchecked: nodes given blocks at rebuild, before the route table could be asked
	// whether a dead node's route still points at them.
	unchecked map[string]bool

	rebuilt atomic.Bool

	patchSlots chan struct{}  // one per node write under way
	patching   sync.WaitGroup // node writes under way, waited for when Run returns
	// patchRetry spaces the retries of nodes whose writes keep failing. The queue's own
	// limiter cannot: the retried sync only starts the write again, succeeds, and so resets
	// the node's count.
	patchRetry workqueue.TypedRateLimiter[string]
}

// New sets up the controller on a node informer; Run starts it.
func New(client kubernetes.Interface, nodes coreinformers.NodeInformer, opts Options) (*Controller, error) {
	c := &Controller{
		client:      client,
		nodes:       nodes.Lister(),
		synced:      nodes.Informer().HasSynced,
		recorder:    opts.Recorder,
		routesGone:  opts.RoutesGone,
		routesReady: opts.RoutesReady,
		alloc:       ipam.New(opts.Spec, ipam.Options{HoldDown: opts.HoldDown}),
		waiting:     map[string]bool{},
		reported:    map[string]string{},
		unchecked:   map[string]bool{},
		patchSlots:  make(chan struct{}, maxPatchesInFlight),
		patchRetry:  newPatchRetry(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "nodeipam"}),
	}
	if c.recorder == nil {
		c.recorder = &record.FakeRecorder{}
	}
	if _, err := nodes.Informer().AddEventHandler(c.handlers()); err != nil {
		return nil, fmt.Errorf("node IPAM: watch nodes: %w", err)
	}
	if opts.Metrics != nil {
		if err := c.registerMetrics(opts.Metrics); err != nil {
			return nil, fmt.Errorf("node IPAM: register metrics: %w", err)
		}
	}
	return c, nil
}

// Run waits for the node cache, adopts every node's existing CIDRs, then assigns CIDRs until
// ctx ends. One worker: allocation order follows the order nodes appear in, and the
// allocator is one shared state anyway.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	logger := klog.FromContext(ctx).WithName("nodeipam")
	ctx = klog.NewContext(ctx, logger)
	if !worker.WaitForCaches(ctx, "nodeipam", c.synced) {
		return nil
	}
	if err := c.rebuild(ctx); err != nil {
		return err
	}
	c.rebuilt.Store(true)
	s := c.stats()
	logger.Info("Rebuilt pod CIDR allocations from existing nodes", "allocated", s.Allocated, "free", s.Free,
		"capacity", s.Capacity, "bindingLimit", s.Limit.String())
	var background sync.WaitGroup
	background.Go(func() { wait.UntilWithContext(ctx, c.reclaimHeld, recheckHeld) })
	worker.Run(ctx, c.queue, c.sync)
	background.Wait()
	// The worker and reclaimHeld are the only ones to start node writes: once they are done,
	// wait for the writes.
	c.patching.Wait()
	return nil
}

// Ready says whether the controller has rebuilt its state and is assigning CIDRs.
func (c *Controller) Ready() error {
	if !c.rebuilt.Load() {
		return fmt.Errorf("node IPAM: existing pod CIDRs not rebuilt yet")
	}
	return nil
}

func (c *Controller) stats() ipam.Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.alloc.Stats()
}
