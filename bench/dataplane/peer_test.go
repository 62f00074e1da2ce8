package dataplane

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/dataplane/lbprobe"
	"github.com/dualnet/dualnet/internal/netspec"
)

// The peer is the stack an AKS kubenet node runs instead of dualnet: upstream's bridge and
// host-local plugins (containernetworking/plugins at go.mod's version, v1.10.0), ip-masq-agent's
// masquerade, bridge netfilter on, the pod CIDRs routed node to node (Azure's route table;
// here the same host routes as dualnet's host-route mode) and, unless -peer-lb-probe=false,
// the IPv6 LB probe table every AKS node with IPv6 carries. Its nodes are two more namespaces
// on the same vnet as dualnet's, so both stacks cross the same bridge and veths.
const (
	bridgePackage    = "github.com/containernetworking/plugins/plugins/main/bridge"
	hostLocalPackage = "github.com/containernetworking/plugins/plugins/ipam/host-local"
	// ipMasqTable is the peer's masquerade table, named like everything the benchmark makes.
	ipMasqTable = "dn-bench-ipmasq"
	// probeTable is the peer's IPv6 LB probe table.
	probeTable = "dn-bench-azure-slb-probe"
)

var peerProbe = flag.Bool("peer-lb-probe", true, "give the peer's nodes AKS's IPv6 LB probe table (AgentBaker's ipv6_nftables), as every AKS node with IPv6 has")

// peerNode is one node of the peer stack.
type peerNode struct {
	host     dptest.Host
	podCIDRs []netip.Prefix // IPv4 first
	driver   *cnitest.Driver
}

// newPeer adds two peer nodes to c's vnet (at the node addresses after dualnet's and with the
// pod CIDRs of the blocks after dualnet's) and one pod on each, and returns the two pods.
// Everything goes at the test's cleanup.
func newPeer(b *testing.B, c *agenttest.Cluster) (client, server *agenttest.Pod) {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "bin")
	for out, pkg := range map[string]string{"bridge": bridgePackage, "host-local": hostLocalPackage} {
		if err := cnitest.Build(filepath.Join(bin, out), pkg); err != nil {
			b.Fatal(err)
		}
	}
	spec := netspec.Default()
	var nodes []*peerNode
	for i := range 2 {
		block := len(c.Nodes) + i
		v4, v6 := agenttest.NodeAddrs(block)
		n := &peerNode{host: c.VNet.AddHost(b, fmt.Sprintf("k%d", i), v4, v6), podCIDRs: spec.NodeCIDRs(uint64(block))}
		// What a kubenet node sets (and dualnet's agent sets on its nodes): forwarding, and
		// bridge netfilter, which these namespaces have on from birth (the sysctls are per
		// namespace, as checked on Linux 6.18; the host's are never touched): set here so
		// that the peer does not depend on the default.
		dptest.InNS(b, n.host.Name, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
		setBridgeNetfilter(b, n.host.Name, "1")
		ipMasquerade(b, n.host.Name, spec)
		if *peerProbe {
			azureProbeRewrite(b, n.host.Name)
		}
		dir := b.TempDir()
		drv, err := cnitest.NewDriver(bin, filepath.Join(dir, "cache"), peerConflist(n.podCIDRs, filepath.Join(dir, "ipam")))
		if err != nil {
			b.Fatal(err)
		}
		n.driver = drv
		nodes = append(nodes, n)
	}
	// Each node routes the other's pod CIDRs to it, as Azure's route table does for kubenet.
	for i, n := range nodes {
		other := nodes[1-i]
		for j, cidr := range other.podCIDRs {
			dptest.InNS(b, n.host.Name, "ip", "route", "add", cidr.String(), "via", []netip.Addr{other.host.IPv4, other.host.IPv6}[j].String())
		}
	}
	pod := func(n *peerNode) *agenttest.Pod { return agenttest.AddPodThrough(b, n.host.NS, n.driver, nil, nil) }
	return pod(nodes[0]), pod(nodes[1])
}

// ipMasquerade writes ip-masq-agent's rules in nftables: traffic to a destination that is not
// local to the node and not in the cluster's pod CIDRs leaves with the node's address. (The
// agent writes iptables; on an nftables kernel, iptables-nft turns them into these
// expressions.)
func ipMasquerade(b *testing.B, ns string, spec netspec.Spec) {
	b.Helper()
	var keep []string
	for _, p := range spec.PodCIDRs {
		match := "ip"
		if p.Addr().Is6() {
			match = "ip6"
		}
		keep = append(keep, fmt.Sprintf("\t\t%s daddr %s return", match, p))
	}
	ruleset := fmt.Sprintf(`table inet %s {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		fib daddr type local return
%s
		masquerade
	}
}
`, ipMasqTable, strings.Join(keep, "\n"))
	loadRuleset(b, ns, ruleset)
}

// azureProbeRewrite writes the IPv6 LB probe table an AKS node runs (AgentBaker's
// ipv6_nftables service, started on every node that IMDS says has IPv6): the probe's
// link-local source rewritten to a global one as it comes in on eth0, and back on the answer
// going out, in two filter chains at priority -300 that every IPv6 packet passes. dualnet's
// agent keeps the same rewrite (dataplane/lbprobe), so without this table the peer would
// skip per-packet work that both stacks do on AKS.
func azureProbeRewrite(b *testing.B, ns string) {
	b.Helper()
	ruleset := fmt.Sprintf(`table ip6 %s {
	chain prerouting {
		type filter hook prerouting priority -300; policy accept;
		iifname "eth0" ip6 saddr %s ip6 saddr set %s counter
	}
	chain postrouting {
		type filter hook postrouting priority -300; policy accept;
		oifname "eth0" ip6 daddr %s ip6 daddr set %s counter
	}
}
`, probeTable, lbprobe.ProbeSource, lbprobe.GlobalSource, lbprobe.GlobalSource, lbprobe.ProbeSource)
	loadRuleset(b, ns, ruleset)
}

// loadRuleset loads an nftables ruleset (nft -f) in the namespace ns.
func loadRuleset(b *testing.B, ns, ruleset string) {
	b.Helper()
	file := filepath.Join(b.TempDir(), "ruleset.nft")
	if err := os.WriteFile(file, []byte(ruleset), 0o644); err != nil {
		b.Fatal(err)
	}
	dptest.InNS(b, ns, "nft", "-f", file)
}

// peerConflist is the bridge plugin as a kubenet node configures it: the gateways on the
// bridge, hairpin, host-local with the node's pod CIDR of each family and default routes; no
// ipMasq (ip-masq-agent does that).
func peerConflist(podCIDRs []netip.Prefix, dataDir string) []byte {
	var ranges, routes []any
	for _, p := range podCIDRs {
		ranges = append(ranges, []any{map[string]any{"subnet": p.String()}})
		dst := "0.0.0.0/0"
		if p.Addr().Is6() {
			dst = "::/0"
		}
		routes = append(routes, map[string]any{"dst": dst})
	}
	data, _ := json.Marshal(map[string]any{"cniVersion": "1.1.0", "name": "dn-bench-kubenet", "plugins": []any{map[string]any{
		"type": "bridge", "bridge": "cbr0", "isGateway": true, "hairpinMode": true, "mtu": 1500,
		"ipam": map[string]any{"type": "host-local", "ranges": ranges, "routes": routes, "dataDir": dataDir},
	}}})
	return data
}
