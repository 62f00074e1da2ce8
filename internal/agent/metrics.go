package agent

import (
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/netspec"
)

// metrics are the agent's Prometheus metrics, served on /metrics beside /healthz and
// /readyz. They sit in a registry of the Agent's own, not the global default one, so that
// several agents in one process (the tests, the benchmarks) each count their own node.
type metrics struct {
	registry *prometheus.Registry

	syncs        *prometheus.CounterVec
	syncDuration prometheus.Histogram
	lastSync     prometheus.Gauge
	hostRoutes   *prometheus.GaugeVec // nil unless --routes=host

	sweeps, antispoofRepairs, staleRemoved, sweepErrors prometheus.Counter
	repairs                                             *prometheus.CounterVec

	// podCIDRs are the node's pod CIDRs as of the last sync that applied them: the ranges
	// whose address usage a scrape reports.
	podCIDRs atomic.Pointer[[]netip.Prefix]
}

// The result label of dualnet_agent_syncs_total.
const (
	syncOK      = "ok"
	syncError   = "error"
	syncWaiting = "waiting"
)

func newMetrics(a *Agent) *metrics {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "dualnet", Subsystem: "agent", Name: name, Help: help})
	}
	m := &metrics{
		registry: prometheus.NewRegistry(),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dualnet", Subsystem: "agent", Name: "syncs_total",
			Help: "Syncs of the node's dataplane by result: ok (the dataplane and CNI config are in place), error (the sync failed and is retried), waiting (no Node object or no spec.podCIDRs yet: nothing applied).",
		}, []string{"result"}),
		// The default buckets (5 ms to 10 s) span a sync: a few netlink calls and nft runs of
		// ~10 ms each when nothing changed, seconds when the API server or nft is slow.
		syncDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "dualnet", Subsystem: "agent", Name: "sync_duration_seconds",
			Help:    "How long a sync of the node's dataplane took, whatever its result.",
			Buckets: prometheus.DefBuckets,
		}),
		lastSync: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "dualnet", Subsystem: "agent", Name: "last_successful_sync_timestamp_seconds",
			Help: "When the last sync put the node's dataplane in place (Unix time; 0: never since the agent started). A sync runs at least every --resync.",
		}),
		sweeps: counter("antispoof_sweeps_total",
			"Sweeps of the CNI plugin's anti-spoofing table (every --antispoof-sweep)."),
		antispoofRepairs: counter("antispoof_repairs_total",
			"Times a sweep wrote the anti-spoofing table again, with the pods of the address store, because it was missing, damaged (a firewall reload flushed it?) or not this boot's."),
		staleRemoved: counter("antispoof_stale_registrations_removed_total",
			"Registrations of deleted pods (host veths that are gone) that sweeps removed from the anti-spoofing table."),
		sweepErrors: counter("antispoof_sweep_errors_total",
			"Sweeps that failed to repair the anti-spoofing table or to remove deleted pods' registrations (the agent log says why)."),
		repairs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dualnet", Subsystem: "agent", Name: "repairs_total",
			Help: "Pieces of node state the agent had put in place, found missing or changed, and put back (each also a log line and a DataplaneRepaired event on the Node), by what: " +
				"bridge (created again, or set up), bridge_address (a gateway), bridge_route (a pod CIDR's route through the bridge), bridge_port (a running pod's host veth attached again), " +
				"sysctl, masquerade (table inet dualnet), host_route, cni_config, cni_plugin, antispoof (the anti-spoofing table).",
		}, []string{"what"}),
	}
	for _, what := range repairKinds {
		m.repairs.WithLabelValues(what)
	}
	for _, result := range []string{syncOK, syncError, syncWaiting} {
		m.syncs.WithLabelValues(result) // every result from the start, so that rate() sees the first one
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.syncs, m.syncDuration, m.lastSync,
		m.sweeps, m.antispoofRepairs, m.staleRemoved, m.sweepErrors, m.repairs,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "dualnet", Subsystem: "agent", Name: "ready",
			Help: "1 when the last sync put the node's dataplane and CNI config in place (what /readyz answers), else 0.",
		}, func() float64 {
			if a.Ready() {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "dualnet", Subsystem: "agent", Name: "dataplane_changes_total",
			Help: "Changes syncs made to the node (the bridge, a sysctl, the masquerade table, the CNI config or plugin, a host route): drift repaired and updates applied. It stays still on a node in its desired state.",
		}, func() float64 { return float64(a.Changes()) }),
		&podAddressCollector{storeDir: cnicontract.StoreDir(a.cfg.CNIDataDir, cnicontract.NetworkName), ranges: &m.podCIDRs},
	)
	if a.cfg.Routes == HostRoutes {
		m.hostRoutes = prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "dualnet", Subsystem: "agent", Name: "host_routes",
			Help: "Host routes to other nodes' pod CIDRs in place as of the last sync, by family (--routes=host). Fewer than the other nodes' pod CIDRs: some node is not on this node's link (see the NodeNotOnLink events).",
		}, []string{"family"})
		m.registry.MustRegister(m.hostRoutes)
	}
	return m
}

// observeSync records one sync: how long it took, and its result from the error it returned
// and the readiness it left (a sync that returns no error but leaves the node not ready
// waits for its inputs).
func (m *metrics) observeSync(took time.Duration, err error, ready bool) {
	m.syncDuration.Observe(took.Seconds())
	switch {
	case err != nil:
		m.syncs.WithLabelValues(syncError).Inc()
	case ready:
		m.syncs.WithLabelValues(syncOK).Inc()
		m.lastSync.SetToCurrentTime()
	default:
		m.syncs.WithLabelValues(syncWaiting).Inc()
	}
}

// dataplaneApplied records what a successful sync put in place: the pod CIDRs whose usage
// scrapes report, and the host routes per family (the desired ones but those not on-link).
func (m *metrics) dataplaneApplied(d desiredState, done applied) {
	cidrs := d.network.PodCIDRs
	m.podCIDRs.Store(&cidrs)
	if m.hostRoutes == nil {
		return
	}
	count := map[string]int{string(netspec.IPv4): 0, string(netspec.IPv6): 0}
	for _, r := range d.routes {
		count[familyOf(r.Dst)]++
	}
	for _, r := range done.offLink {
		count[familyOf(r.Dst)]--
	}
	for family, n := range count {
		m.hostRoutes.WithLabelValues(family).Set(float64(n))
	}
}

// observeSweep counts one anti-spoofing sweep; failed is false for a sweep that ended
// because the agent stops.
func (m *metrics) observeSweep(repaired bool, removed int, failed bool) {
	m.sweeps.Inc()
	if repaired {
		m.antispoofRepairs.Inc()
	}
	m.staleRemoved.Add(float64(removed))
	if failed {
		m.sweepErrors.Inc()
	}
}

// familyOf is the family label's value: ipv4 or ipv6, the names of --ip-families.
func familyOf(p netip.Prefix) string { return string(netspec.FamilyOf(p)) }
