package loadbalancer

import (
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/knftables"

	"github.com/dualnet/dualnet/internal/testutil/golden"
)

// TestTableMarksNewFlowsWithAHealthyBackendAndDNATsWithoutFloatingIP: a rule hashes a new
// flow's 5-tuple onto its healthy backends only (here two of three), a rule with none drops
// new flows, SourceIP affinity hashes the addresses alone, a rule without floating IP DNATs
// to the chosen node's NodePort, and a flow's mark is copied to its packets one way only.
func TestTableMarksNewFlowsWithAHealthyBackendAndDNATsWithoutFloatingIP(t *testing.T) {
	web := []Rule{{Protocol: corev1.ProtocolTCP, Port: 80, NodePort: 30080, FloatingIP: true, Probe: &Probe{Protocol: ProbeTCP, Port: 30080}}}
	frontends := []Frontend{
		{Service: "default/web", IP: netip.MustParseAddr("203.0.113.1"), Rules: web},
		{Service: "default/web", IP: netip.MustParseAddr("2001:db8:203::1"), Rules: web},
		{Service: "default/no-floating", IP: netip.MustParseAddr("203.0.113.2"), Rules: []Rule{
			{Protocol: corev1.ProtocolUDP, Port: 53, NodePort: 30053, SourceIPAffinity: true}}},
	}
	pools := map[corev1.IPFamily][]Backend{
		corev1.IPv4Protocol: {{"n0", netip.MustParseAddr("10.240.0.4")}, {"n1", netip.MustParseAddr("10.240.0.5")}, {"n2", netip.MustParseAddr("10.240.0.6")}},
		corev1.IPv6Protocol: {{"n0", netip.MustParseAddr("2001:db8::4")}, {"n1", netip.MustParseAddr("2001:db8::5")}},
	}
	sl := slots{}
	sl.assign(sortedNodes(pools))
	healthy := func(r Rule, b Backend) bool { return r.Probe == nil || b.IP.Is4() && b.Node != "n1" }
	fake := knftables.NewFake(knftables.InetFamily, Table)
	tx := fake.NewTransaction()
	transaction(tx, frontends, pools, sl, healthy)
	if err := fake.Run(t.Context(), tx); err != nil {
		t.Fatal(err)
	}
	golden.Compare(t, "table.nft", fake.Dump())
}
