package agent

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

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

func TestDesiredStateNamesTheFamilyWithoutAnInternalIP(t *testing.T) {
	cfg := Config{NodeName: "n0", Spec: netspec.Default(), Routes: HostRoutes, Bridge: "cbr0"}
	nodes := twoNodes()
	nodes[0].ips = nodes[0].ips[:1] // IPv4 only
	d, err := desiredFor(cfg, nodes[0], nodes)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.noNodeIP, []string{"IPv6"}) {
		t.Errorf("noNodeIP = %v, want [IPv6]", d.noNodeIP)
	}
	if full, _ := desiredFor(cfg, twoNodes()[0], twoNodes()); len(full.noNodeIP) != 0 {
		t.Errorf("noNodeIP of a node with both InternalIPs = %v, want none", full.noNodeIP)
	}
}
