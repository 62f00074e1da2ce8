package routes_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	routesctl "github.com/dualnet/dualnet/internal/controller/routes"
	"github.com/dualnet/dualnet/internal/routes"
	"github.com/dualnet/dualnet/internal/routes/kernel"
)

// router makes a namespace standing for the nodes' shared network's router: one link with the
// node subnet of each family (10.240.0.0/16, fd00::/64). Removed when the test ends.
func router(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("the kernel backend tests need iproute2's `ip` (apt-get install iproute2) and root")
	}
	name := fmt.Sprintf("dn-rtctl-%d", os.Getpid())
	ip(t, "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	// A veth pair with both ends inside: dummy links need a kernel module that may be missing.
	ip(t, "-n", name, "link", "add", "nodes0", "type", "veth", "peer", "name", "nodes0p")
	ip(t, "-n", name, "addr", "add", "10.240.0.1/16", "dev", "nodes0")
	ip(t, "-n", name, "addr", "add", "fd00::1/64", "dev", "nodes0", "nodad")
	ip(t, "-n", name, "link", "set", "nodes0", "up")
	ip(t, "-n", name, "link", "set", "nodes0p", "up")
	return name
}

func ip(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

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
		for _, line := range strings.Split(ip(t, "-n", ns, family, "route", "show", "proto", proto), "\n") {
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
	ns := router(t)
	ip(t, "-n", ns, "route", "add", "default", "via", "10.240.0.250")
	// A stale route of dualnet's protocol from before a restart, for a node that is gone.
	ip(t, "-n", ns, "route", "add", "10.244.99.0/24", "via", "10.240.0.99", "proto", fmt.Sprint(routes.KernelProtocol))
	client := fastClient(t)
	first := startController(t, routesctl.Options{Backend: kernelBackend(t, ns), Resync: 300 * time.Millisecond})
	nodes := nodesFor(t, 0, 3)
	createNodes(t, client, nodes)

	eventually(t, 20*time.Second, "6 routes (3 per family) and the stale one gone", func() (bool, string) {
		return sameSet(ipRoutes(t, ns), wantIPRoutes(nodes))
	})
	eventually(t, 20*time.Second, "NetworkUnavailable=False/RouteCreated", func() (bool, string) {
		return allConditions(networkUnavailable(t, client, nodes), nodes, "False/RouteCreated")
	})

	ip(t, "-n", ns, "route", "del", nodes[1].podCIDRs[0])
	eventually(t, 20*time.Second, "route deleted behind dualnet's back restored", func() (bool, string) {
		return sameSet(ipRoutes(t, ns), wantIPRoutes(nodes))
	})

	deleteNodes(t, client, nodes[2:])
	eventually(t, 20*time.Second, "the deleted node's routes removed", func() (bool, string) {
		return sameSet(ipRoutes(t, ns), wantIPRoutes(nodes[:2]))
	})
	if all := ip(t, "-n", ns, "route", "show"); !strings.Contains(all, "default via 10.240.0.250") {
		t.Errorf("the namespace's own default route is gone:\n%s", all)
	}

	first.stop()
	again := kernelBackend(t, ns)
	second := startController(t, routesctl.Options{Backend: again})
	eventually(t, 20*time.Second, "restarted controller synced", func() (bool, string) { return second.Ready() == nil, "" })
	if w := again.Writes(); w != 0 {
		t.Errorf("restart with nothing changed made %d route writes", w)
	}
	if ok, state := sameSet(ipRoutes(t, ns), wantIPRoutes(nodes[:2])); !ok {
		t.Errorf("after restart: %s", state)
	}
}
