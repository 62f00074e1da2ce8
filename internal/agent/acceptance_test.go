package agent_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dualnet/dualnet/internal/agent/agenttest"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/dataplane/nodens"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/golden"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

const serverPort = 8080

// seenThrough polls until the server at addr:port answers a request from ns, and returns the
// source address it saw. IPv6 neighbour discovery and new routes take a moment to settle.
func seenThrough(t *testing.T, from nodens.Namespace, addr netip.Addr, port int) netip.Addr {
	t.Helper()
	var seen netip.Addr
	poll.Eventually(t, 15*time.Second, fmt.Sprintf("request to %s", netip.AddrPortFrom(addr, uint16(port))), func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var err error
		seen, err = dptest.PeerAddressSeen(ctx, from, addr, port)
		return err
	})
	return seen
}

func TestPodReachesPodOnAnotherNodeWithItsOwnAddressInBothFamilies(t *testing.T) {
	c := agenttest.NewCluster(t, 2)
	client, server := c.Nodes[0].AddPod(t), c.Nodes[1].AddPod(t)
	dptest.ServePeerAddress(t, nodens.At(server.NS.Path), serverPort)
	for i, family := range []string{"IPv4", "IPv6"} {
		if got := seenThrough(t, nodens.At(client.NS.Path), server.IPs[i], serverPort); got != client.IPs[i] {
			t.Errorf("%s: server pod saw %s, want the client pod's own %s (no NAT between pods)", family, got, client.IPs[i])
		}
	}
}

func TestPodEgressLeavesWithTheNodeIPOfItsFamily(t *testing.T) {
	c := agenttest.NewCluster(t, 2)
	p := c.Nodes[0].AddPod(t)
	dptest.ServePeerAddress(t, c.VNetHost.NS, serverPort)
	node := c.Nodes[0].Host
	for _, tc := range []struct {
		dst, want netip.Addr
	}{{c.VNetHost.IPv4, node.IPv4}, {c.VNetHost.IPv6, node.IPv6}} {
		if got := seenThrough(t, nodens.At(p.NS.Path), tc.dst, serverPort); got != tc.want {
			t.Errorf("vnet-host %s saw %s, want node 0's InternalIP %s", tc.dst, got, tc.want)
		}
	}
}

// nodeState is what a restart must not change: the table with rule handles (a rewritten rule
// gets a new handle) and dualnet's routes of both families.
func nodeState(t *testing.T, n *agenttest.Node) (table, routes string) {
	table = dptest.InNS(t, n.Host.Name, "nft", "list", "table", "inet", "dualnet")
	routes = dptest.InNS(t, n.Host.Name, "ip", "route", "show", "proto", "211") +
		dptest.InNS(t, n.Host.Name, "ip", "-6", "route", "show", "proto", "211")
	return table, routes
}

func TestAgentRestartLeavesTablesAndRoutesIdentical(t *testing.T) {
	c := agenttest.NewCluster(t, 2)
	n := c.Nodes[0]
	table, routes := nodeState(t, n)
	golden.Compare(t, "node0.nft", table)
	golden.Compare(t, "node0.routes", routes)
	handles := dptest.InNS(t, n.Host.Name, "nft", "-a", "list", "table", "inet", "dualnet")
	// The kernel adds the local routes of an IPv6 address when its duplicate address detection
	// ends, a second or two after the link came up: the tables compared are those after it.
	poll.Eventually(t, 10*time.Second, "IPv6 duplicate address detection done on "+n.Name, func() error {
		if out := dptest.InNS(t, n.Host.Name, "ip", "-6", "addr", "show", "tentative"); out != "" {
			return fmt.Errorf("tentative addresses:\n%s", out)
		}
		return nil
	})
	fullTables := func() string {
		return dptest.InNS(t, n.Host.Name, "ip", "route", "show", "table", "all") +
			dptest.InNS(t, n.Host.Name, "ip", "-6", "route", "show", "table", "all")
	}
	allRoutes := fullTables()

	n.StopAgent()
	n.Start(t)
	n.WaitReady(t)

	if got := n.Agent.Changes(); got != 0 {
		t.Errorf("restarted agent made %d changes, want none", got)
	}
	tableAfter, routesAfter := nodeState(t, n)
	if tableAfter != table || routesAfter != routes {
		t.Errorf("state changed across a restart:\n%s%s\nbefore:\n%s%s", tableAfter, routesAfter, table, routes)
	}
	if after := fullTables(); after != allRoutes {
		t.Errorf("route tables changed across a restart:\n%s\nbefore:\n%s", after, allRoutes)
	}
	if after := dptest.InNS(t, n.Host.Name, "nft", "-a", "list", "table", "inet", "dualnet"); after != handles {
		t.Errorf("rules were rewritten across a restart (handles differ):\n%s\nbefore:\n%s", after, handles)
	}
}

func TestDriftIsRepairedWithinOneResync(t *testing.T) {
	c := agenttest.NewCluster(t, 2)
	n := c.Nodes[0]
	table, routes := nodeState(t, n)
	peerCIDR := c.Nodes[1].PodCIDRs[0].String()
	dptest.InNS(t, n.Host.Name, "ip", "route", "del", peerCIDR)
	dptest.InNS(t, n.Host.Name, "nft", "flush", "table", "inet", "dualnet")
	poll.Eventually(t, agenttest.Resync+2*time.Second, "route and table restored", func() error {
		tableNow, routesNow := nodeState(t, n)
		if tableNow != table || routesNow != routes {
			return fmt.Errorf("node has\n%s%s", tableNow, routesNow)
		}
		return nil
	})
}

func TestDeletedNodesRoutesDisappearFromTheOtherNode(t *testing.T) {
	c := agenttest.NewCluster(t, 2)
	name := dptest.Name("node9-")
	v4, v6 := agenttest.NodeAddrs(9)
	cidrs := c.Nodes[0].AgentConfig.Spec.NodeCIDRs(9)
	agenttest.CreateNode(t, name, cidrs, v4, v6)
	n := c.Nodes[0]
	hasRoutes := func(want bool) func() error {
		return func() error {
			_, routes := nodeState(t, n)
			for _, p := range cidrs {
				if strings.Contains(routes, p.String()) != want {
					return fmt.Errorf("route to %s present=%v, want %v:\n%s", p, !want, want, routes)
				}
			}
			return nil
		}
	}
	poll.Eventually(t, 10*time.Second, "routes to the new node", hasRoutes(true))
	agenttest.DeleteNode(t, name)
	poll.Eventually(t, 10*time.Second, "routes to the deleted node gone", hasRoutes(false))
}

func TestOffLinkNodeGetsAnEventInsteadOfARoute(t *testing.T) {
	c := agenttest.NewCluster(t, 1)
	name := dptest.Name("far-")
	cidrs := c.Nodes[0].AgentConfig.Spec.NodeCIDRs(7)
	agenttest.CreateNode(t, name, cidrs, netip.MustParseAddr("192.168.99.9"), netip.MustParseAddr("fd00:99::9"))
	far, err := kubetest.Client().CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 30 s: client-go retries a failed event write after about 10 s.
	poll.Eventually(t, 30*time.Second, "NodeNotOnLink event", func() error {
		events, err := kubetest.Client().CoreV1().Events("").List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Reason == "NodeNotOnLink" && e.InvolvedObject.UID == far.UID {
				return nil
			}
		}
		return fmt.Errorf("%d events, none NodeNotOnLink", len(events.Items))
	})
	if _, routes := nodeState(t, c.Nodes[0]); strings.Contains(routes, cidrs[0].String()) {
		t.Errorf("route to an off-link node installed:\n%s", routes)
	}
}
