package loadbalancer

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/knftables"

	"github.com/dualnet/dualnet/internal/worker"
)

// Run keeps the load balancer until ctx ends: any change of a Service, of a Node's addresses
// or of a backend's health triggers one sync of everything.
func Run(ctx context.Context, client kubernetes.Interface, cfg Config) error {
	cfg = cfg.withDefaults()
	c, err := newController(client, cfg)
	if err != nil {
		return err
	}
	defer c.close()

	queue := worker.NewQueue("dualnet-lab-lb", retryAfterFailure, retryAfterFailure)
	defer queue.ShutDown()
	changed := func(any) { queue.Add(syncKey) }
	factory := informers.NewSharedInformerFactory(client, 0)
	services := factory.Core().V1().Services()
	nodes := factory.Core().V1().Nodes()
	if _, err := services.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: changed, DeleteFunc: changed, UpdateFunc: func(_, cur any) { changed(cur) },
	}); err != nil {
		return err
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: changed, DeleteFunc: changed,
		UpdateFunc: func(old, cur any) {
			o, ok1 := old.(*corev1.Node)
			n, ok2 := cur.(*corev1.Node)
			if !ok1 || !ok2 || !maps.Equal(internalIPs(o), internalIPs(n)) || excluded(o) != excluded(n) {
				changed(cur)
			}
		},
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !worker.WaitForCaches(ctx, "lab-load-balancer", services.Informer().HasSynced, nodes.Informer().HasSynced) {
		return nil
	}
	c.probes = newProbers(cfg, c.prober.probe, func() { queue.Add(syncKey) })
	defer c.probes.wait()
	queue.Add(syncKey)
	// The report's probe counts and last outcomes move between syncs. The queue hands keys
	// out in the order they came, so the first report follows the first sync.
	var background sync.WaitGroup
	defer background.Wait()
	background.Go(func() {
		worker.AddEvery(ctx, queue, reportKey, max(cfg.ProbeInterval, time.Second))
	})
	worker.Run(ctx, queue, func(ctx context.Context, key string) error {
		if key == reportKey {
			return c.writeReport()
		}
		svcs, _ := services.Lister().List(labels.Everything())
		ns, _ := nodes.Lister().List(labels.Everything())
		return c.sync(ctx, svcs, ns)
	})
	return nil
}

// The queue's keys: one sync of everything, or a rewrite of the report alone.
const (
	syncKey   = "sync"
	reportKey = "report"
)

// retryAfterFailure is how long a failed sync waits before the next try.
const retryAfterFailure = 5 * time.Second

func excluded(n *corev1.Node) bool {
	_, ok := n.Labels[excludeLabel]
	return ok
}

// controller holds what the load balancer keeps between syncs.
type controller struct {
	cfg    Config
	client kubernetes.Interface
	netns  ns.NetNS
	nft    knftables.Interface
	router router
	prober prober
	probes *probers
	slots  slots
	// What the last sync put in place, for the report: the frontends, the pools, and each
	// probed backend's health as the nftables table holds it.
	frontends []Frontend
	pools     map[corev1.IPFamily][]Backend
	applied   map[target]health
}

func newController(client kubernetes.Interface, cfg Config) (*controller, error) {
	vnet, err := ns.GetNS(cfg.Netns)
	if err != nil {
		return nil, fmt.Errorf("load balancer: open %s: %w", cfg.Netns, err)
	}
	c := &controller{cfg: cfg, client: client, netns: vnet, slots: slots{},
		prober: prober{netns: vnet, bridge: cfg.Bridge, timeout: cfg.probeTimeout()}}
	handle, err := netns.GetFromPath(cfg.Netns)
	if err != nil {
		c.close()
		return nil, fmt.Errorf("load balancer: open %s: %w", cfg.Netns, err)
	}
	defer handle.Close()
	nl, err := netlink.NewHandleAt(handle)
	if err != nil {
		c.close()
		return nil, fmt.Errorf("load balancer: netlink in %s: %w", cfg.Netns, err)
	}
	c.router = router{nl: nl, bridge: cfg.Bridge}
	err = vnet.Do(func(ns.NetNS) error {
		c.nft, err = knftables.New(knftables.InetFamily, Table)
		return err
	})
	if err != nil {
		c.close()
		return nil, fmt.Errorf("load balancer: nftables in %s: %w", cfg.Netns, err)
	}
	var families []corev1.IPFamily
	for _, p := range cfg.Pools {
		families = append(families, familyOf(p.Addr()))
	}
	if err := c.router.addProbeSources(families); err != nil {
		c.close()
		return nil, fmt.Errorf("load balancer in %s: %w", cfg.Netns, err)
	}
	return c, nil
}

func (c *controller) close() {
	if c.router.nl != nil {
		c.router.nl.Close()
	}
	c.netns.Close()
}

func newProbers(cfg Config, probe func(context.Context, target) error, changed func()) *probers {
	return &probers{interval: cfg.ProbeInterval, threshold: cfg.ProbeThreshold, probe: probe, changed: changed,
		state: map[target]*health{}, running: map[target]context.CancelFunc{}}
}

// sync computes the whole load balancer from the Services and Nodes, and puts it in place:
// probers, routes, the nftables table, the Services' status and the report.
func (c *controller) sync(ctx context.Context, services []*corev1.Service, nodes []*corev1.Node) error {
	var lbs []*corev1.Service
	for _, s := range services {
		if s.Spec.Type == corev1.ServiceTypeLoadBalancer && s.Spec.LoadBalancerClass == nil {
			lbs = append(lbs, s)
		}
	}
	addrs := frontendAddrs(lbs, c.cfg.Pools, c.cfg.FirstFamilyOnly)
	frontends := desiredFrontends(lbs, addrs, c.cfg.FirstFamilyOnly)
	pools := backendPools(nodes)
	c.slots.assign(sortedNodes(pools))
	c.probes.set(ctx, targetsOf(frontends, pools))

	// Routes first, so that a slot's table is there before a flow is marked with it.
	if err := c.router.syncRoutes(pools, c.slots); err != nil {
		return fmt.Errorf("load balancer routes in %s: %w", c.cfg.Netns, err)
	}
	// One reading of each target's health for the whole table: a probe that changes state
	// while the transaction is built queues the next sync.
	applied := map[target]health{}
	healthy := func(r Rule, b Backend) bool {
		if r.Probe == nil {
			return true
		}
		t := target{*r.Probe, b.IP}
		h, ok := applied[t]
		if !ok {
			h = c.probes.health(t)
			applied[t] = h
		}
		return h.Up
	}
	tx := c.nft.NewTransaction()
	transaction(tx, frontends, pools, c.slots, healthy)
	if err := c.netns.Do(func(ns.NetNS) error { return c.nft.Run(ctx, tx) }); err != nil {
		return fmt.Errorf("load balancer table in %s: %w", c.cfg.Netns, err)
	}
	c.frontends, c.pools, c.applied = frontends, pools, applied
	if err := c.updateStatus(ctx, services, addrs); err != nil {
		return err
	}
	return c.writeReport()
}

// writeReport writes the report of the last sync: each backend's health as the table holds
// it, with its probes' count and last outcome as they are now.
func (c *controller) writeReport() error {
	if c.cfg.ReportFile == "" {
		return nil
	}
	if err := writeReport(c.cfg.ReportFile, report(c.cfg, c.frontends, c.pools, c.applied, c.probes)); err != nil {
		return fmt.Errorf("load balancer report: %w", err)
	}
	return nil
}

// targetsOf lists every probe on every backend of its frontend's family.
func targetsOf(frontends []Frontend, pools map[corev1.IPFamily][]Backend) []target {
	var out []target
	for _, fe := range frontends {
		for _, r := range fe.Rules {
			if r.Probe == nil {
				continue
			}
			for _, b := range pools[familyOf(fe.IP)] {
				out = append(out, target{*r.Probe, b.IP})
			}
		}
	}
	return out
}

// updateStatus writes each LoadBalancer Service's frontends to status.loadBalancer.ingress,
// and removes the load balancer's addresses from a Service that is no longer one.
func (c *controller) updateStatus(ctx context.Context, services []*corev1.Service, addrs map[frontendKey]netip.Addr) error {
	for _, svc := range services {
		var want []corev1.LoadBalancerIngress
		if svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.LoadBalancerClass == nil {
			for _, ip := range ingressOf(svc, addrs, c.cfg.FirstFamilyOnly) {
				want = append(want, corev1.LoadBalancerIngress{IP: ip.String(), IPMode: ptr.To(corev1.LoadBalancerIPModeVIP)})
			}
		} else if !c.holdsAddressOf(svc) {
			continue
		}
		if slices.EqualFunc(svc.Status.LoadBalancer.Ingress, want, func(a, b corev1.LoadBalancerIngress) bool { return a.IP == b.IP }) {
			continue
		}
		updated := svc.DeepCopy()
		updated.Status.LoadBalancer.Ingress = want
		if _, err := c.client.CoreV1().Services(svc.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("give service %s frontends %v: %w", key(svc), want, err)
		}
		klog.InfoS("LoadBalancer frontends", "service", key(svc), "ingress", want)
	}
	return nil
}

// holdsAddressOf says whether the Service's status lists an address of the load balancer's.
func (c *controller) holdsAddressOf(svc *corev1.Service) bool {
	for _, pool := range c.cfg.Pools {
		if _, ok := current(svc, pool); ok {
			return true
		}
	}
	return false
}
