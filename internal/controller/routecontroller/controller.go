package routecontroller

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/routes"
	"github.com/dualnet/dualnet/internal/worker"
)

// Options configure the controller.
type Options struct {
	Backend routes.Backend
	// PodCIDRs are the cluster pod CIDRs (--pod-cidrs): only routes inside them are dualnet's.
	PodCIDRs []netip.Prefix
	// MaxRoutes is the most routes the table may hold, dualnet's and others' (--max-routes),
	// and MaxRoutesSetting what its RouteTableFull events and NetworkUnavailable conditions
	// tell the user to raise:
	// netspec.Spec.Setting("--max-routes"), the flag itself when empty.
	MaxRoutes        int
	MaxRoutesSetting string
	// Recorder posts RouteTableFull events on nodes.
	Recorder record.EventRecorder
	// Quiet is how long node changes must pause before a sync starts (default 200ms), and
	// MaxDelay the longest a change waits while changes keep coming (default 800ms): a
	// scale-up of hundreds of nodes becomes a handful of writes, a single join waits Quiet.
	Quiet, MaxDelay time.Duration
	// Resync is how often the table is read and repaired with no node change (default 30s):
	// how long a route deleted behind dualnet's back stays missing.
	Resync time.Duration
	// Metrics, if set, gets the controller's gauges and counters.
	Metrics prometheus.Registerer
}

func (o *Options) defaults() error {
	if o.Backend == nil {
		return errors.New("route controller: no backend")
	}
	if o.MaxRoutesSetting == "" {
		o.MaxRoutesSetting = "--max-routes"
	}
	if o.MaxRoutes <= 0 {
		return fmt.Errorf("--max-routes: %d, want a positive number", o.MaxRoutes)
	}
	if len(o.PodCIDRs) == 0 {
		return errors.New("--pod-cidrs: empty, the route controller needs the cluster pod CIDRs")
	}
	if o.Quiet <= 0 {
		o.Quiet = 200 * time.Millisecond
	}
	if o.MaxDelay < o.Quiet {
		o.MaxDelay = max(4*o.Quiet, 800*time.Millisecond)
	}
	if o.Resync <= 0 {
		o.Resync = 30 * time.Second
	}
	if o.Recorder == nil {
		o.Recorder = &record.FakeRecorder{}
	}
	return nil
}

// Controller keeps the backend's routes equal to what the nodes need.
type Controller struct {
	opts    Options
	client  kubernetes.Interface
	nodes   corelisters.NodeLister
	synced  cache.InformerSynced
	changed chan struct{} // a node change to sync; capacity 1, so changes coalesce
	queue   workqueue.TypedRateLimitingInterface[string]
	metrics *metrics
	// throttledUntil is when ARM's last Retry-After ends; only the worker uses it.
	throttledUntil time.Time

	mu sync.Mutex // guards the fields below: the sync loop writes, RoutesGone and Ready read
	// present holds the prefixes of dualnet's routes in the table as last known, nil before
	// the first read.
	present map[netip.Prefix]bool
	// tableRead says whether the table has been read since start (TableRead), tableSynced
	// whether a sync has also written what it could (Ready).
	tableRead, tableSynced bool
	full                   map[string]bool // nodes told by an event that the table is full
}

// New sets the controller up on a node informer; Run starts it.
func New(client kubernetes.Interface, nodes coreinformers.NodeInformer, opts Options) (*Controller, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	c := &Controller{
		opts: opts, client: client, nodes: nodes.Lister(), synced: nodes.Informer().HasSynced,
		changed: make(chan struct{}, 1), queue: newQueue(), full: map[string]bool{},
	}
	var err error
	if c.metrics, err = newMetrics(opts.Metrics); err != nil {
		return nil, fmt.Errorf("route controller: register metrics: %w", err)
	}
	if _, err := nodes.Informer().AddEventHandler(c.handlers()); err != nil {
		return nil, fmt.Errorf("route controller: watch nodes: %w", err)
	}
	return c, nil
}

// Run syncs the table until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	defer c.queue.ShutDown()
	logger := klog.FromContext(ctx).WithName("routes")
	ctx = klog.NewContext(ctx, logger)
	if !worker.WaitForCaches(ctx, "routes", c.synced) {
		return nil
	}
	c.run(ctx)
	return nil
}

// Ready says whether the table has been synced once since start: read, and written as far
// as the backend took the write (a node whose routes failed is told so by its condition).
func (c *Controller) Ready() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.tableSynced {
		return errors.New("route controller: route table not synced yet")
	}
	return nil
}

// TableRead says whether the table has been read since start, from when RoutesGone knows
// which routes it may hold: node IPAM's hook (nodeipam.Options.RoutesReady). A write that
// keeps failing (ARM refusing the table, say) must not stop IPAM too.
func (c *Controller) TableRead() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.tableRead {
		return errors.New("route controller: route table not read yet")
	}
	return nil
}

// RoutesGone says whether no route for any of cidrs is left in the table, as last read or
// written: node IPAM's hook (nodeipam.Options.RoutesGone) so that a released pod CIDR is
// not given to a new node while traffic for it still goes to the old one.
func (c *Controller) RoutesGone(cidrs []netip.Prefix) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.present == nil {
		return false
	}
	for _, p := range cidrs {
		if c.present[p.Masked()] {
			return false
		}
	}
	return true
}

func (c *Controller) poke() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}
