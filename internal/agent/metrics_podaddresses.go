package agent

import (
	"net/netip"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/podipam"
)

// podAddressCollector reports how full the node's pod CIDRs are, from the CNI plugin's
// address store. It counts when scraped, not at each sync: pods come and go between syncs
// (which run on Node changes and every --resync), so a count from the last sync could be a
// minute old, while a count at scrape time costs one listing of the store's ip/ directory
// (a few hundred names) and takes no lock, so it never delays the plugin's ADD or DEL.
type podAddressCollector struct {
	storeDir string
	ranges   *atomic.Pointer[[]netip.Prefix] // holds nil until a sync applied the pod CIDRs
}

var (
	podAddressesInUse = prometheus.NewDesc("dualnet_agent_pod_addresses_in_use",
		"Addresses of the node's pod CIDR reserved for pods in the CNI plugin's address store, by family.",
		[]string{"family"}, nil)
	podAddressesCapacity = prometheus.NewDesc("dualnet_agent_pod_addresses_capacity",
		"Addresses of the node's pod CIDR that the CNI plugin can give to pods, by family: all but the network address, the gateway on the bridge and (IPv4) the broadcast address.",
		[]string{"family"}, nil)
)

func (c *podAddressCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- podAddressesInUse
	ch <- podAddressesCapacity
}

// Collect reports nothing before the node has pod CIDRs, and logs and reports nothing when
// the store cannot be read: failing the scrape would hide every other metric.
func (c *podAddressCollector) Collect(ch chan<- prometheus.Metric) {
	ranges := c.ranges.Load()
	if ranges == nil {
		return
	}
	usage, err := podipam.ReadUsage(c.storeDir, *ranges)
	if err != nil {
		klog.Background().Error(err, "Pod address usage not reported: reading the CNI plugin's address store failed", "store", c.storeDir)
		return
	}
	for _, u := range usage {
		family := familyOf(u.Range)
		ch <- prometheus.MustNewConstMetric(podAddressesInUse, prometheus.GaugeValue, float64(u.InUse), family)
		ch <- prometheus.MustNewConstMetric(podAddressesCapacity, prometheus.GaugeValue, float64(u.Capacity), family)
	}
}
