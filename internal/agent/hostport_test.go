package agent_test

import (
	"context"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// hostNftTables lists the tables of the test process's own (the host's) namespace: portmap
// runs in the node's namespace, and the host's must not change.
func hostNftTables(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("nft", "list", "tables").CombinedOutput()
	if err != nil {
		t.Fatalf("nft list tables (install nftables): %v\n%s", err, out)
	}
	return string(out)
}

// portmapRules is portmap's tables in the node's namespace, of both families.
func portmapRules(t *testing.T, n *agenttest.Node) string {
	t.Helper()
	var all strings.Builder
	for _, family := range []string{"ip", "ip6"} {
		all.WriteString(dptest.InNS(t, n.Host.Name, "nft", "list", "table", family, "cni_hostport"))
	}
	return all.String()
}

// A pod with hostPort 8080 -> containerPort 80, made through libcni with the conflist the
// agent wrote (dualnet, then the portmap the agent installed), answers at its node's address
// of each family on 8080: to a VM on the network, to another pod of the node and to the node
// itself, each seen with its own address (no SNAT). CNI DEL removes the mapping, and the
// host's own nftables never change.
func TestHostPortReachesThePodAtTheNodeAddressOfEachFamilyUntilDEL(t *testing.T) {
	hostBefore := hostNftTables(t)
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	if err := chains(cniconfig.Portmap)(string(n.Conflist(t))); err != nil {
		t.Fatalf("the agent's conflist chains no portmap: %v", err)
	}
	const hostPort, containerPort = 8080, 80
	server := n.AddPodWithPorts(t, agenttest.PortMapping{HostPort: hostPort, ContainerPort: containerPort, Protocol: "tcp"})
	dptest.ServePeerAddress(t, nodens.At(server.NS.Path), containerPort)
	neighbour := n.AddPod(t)

	nodeAddrs := []netip.Addr{n.Host.IPv4, n.Host.IPv6}
	vmAddrs := []netip.Addr{c.VNetHost.IPv4, c.VNetHost.IPv6}
	for i, family := range []string{"IPv4", "IPv6"} {
		clients := []struct {
			name string
			ns   nodens.Namespace
			addr netip.Addr
		}{
			{"vnet-host", c.VNetHost.NS, vmAddrs[i]},
			{"a pod of the same node", nodens.At(neighbour.NS.Path), neighbour.IPs[i]},
			{"the node", n.Host.NS, nodeAddrs[i]},
		}
		for _, cl := range clients {
			if got := seenThrough(t, cl.ns, nodeAddrs[i], hostPort); got != cl.addr {
				t.Errorf("%s: %s -> node %s:%d: the pod saw %s, want %s", family, cl.name, nodeAddrs[i], hostPort, got, cl.addr)
			}
		}
	}
	if rules := portmapRules(t, n); strings.Count(rules, server.ContainerID) != 2 {
		t.Errorf("portmap's tables hold %d rules of the pod, want one DNAT per family:\n%s", strings.Count(rules, server.ContainerID), rules)
	}

	if err := server.Del(); err != nil {
		t.Fatalf("CNI DEL: %v", err)
	}
	if rules := portmapRules(t, n); strings.Contains(rules, server.ContainerID) {
		t.Errorf("portmap rules of the pod left after CNI DEL:\n%s", rules)
	}
	for _, addr := range nodeAddrs {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		got, err := dptest.PeerAddressSeen(ctx, c.VNetHost.NS, addr, hostPort)
		cancel()
		if err == nil {
			t.Errorf("node %s:%d still answers after CNI DEL (the pod saw %s)", addr, hostPort, got)
		}
	}
	if after := hostNftTables(t); after != hostBefore {
		t.Errorf("the host's nftables tables changed:\nbefore:\n%s\nafter:\n%s", hostBefore, after)
	}
}

// Without a portmap binary to install, the node keeps its pod network: the agent writes the
// conflist without portmap (one naming a missing plugin would fail every ADD), pods start,
// and the Node gets a Warning that hostPort is ignored, naming the flag and the path.
func TestMissingPortmapLeavesItOutOfTheConflistAndWarns(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	n.StopAgent()
	missing := filepath.Join(t.TempDir(), "portmap")
	n.AgentConfig.CNIPortmapPlugin = missing
	startWithoutPlugin(t, n, cniconfig.Portmap, missing, "HostPortUnsupported")
}

// A copy of portmap installed before still serves when its source is gone (an image without
// it, a wrong flag): the conflist keeps chaining it, so DEL still reaches portmap for the
// pods whose hostPort it mapped.
func TestAPortmapInstalledBeforeServesWhenItsSourceIsGone(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	n := c.Nodes[0]
	n.StopAgent()
	n.AgentConfig.CNIPortmapPlugin = filepath.Join(t.TempDir(), "portmap")
	n.Start(t)
	n.WaitReady(t)
	if err := chains(cniconfig.Portmap)(string(n.Conflist(t))); err != nil {
		t.Errorf("the conflist no longer chains the installed portmap: %v", err)
	}
}
