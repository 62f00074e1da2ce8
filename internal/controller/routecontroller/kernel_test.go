package routecontroller_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/controller/routecontroller"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/routes"
	"github.com/dualnet/dualnet/internal/routes/kernel"
	"github.com/dualnet/dualnet/internal/routes/kernel/kerneltest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

func kernelBackend(t *testing.T, ns string) *kernel.Backend {
	t.Helper()
	b, err := kernel.New(kernel.Config{NetNS: ns, PodCIDRs: podCIDRs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// ipRoutes is `ip route` and `ip -6 route` of dualnet's protocol in the namespace, as lines
// "prefix via hop".
func ipRoutes(t *testing.T, ns string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	proto := fmt.Sprint(routes.KernelProtocol)
	for _, family := range []string{"-4", "-6"} {
		for _, line := range strings.Split(kerneltest.IP(t, "-n", ns, family, "route", "show", "proto", proto), "\n") {
			f := strings.Fields(line)
			if len(f) >= 3 && f[1] == "via" {
				out[f[0]+" via "+f[2]] = true
			}
		}
	}
	return out
}

func wantIPRoutes(nodes []testNode) map[string]bool {
	out := map[string]bool{}
	for _, n := range nodes {
		for i, c := range n.podCIDRs {
			out[c+" via "+n.ips[i]] = true
		}
	}
	return out
}

func sameSet(got, want map[string]bool) (bool, string) {
	if len(got) != len(want) {
		return false, fmt.Sprintf("%d routes, want %d: %v", len(got), len(want), got)
	}
	for r := range want {
		if !got[r] {
			return false, fmt.Sprintf("missing %s in %v", r, got)
		}
	}
	return true, ""
}

func TestKernelBackendScenariosCheckedWithIPRoute(t *testing.T) {
	ns := kerneltest.Router(t, "rtctl")
	kerneltest.IP(t, "-n", ns, "route", "add", "default", "via", "10.240.0.250")
	// A stale route of dualnet's protocol from before a restart, for a node that is gone.
	kerneltest.IP(t, "-n", ns, "route", "add", "10.244.99.0/24", "via", "10.240.0.99", "proto", fmt.Sprint(routes.KernelProtocol))
	client := kubetest.FastClient(t)
	first := startController(t, routecontroller.Options{Backend: kernelBackend(t, ns), Resync: 300 * time.Millisecond})
	nodes := nodesFor(t, 0, 3)
	createNodes(t, client, nodes)

	poll.Eventually(t, 20*time.Second, "6 routes (3 per family) and the stale one gone", func() error {
		return poll.Met(sameSet(ipRoutes(t, ns), wantIPRoutes(nodes)))
	})
	poll.Eventually(t, 20*time.Second, "NetworkUnavailable=False/RouteCreated", func() error {
		return poll.Met(allConditions(networkUnavailable(t, client, nodes), nodes, "False/RouteCreated"))
	})

	kerneltest.IP(t, "-n", ns, "route", "del", nodes[1].podCIDRs[0])
	poll.Eventually(t, 20*time.Second, "route deleted behind dualnet's back restored", func() error {
		return poll.Met(sameSet(ipRoutes(t, ns), wantIPRoutes(nodes)))
	})

	deleteNodes(t, client, nodes[2:])
	poll.Eventually(t, 20*time.Second, "the deleted node's routes removed", func() error {
		return poll.Met(sameSet(ipRoutes(t, ns), wantIPRoutes(nodes[:2])))
	})
	if all := kerneltest.IP(t, "-n", ns, "route", "show"); !strings.Contains(all, "default via 10.240.0.250") {
		t.Errorf("the namespace's own default route is gone:\n%s", all)
	}

	first.stop()
	again := kernelBackend(t, ns)
	second := startController(t, routecontroller.Options{Backend: again})
	poll.Eventually(t, 20*time.Second, "restarted controller synced", func() error { return poll.Met(second.Ready() == nil, "") })
	if w := again.Writes(); w != 0 {
		t.Errorf("restart with nothing changed made %d route writes", w)
	}
	if ok, state := sameSet(ipRoutes(t, ns), wantIPRoutes(nodes[:2])); !ok {
		t.Errorf("after restart: %s", state)
	}
}

// A node whose InternalIP the router has no link to gets no route, and its condition says
// why. The other nodes' routes land and they are told so, and node IPAM is not held back:
// one bad node must not stop the cluster's routing.
func TestKernelRouteThatFailsHoldsBackOnlyItsNode(t *testing.T) {
	ns := kerneltest.Router(t, "rtbad")
	client := kubetest.FastClient(t)
	c := startController(t, routecontroller.Options{Backend: kernelBackend(t, ns), Resync: 300 * time.Millisecond})
	nodes := nodesFor(t, 0, 3)
	bad := &nodes[2]
	bad.ips[0] = "10.99.0.5" // the router's link is 10.240.0.0/16
	createNodes(t, client, nodes)

	want := wantIPRoutes(nodes[:2])
	want[bad.podCIDRs[1]+" via "+bad.ips[1]] = true // its IPv6 route has a link
	poll.Eventually(t, 20*time.Second, "the good nodes' routes and the bad node's IPv6 route", func() error {
		return poll.Met(sameSet(ipRoutes(t, ns), want))
	})
	wantBad := "True/NoRouteCreated: dualnet could not write the node's routes: replace route " + bad.podCIDRs[0] + " via " + bad.ips[0]
	poll.Eventually(t, 20*time.Second, "conditions: the good nodes routed, the bad one told why not", func() error {
		if ok, why := allConditions(networkUnavailable(t, client, nodes[:2]), nodes[:2], "False/RouteCreated"); !ok {
			return errors.New(why)
		}
		if got := networkUnavailableMessage(t, client, bad.name); !strings.HasPrefix(got, wantBad) {
			return fmt.Errorf("node %s has NetworkUnavailable %q, want %q...", bad.name, got, wantBad)
		}
		return nil
	})
	if err := c.Ready(); err != nil {
		t.Errorf("Ready with one node's route failing: %v", err)
	}
	if err := c.TableRead(); err != nil {
		t.Errorf("TableRead with one node's route failing: %v", err)
	}
}
