package controlplane

import (
	"fmt"
	"net/netip"
	"time"
)

// Options says what to run. The zero value is a dual-stack etcd + kube-apiserver on loopback.
type Options struct {
	// BinDir holds the binaries; empty means BinDir().
	BinDir string
	// Dir is where the control plane's temporary directory is created; empty means os.TempDir().
	Dir string

	// Netns, when set, is the path of a network namespace (e.g. /run/netns/lab-cp) that every
	// component runs in, as on a control-plane machine of its own; this package's own clients
	// (readiness checks, RestConfig) dial into it, so the caller need not be in it. Loopback
	// addresses below are then the namespace's loopback.
	Netns string

	// BindAddress is where kube-apiserver listens; the zero value means 127.0.0.1. Clients dial
	// it (or 127.0.0.1 if it is unspecified, 0.0.0.0 or ::). etcd, kube-controller-manager and
	// kube-scheduler always listen on loopback only.
	BindAddress netip.Addr
	// AdvertiseAddress is the address of the "kubernetes" Service's endpoints. The zero value
	// means BindAddress when that is a routable address; on loopback the endpoints are not
	// kept at all (the API refuses loopback endpoints), which clients outside pods never notice.
	AdvertiseAddress netip.Addr
	// ExtraSANs are more names or IP addresses for the API server's serving certificate, for
	// clients that reach it by another address (the lab's nodes).
	ExtraSANs []string

	// ServiceCIDRs are kube-apiserver's --service-cluster-ip-range, primary family first;
	// empty means DefaultServiceCIDRs.
	ServiceCIDRs []netip.Prefix
	// ClusterCIDRs are kube-controller-manager's --cluster-cidr; empty means DefaultClusterCIDRs.
	ClusterCIDRs []netip.Prefix

	// ControllerManager also runs kube-controller-manager (deployments, replicasets, service
	// accounts, garbage collection, ...), with node CIDR allocation and cloud routes off:
	// that is dualnet's job. ControllerManagerFlags are appended last, so they override.
	ControllerManager      bool
	ControllerManagerFlags []string
	// Scheduler also runs kube-scheduler; SchedulerFlags are appended last.
	Scheduler      bool
	SchedulerFlags []string

	// APIServerFlags and EtcdFlags are appended last to those components' command lines.
	APIServerFlags []string
	EtcdFlags      []string

	// StartTimeout bounds the whole start, unless ctx ends first; zero means two minutes,
	// enough for a cold start on a busy 2-core machine.
	StartTimeout time.Duration
}

// DefaultServiceCIDRs and DefaultClusterCIDRs are AKS's dual-stack kubenet defaults.
var (
	DefaultServiceCIDRs = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/16"),
		netip.MustParsePrefix("fd12:3456:789a:1::/108"),
	}
	DefaultClusterCIDRs = []netip.Prefix{
		netip.MustParsePrefix("10.244.0.0/16"),
		netip.MustParsePrefix("fd12:3456:789a::/64"),
	}
)

func (o Options) withDefaults() (Options, error) {
	if o.BinDir == "" {
		o.BinDir = BinDir()
	}
	if !o.BindAddress.IsValid() {
		o.BindAddress = netip.MustParseAddr("127.0.0.1")
	}
	if len(o.ServiceCIDRs) == 0 {
		o.ServiceCIDRs = DefaultServiceCIDRs
	}
	if len(o.ClusterCIDRs) == 0 {
		o.ClusterCIDRs = DefaultClusterCIDRs
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 2 * time.Minute
	}
	for _, p := range append(append([]netip.Prefix(nil), o.ServiceCIDRs...), o.ClusterCIDRs...) {
		if !p.IsValid() || p != p.Masked() {
			return o, fmt.Errorf("controlplane options: CIDR %s is not a valid network prefix (host bits must be zero)", p)
		}
	}
	if len(o.ServiceCIDRs) > 2 || (len(o.ServiceCIDRs) == 2 && o.ServiceCIDRs[0].Addr().Is4() == o.ServiceCIDRs[1].Addr().Is4()) {
		return o, fmt.Errorf("controlplane options: ServiceCIDRs %v: want one CIDR, or two of different families", o.ServiceCIDRs)
	}
	return o, nil
}

// dialAddress is where clients reach kube-apiserver.
func (o Options) dialAddress() netip.Addr {
	if o.BindAddress.IsUnspecified() {
		if o.BindAddress.Is6() {
			return netip.IPv6Loopback()
		}
		return netip.MustParseAddr("127.0.0.1")
	}
	return o.BindAddress
}

// advertiseAddress returns the "kubernetes" endpoints' address, or false when there is no
// address the API accepts as an endpoint.
func (o Options) advertiseAddress() (netip.Addr, bool) {
	if o.AdvertiseAddress.IsValid() {
		return o.AdvertiseAddress, true
	}
	if o.BindAddress.IsLoopback() || o.BindAddress.IsUnspecified() {
		return netip.Addr{}, false
	}
	return o.BindAddress, true
}
