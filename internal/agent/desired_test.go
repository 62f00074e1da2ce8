package agent

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dualnet/dualnet/internal/dataplane/hostroutes"
	"github.com/dualnet/dualnet/internal/netspec"
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

func twoNodes() []nodeInfo {
	return []nodeInfo{
		{name: "n0", podCIDRs: []netip.Prefix{pfx("10.244.0.0/24"), pfx("fd12:3456:789a::/80")}, ips: []netip.Addr{addr("172.30.0.4"), addr("fd00:30::4")}},
		{name: "n1", podCIDRs: []netip.Prefix{pfx("10.244.1.0/24"), pfx("fd12:3456:789a:0:1::/80")}, ips: []netip.Addr{addr("172.30.0.5"), addr("fd00:30::5")}},
	}
}

func TestDesiredStateRoutesToTheOtherNodeAndNATsToOwnIPs(t *testing.T) {
	cfg := Config{NodeName: "n0", Spec: netspec.Default(), Routes: HostRoutes, Bridge: "cbr0"}
	nodes := twoNodes()
	d, err := desiredFor(cfg, nodes[0], nodes)
	if err != nil {
		t.Fatal(err)
	}
	if want := []netip.Prefix{pfx("10.244.0.1/24"), pfx("fd12:3456:789a::1/80")}; !slices.Equal(d.gateways, want) {
		t.Errorf("gateways = %v, want %v", d.gateways, want)
	}
	if !slices.Equal(d.masquerade.NodeIPs, nodes[0].ips) || !slices.Equal(d.masquerade.ClusterPodCIDRs, netspec.Default().PodCIDRs) {
		t.Errorf("masquerade = %+v", d.masquerade)
	}
	want := []hostroutes.Route{
		{Node: "n1", Dst: pfx("10.244.1.0/24"), Via: addr("172.30.0.5")},
		{Node: "n1", Dst: pfx("fd12:3456:789a:0:1::/80"), Via: addr("fd00:30::5")},
	}
	if !slices.Equal(d.routes, want) {
		t.Errorf("routes = %v, want %v", d.routes, want)
	}
	if !d.ipv4 || !d.ipv6 {
		t.Errorf("families = %v/%v, want both", d.ipv4, d.ipv6)
	}
}

func TestDesiredStateHasNoRoutesInRouteTableMode(t *testing.T) {
	cfg := Config{NodeName: "n0", Spec: netspec.Default(), Routes: NoRoutes, Bridge: "cbr0"}
	nodes := twoNodes()
	d, err := desiredFor(cfg, nodes[0], nodes)
	if err != nil || len(d.routes) != 0 {
		t.Errorf("desiredFor = %v routes, %v; want none", d.routes, err)
	}
}

func TestDesiredStateWaitsForPodCIDRs(t *testing.T) {
	_, err := desiredFor(Config{NodeName: "n0"}, nodeInfo{name: "n0"}, nil)
	if !errors.Is(err, errNoPodCIDRs) {
		t.Errorf("err = %v, want errNoPodCIDRs", err)
	}
}

// The agent reads a Node's pod CIDRs by the plugin's rules (nodeaddrs.PodCIDRs), so that it
// never writes a conflist the plugin refuses: its own Node listing IPv6 first fails the sync
// with an error naming the field and the rule; a peer's is left out of the host routes.
func TestDesiredStateRefusesIPv6FirstPodCIDRsAndRoutesNoPeerByThem(t *testing.T) {
	cfg := Config{NodeName: "n0", Spec: netspec.Default(), Routes: HostRoutes, Bridge: "cbr0"}
	ipv6First := func(name, v4, v6 string) nodeInfo {
		return nodeInfoOf(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDR: v6, PodCIDRs: []string{v6, v4}}})
	}
	self := ipv6First("n0", "10.244.0.0/24", "fd12:3456:789a::/80")
	_, err := desiredFor(cfg, self, []nodeInfo{self})
	want := "the CNI plugin would refuse this node's pod CIDRs: node n0: spec.podCIDRs: the IPv6 range fd12:3456:789a::/80 comes before the IPv4 range 10.244.0.0/24"
	if err == nil || !strings.HasPrefix(err.Error(), want) || errors.Is(err, errNoPodCIDRs) {
		t.Errorf("desiredFor(a node with IPv6-first pod CIDRs) = %v, want an error starting %q", err, want)
	}
	nodes := twoNodes()
	peer := ipv6First("n1", "10.244.1.0/24", "fd12:3456:789a:0:1::/80")
	peer.ips = nodes[1].ips
	d, err := desiredFor(cfg, nodes[0], []nodeInfo{nodes[0], peer})
	if err != nil || len(d.routes) != 0 {
		t.Errorf("desiredFor with a peer listing IPv6 first = routes %v, %v; want no routes to it and no error", d.routes, err)
	}
}

func TestDesiredStateNamesTheFamilyWithoutAnInternalIP(t *testing.T) {
	cfg := Config{NodeName: "n0", Spec: netspec.Default(), Routes: HostRoutes, Bridge: "cbr0"}
	nodes := twoNodes()
	nodes[0].ips = nodes[0].ips[:1] // IPv4 only
	d, err := desiredFor(cfg, nodes[0], nodes)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.noNodeIP, []netspec.Family{netspec.IPv6}) {
		t.Errorf("noNodeIP = %v, want [IPv6]", d.noNodeIP)
	}
	if full, _ := desiredFor(cfg, twoNodes()[0], twoNodes()); len(full.noNodeIP) != 0 {
		t.Errorf("noNodeIP of a node with both InternalIPs = %v, want none", full.noNodeIP)
	}
}
