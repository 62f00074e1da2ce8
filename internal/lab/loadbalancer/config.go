package loadbalancer

import (
	"fmt"
	"net/netip"
	"time"
)

// cloud-provider-azure's probe defaults (pkg/consts: HealthProbeDefaultProbeInterval,
// HealthProbeDefaultNumOfProbe).
const (
	DefaultProbeInterval  = 5 * time.Second
	DefaultProbeThreshold = 2
)

// Azure's health probe sources (Azure Load Balancer documentation, "probe source IP address";
// the IPv6 one is the link-local address AKS nodes see probes from).
var (
	ProbeSourceIPv4 = netip.MustParseAddr("168.63.129.16")
	ProbeSourceIPv6 = netip.MustParseAddr("fe80::1234:5678:9abc")
)

// Config is where the load balancer lives and how it behaves.
type Config struct {
	// Netns is the path of the vnet router's namespace, which plays the load balancer.
	Netns string
	// Bridge is the nodes' link in that namespace: probes leave by it, from the probe sources.
	Bridge string
	// Pools are the frontend ranges, one per family.
	Pools []netip.Prefix
	// ProbeInterval and ProbeThreshold: how often each backend is probed, and how many
	// consecutive probes with the same answer change its state. Zero: Azure's defaults.
	ProbeInterval  time.Duration
	ProbeThreshold int
	// FirstFamilyOnly gives a Service a frontend of its first family only, as AKS's dual-stack
	// preview does.
	FirstFamilyOnly bool
	// ReportFile, if set, receives the load balancer's state (Report) after every change.
	ReportFile string
}

// withDefaults fills in Azure's defaults.
func (c Config) withDefaults() Config {
	if c.ProbeInterval == 0 {
		c.ProbeInterval = DefaultProbeInterval
	}
	if c.ProbeThreshold == 0 {
		c.ProbeThreshold = DefaultProbeThreshold
	}
	return c
}

// ValidateProbes names the flag and the rule a probe setting breaks.
func ValidateProbes(interval time.Duration, threshold int) error {
	switch {
	case interval < 100*time.Millisecond:
		return fmt.Errorf("--lb-probe-interval=%s: want 100ms or more (Azure's default is %s)", interval, DefaultProbeInterval)
	case threshold < 1:
		return fmt.Errorf("--lb-probe-threshold=%d: want 1 or more (Azure's default is %d)", threshold, DefaultProbeThreshold)
	}
	return nil
}

// probeTimeout bounds one probe: it must end before the next one starts.
func (c Config) probeTimeout() time.Duration {
	return min(c.ProbeInterval, 30*time.Second)
}
