package nodeipam

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dualnet/dualnet/internal/ipam"
)

// registerMetrics exposes the allocator's numbers, read when scraped. The capacity carries
// the binding limit as a label, since raising that limit is what makes room.
func (c *Controller) registerMetrics(reg prometheus.Registerer) error {
	gauge := func(name, help string, labels prometheus.Labels, value func(ipam.Stats) uint64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "dualnet", Subsystem: "nodeipam", Name: name, Help: help, ConstLabels: labels,
		}, func() float64 { return float64(value(c.stats())) })
	}
	capacity := c.alloc.Stats()
	collectors := []prometheus.Collector{
		gauge("allocated_nodes", "Nodes holding pod CIDRs.", nil,
			func(s ipam.Stats) uint64 { return s.Allocated }),
		gauge("free_nodes", "Nodes that can still be given pod CIDRs.", nil,
			func(s ipam.Stats) uint64 { return s.Free }),
		gauge("held_nodes", "Deleted nodes whose pod CIDRs wait for their routes to be removed.", nil,
			func(s ipam.Stats) uint64 { return s.Held }),
		gauge("capacity_nodes", "Nodes the network spec can hold; limit is the binding limit.",
			prometheus.Labels{"limit": capacity.Limit.String()},
			func(s ipam.Stats) uint64 { return s.Capacity }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "dualnet", Subsystem: "nodeipam", Name: "waiting_nodes",
			Help: "Nodes without pod CIDRs because there is no room.",
		}, func() float64 {
			c.mu.Lock()
			defer c.mu.Unlock()
			return float64(len(c.waiting))
		}),
	}
	for _, col := range collectors {
		if err := reg.Register(col); err != nil {
			return err
		}
	}
	return nil
}
