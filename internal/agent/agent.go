package agent

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/dataplane/masquerade"
	"github.com/dualnet/dualnet/internal/worker"
)

// eventCorrelation keeps each distinct repair and warning its own event. client-go's default
// folds the tenth distinct message of one reason on one Node within 10 minutes into a
// "combined from similar events" event whose message is only the latest folded one: after a
// few repairs, `kubectl describe node` would no longer say all that a firewall reload took.
// The spam filter still bounds the agent's events: 25 Warning events per Node, then one per
// 5 minutes.
var eventCorrelation = record.CorrelatorOptions{MaxEvents: 25}

// syncKey is the queue's only key: every change leads to one sync of the whole node.
const syncKey = "node"

// Agent runs the node's sync loop.
type Agent struct {
	cfg     Config
	client  kubernetes.Interface
	ready   atomic.Bool
	syncs   atomic.Int64
	changes atomic.Int64
	metrics *metrics

	nodes    corelisters.NodeLister
	dp       *dataplane
	recorder record.EventRecorder
	// self is the Node as the last sync saw it, for events from outside the sync loop.
	self atomic.Pointer[corev1.Node]
	// sweepNow asks the anti-spoofing sweep to run at once (requestSweep); it holds one
	// request at most.
	sweepNow chan struct{}
	// warned holds when each warning of the last sync was last reported (only the sync loop
	// touches it): a sync reports a warning (event and log line) when it is new, or again
	// after warnAgain, so a lasting problem neither repeats every resync nor vanishes from
	// `kubectl describe node` when its event expires (the API server keeps events an hour).
	warned map[string]time.Time
}

// New checks the config; Run does the work.
func New(cfg Config, client kubernetes.Interface) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, client: client, sweepNow: make(chan struct{}, 1)}
	a.metrics = newMetrics(a)
	return a, nil
}

// Ready reports whether the last sync put the node's dataplane and CNI config in place.
func (a *Agent) Ready() bool { return a.ready.Load() }

// Syncs counts the syncs that completed without error.
func (a *Agent) Syncs() int64 { return a.syncs.Load() }

// Changes counts the changes the syncs made to the node (a sysctl, the table, the CNI
// config or plugin, a route): zero after a restart onto a node already in its desired state.
func (a *Agent) Changes() int64 { return a.changes.Load() }

// Run watches the nodes and syncs until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx).WithValues("node", a.cfg.NodeName)
	ctx = klog.NewContext(ctx, logger)

	nl, err := a.cfg.Namespace.Netlink()
	if err != nil {
		return err
	}
	defer nl.Close()
	masq, err := masquerade.NewIn(a.cfg.Namespace)
	if err != nil {
		return err
	}
	a.dp = &dataplane{cfg: a.cfg, nl: nl, masq: masq}

	a.forgetEarlierBoot(ctx, cnicontract.StoreDir(a.cfg.CNIDataDir, cnicontract.NetworkName))

	// Events are sent in the background: recording one needs no API server.
	broadcaster := record.NewBroadcaster(record.WithContext(ctx), record.WithCorrelatorOptions(eventCorrelation))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: a.client.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	a.recorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "dualnet-agent", Host: a.cfg.NodeName})

	// The sweep and the watches (watch.go) need neither the API server nor a ready node, so
	// they start before the node informer; they end before Run returns, whichever way Run
	// returns.
	var background sync.WaitGroup
	defer background.Wait()
	backgroundCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	background.Go(func() { a.sweepAntispoofEvery(backgroundCtx, a.cfg.antispoofSweep()) })

	queue := worker.NewQueue("dualnet-agent", 200*time.Millisecond, a.cfg.Resync)
	defer queue.ShutDown()
	if !a.cfg.DisableWatches {
		resync := func() { queue.Add(syncKey) }
		background.Go(func() { a.watchNetlink(backgroundCtx, resync) })
		background.Go(func() { a.watchTables(backgroundCtx, resync, a.requestSweep) })
		background.Go(func() { a.watchFiles(backgroundCtx, resync) })
	}

	factory := informers.NewSharedInformerFactory(a.client, 0)
	informer := factory.Core().V1().Nodes()
	a.nodes = informer.Lister()
	enqueue := func(any) { queue.Add(syncKey) }
	if _, err := informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		DeleteFunc: enqueue,
		UpdateFunc: func(old, cur any) {
			o, ok1 := old.(*corev1.Node)
			c, ok2 := cur.(*corev1.Node)
			if !ok1 || !ok2 || !sameDataplaneInputs(o, c) {
				queue.Add(syncKey)
			}
		},
	}); err != nil {
		return fmt.Errorf("watch nodes: %w", err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !worker.WaitForCaches(ctx, "dualnet-agent", informer.Informer().HasSynced) {
		return nil
	}
	logger.Info("Watching nodes", "routes", a.cfg.Routes, "namespace", a.cfg.Namespace.String(), "resync", a.cfg.Resync, "antispoofSweep", a.cfg.antispoofSweep(), "watches", !a.cfg.DisableWatches)

	background.Go(func() {
		worker.AddEvery(backgroundCtx, queue, syncKey, a.cfg.Resync)
	})
	worker.Run(ctx, queue, func(ctx context.Context, _ string) error {
		start := time.Now()
		err := a.sync(ctx)
		a.metrics.observeSync(time.Since(start), err, a.Ready())
		return err
	})
	return nil
}

// requestSweep has the anti-spoofing sweep run at once: pods' veths are back on the bridge,
// or the table lost a part.
func (a *Agent) requestSweep() {
	select {
	case a.sweepNow <- struct{}{}:
	default:
	}
}
