package routecontroller

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the controller's numbers for /metrics: how full the table is, how many writes
// the syncs cost, and how many nodes wait for room.
type metrics struct {
	routes, otherRoutes, unfitNodes prometheus.Gauge
	writes, syncErrors              prometheus.Counter
	syncSeconds                     prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	opts := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: "dualnet", Subsystem: "routes", Name: name, Help: help}
	}
	m := &metrics{
		routes:      prometheus.NewGauge(prometheus.GaugeOpts(opts("table_routes", "dualnet's routes in the table after the last sync."))),
		otherRoutes: prometheus.NewGauge(prometheus.GaugeOpts(opts("table_other_routes", "Routes in the table that are not dualnet's (they take room too)."))),
		unfitNodes:  prometheus.NewGauge(prometheus.GaugeOpts(opts("unfit_nodes", "Nodes without routes because the table is full (--max-routes)."))),
		writes:      prometheus.NewCounter(prometheus.CounterOpts(opts("writes_total", "Writes sent to the route backend (one per sync that changed anything)."))),
		syncErrors:  prometheus.NewCounter(prometheus.CounterOpts(opts("sync_errors_total", "Syncs that failed and were retried."))),
		syncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "dualnet", Subsystem: "routes", Name: "sync_duration_seconds",
			Help: "Time of one sync: read, plan, write, conditions.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 12)}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.routes, m.otherRoutes, m.unfitNodes, m.writes, m.syncErrors, m.syncSeconds} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
