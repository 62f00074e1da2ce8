package routes

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

var clusterPodCIDRs = []netip.Prefix{
	netip.MustParsePrefix("10.244.0.0/16"),
	netip.MustParsePrefix("fd12:3456:789a::/64"),
}

// node returns dual-stack node i as dualnet's IPAM would allocate it.
func node(i int) Node {
	return Node{
		Name: fmt.Sprintf("node-%d", i),
		PodCIDRs: []netip.Prefix{
			netip.MustParsePrefix(fmt.Sprintf("10.244.%d.0/24", i)),
			netip.MustParsePrefix(fmt.Sprintf("fd12:3456:789a:0:%x::/80", i)),
		},
		InternalIPs: []netip.Addr{
			netip.MustParseAddr(fmt.Sprintf("10.240.%d.%d", (i+4)/256, (i+4)%256)),
			netip.MustParseAddr(fmt.Sprintf("fd00::%x", i+4)),
		},
	}
}

func nodes(n int) []Node {
	var out []Node
	for i := range n {
		out = append(out, node(i))
	}
	return out
}

func TestRouteNameIsCloudProviderAzures(t *testing.T) {
	for _, tc := range []struct{ node, cidr, want string }{
		{"aks-nodepool1-123-vmss000000", "10.244.0.0/24", "aks-nodepool1-123-vmss000000____102440024"},
		{"n1", "fd12:3456:789a:0:1::/80", "n1____fd123456789a0180"},
	} {
		got := RouteName(tc.node, netip.MustParsePrefix(tc.cidr))
		if got != tc.want {
			t.Errorf("RouteName(%q, %s) = %q, want %q", tc.node, tc.cidr, got, tc.want)
		}
		if n, ok := NodeOfRoute(got); !ok || n != tc.node {
			t.Errorf("NodeOfRoute(%q) = %q, %v; want %q", got, n, ok, tc.node)
		}
	}
}

func TestDesiredGivesEachDualStackNodeOneRoutePerFamily(t *testing.T) {
	got := Desired(nodes(3), clusterPodCIDRs)
	if len(got) != 3 {
		t.Fatalf("got %d nodes, want 3", len(got))
	}
	want := []Route{
		{"node-1____102441024", netip.MustParsePrefix("10.244.1.0/24"), netip.MustParseAddr("10.240.0.5")},
		{"node-1____fd123456789a0180", netip.MustParsePrefix("fd12:3456:789a:0:1::/80"), netip.MustParseAddr("fd00::5")},
	}
	if fmt.Sprint(got[1].Routes) != fmt.Sprint(want) || !got[1].Complete {
		t.Errorf("node-1 routes = %v (complete %v), want %v", got[1].Routes, got[1].Complete, want)
	}
}

func TestDesiredIgnoresPodCIDRsOutsideTheClusterAndMarksTheNodeIncomplete(t *testing.T) {
	n := node(1)
	n.PodCIDRs = append(n.PodCIDRs, netip.MustParsePrefix("192.168.7.0/24"))
	got := Desired([]Node{n}, clusterPodCIDRs)
	if len(got[0].Routes) != 2 {
		t.Errorf("routes = %v, want only the two inside the cluster pod CIDRs", got[0].Routes)
	}
	// The node's 192.168.7.0/24 pods are reachable through no route: it is not routed.
	if got[0].Complete {
		t.Errorf("node with a pod CIDR outside the cluster is Complete; want Complete=false")
	}
	if want := "pod CIDR 192.168.7.0/24 is outside the cluster pod CIDRs"; len(got[0].Problems) != 1 || !strings.Contains(got[0].Problems[0], want) {
		t.Errorf("problems = %q, want one containing %q", got[0].Problems, want)
	}
}

func TestDesiredMarksNodeWithoutIPv6AddressIncomplete(t *testing.T) {
	n := node(1)
	n.InternalIPs = n.InternalIPs[:1]
	got := Desired([]Node{n}, clusterPodCIDRs)
	if got[0].Complete || len(got[0].Routes) != 1 {
		t.Errorf("got %+v, want one IPv4 route and Complete=false", got[0])
	}
}

// A node whose pod CIDRs break the rules (an IPv6 range first, read by internal/nodeaddrs) is
// not routed, and its problem is what was wrong with them, not "no pod CIDR".
func TestDesiredReportsBadPodCIDRsAsTheNodesProblem(t *testing.T) {
	n := Node{Name: "node-0", InternalIPs: node(0).InternalIPs, BadPodCIDRs: "node node-0: spec.podCIDRs: the IPv6 range comes first"}
	got := Desired([]Node{n}, clusterPodCIDRs)
	if len(got[0].Routes) != 0 || got[0].Complete || strings.Join(got[0].Problems, "; ") != n.BadPodCIDRs {
		t.Errorf("Desired = %+v, want no routes and the problem %q alone", got[0], n.BadPodCIDRs)
	}
}

func TestDesiredGivesAPrefixToTheFirstNodeOnlyAndLeavesTheSecondIncomplete(t *testing.T) {
	a, b := node(1), node(2)
	b.PodCIDRs = a.PodCIDRs
	got := Desired([]Node{a, b}, clusterPodCIDRs)
	if len(got[1].Routes) != 0 {
		t.Errorf("second node claiming the same CIDRs got routes %v", got[1].Routes)
	}
	// Its traffic goes to the first node, so the second is not routed.
	if got[1].Complete {
		t.Errorf("second node claiming the same CIDRs is Complete; want Complete=false")
	}
	if want := `already routed to node "node-1"`; len(got[1].Problems) != 2 || !strings.Contains(got[1].Problems[0], want) {
		t.Errorf("problems = %q, want two containing %q", got[1].Problems, want)
	}
	if !got[0].Complete {
		t.Errorf("first node is not Complete: %q", got[0].Problems)
	}
}

func TestPlanAddsAllRoutesToEmptyTable(t *testing.T) {
	p := MakePlan(nil, Desired(nodes(3), clusterPodCIDRs), 400)
	if len(p.Added) != 6 || len(p.Table) != 6 || len(p.Unfit) != 0 {
		t.Errorf("added %d, table %d, unfit %v; want 6, 6, none", len(p.Added), len(p.Table), p.Unfit)
	}
}

func TestPlanOfSatisfiedTableChangesNothing(t *testing.T) {
	desired := Desired(nodes(3), clusterPodCIDRs)
	first := MakePlan(nil, desired, 400)
	second := MakePlan(first.Table, desired, 400)
	if second.Changed() {
		t.Errorf("second plan changes %+v", second)
	}
}

func TestPlanRemovesRoutesOfDeletedNode(t *testing.T) {
	before := MakePlan(nil, Desired(nodes(3), clusterPodCIDRs), 400).Table
	p := MakePlan(before, Desired(nodes(2), clusterPodCIDRs), 400)
	if len(p.Removed) != 2 || len(p.Table) != 4 {
		t.Errorf("removed %v, table %d; want node-2's two routes removed", p.Removed, len(p.Table))
	}
	for _, r := range p.Removed {
		if n, _ := NodeOfRoute(r.Name); n != "node-2" {
			t.Errorf("removed %s, which is not node-2's", r.Name)
		}
	}
}

func TestPlanUpdatesRouteWhoseNextHopMoved(t *testing.T) {
	before := MakePlan(nil, Desired(nodes(1), clusterPodCIDRs), 400).Table
	n := node(0)
	n.InternalIPs[0] = netip.MustParseAddr("10.240.9.9")
	p := MakePlan(before, Desired([]Node{n}, clusterPodCIDRs), 400)
	if len(p.Updated) != 1 || p.Updated[0].NextHop != n.InternalIPs[0] {
		t.Errorf("updated %v, want the IPv4 route to 10.240.9.9", p.Updated)
	}
}

func TestPlanLeavesNodesThatDoNotFitUnrouted(t *testing.T) {
	p := MakePlan(nil, Desired(nodes(201), clusterPodCIDRs), 400)
	if len(p.Table) != 400 || len(p.Unfit) != 1 || p.Unfit[0] != "node-200" {
		t.Errorf("table %d, unfit %v; want 400 and node-200", len(p.Table), p.Unfit)
	}
}

func TestPlanNeverDropsExistingRoutesToMakeRoom(t *testing.T) {
	// node-5 was routed before the older nodes 0..4 appeared; with room for 4 routes it keeps
	// its routes and only node-0 fits beside it.
	before := MakePlan(nil, Desired([]Node{node(5)}, clusterPodCIDRs), 4).Table
	p := MakePlan(before, Desired(nodes(6), clusterPodCIDRs), 4)
	if len(p.Removed) != 0 || len(p.Table) != 4 || fmt.Sprint(p.Unfit) != "[node-1 node-2 node-3 node-4]" {
		t.Errorf("removed %v, table %d, unfit %v", p.Removed, len(p.Table), p.Unfit)
	}
}

func TestRoutedNeedsEveryRouteOfTheNode(t *testing.T) {
	desired := Desired(nodes(2), clusterPodCIDRs)
	table := MakePlan(nil, desired, 400).Table
	if !Routed(desired[0], table) {
		t.Error("node-0 not routed with all its routes in the table")
	}
	if Routed(desired[0], table[1:]) {
		t.Error("node-0 routed with one of its routes missing")
	}
}

func TestAdoptNamesUnnamedRoutesAfterTheNodeWithTheirPrefix(t *testing.T) {
	desired := Desired(nodes(2), clusterPodCIDRs)
	current := []Route{
		{Prefix: desired[1].Routes[0].Prefix, NextHop: desired[1].Routes[0].NextHop},
		{Prefix: netip.MustParsePrefix("10.244.99.0/24"), NextHop: netip.MustParseAddr("10.240.0.99")},
	}
	got := Adopt(current, desired)
	if got[0].Name != desired[1].Routes[0].Name {
		t.Errorf("adopted name %q, want %q", got[0].Name, desired[1].Routes[0].Name)
	}
	p := MakePlan(got, desired, 400)
	if len(p.Removed) != 1 || p.Removed[0].Prefix != current[1].Prefix || len(p.Added) != 3 {
		t.Errorf("plan removed %v added %d; want the stray 10.244.99.0/24 removed and 3 added", p.Removed, len(p.Added))
	}
}
