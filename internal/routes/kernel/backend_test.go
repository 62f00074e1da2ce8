package kernel_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/routes"
	"github.com/dualnet/dualnet/internal/routes/kernel"
	"github.com/dualnet/dualnet/internal/routes/kernel/kerneltest"
)

var podCIDRs = []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd12:3456:789a::/64")}

func desired(n int) []routes.NodeRoutes {
	var nodes []routes.Node
	for i := range n {
		nodes = append(nodes, routes.Node{Name: fmt.Sprintf("n%d", i),
			PodCIDRs: []netip.Prefix{netip.MustParsePrefix(fmt.Sprintf("10.244.%d.0/24", i)),
				netip.MustParsePrefix(fmt.Sprintf("fd12:3456:789a:0:%x::/80", i))},
			InternalIPs: []netip.Addr{netip.MustParseAddr(fmt.Sprintf("10.240.0.%d", i+4)), netip.MustParseAddr(fmt.Sprintf("fd00::%x", i+4))}})
	}
	return routes.Desired(nodes, podCIDRs)
}

func sync(t *testing.T, b *kernel.Backend, want []routes.NodeRoutes) routes.Plan {
	t.Helper()
	read, err := b.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	read.Routes = routes.Adopt(read.Routes, want)
	p := routes.MakePlan(read.Routes, want, 400)
	if err := b.Write(context.Background(), read, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoutesAreProgrammedWithDualnetsProtocolAndOthersLeftAlone(t *testing.T) {
	ns := kerneltest.Router(t, "rk")
	kerneltest.IP(t, "-n", ns, "route", "add", "default", "via", "10.240.0.250")
	kerneltest.IP(t, "-n", ns, "route", "add", "10.244.200.0/24", "via", "10.240.0.99") // not dualnet's protocol
	b, err := kernel.New(kernel.Config{NetNS: ns, PodCIDRs: podCIDRs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)

	sync(t, b, desired(3))
	v4 := kerneltest.IP(t, "-n", ns, "route", "show", "proto", fmt.Sprint(routes.KernelProtocol))
	v6 := kerneltest.IP(t, "-n", ns, "-6", "route", "show", "proto", fmt.Sprint(routes.KernelProtocol))
	for _, want := range []string{"10.244.0.0/24 via 10.240.0.4", "10.244.2.0/24 via 10.240.0.6"} {
		if !strings.Contains(v4, want) {
			t.Errorf("ip route lacks %q:\n%s", want, v4)
		}
	}
	if !strings.Contains(v6, "fd12:3456:789a:0:1::/80 via fd00::5") {
		t.Errorf("ip -6 route lacks node 1's route:\n%s", v6)
	}

	sync(t, b, desired(2))
	all := kerneltest.IP(t, "-n", ns, "route", "show")
	if strings.Contains(all, "10.244.2.0/24") {
		t.Errorf("route of the removed node still there:\n%s", all)
	}
	for _, want := range []string{"default via 10.240.0.250", "10.244.200.0/24 via 10.240.0.99"} {
		if !strings.Contains(all, want) {
			t.Errorf("someone else's route %q was touched:\n%s", want, all)
		}
	}
}

func TestStaleRoutesAreFoundByProtocolAfterRestart(t *testing.T) {
	ns := kerneltest.Router(t, "rk")
	kerneltest.IP(t, "-n", ns, "route", "add", "10.244.77.0/24", "via", "10.240.0.77", "proto", fmt.Sprint(routes.KernelProtocol))
	b, err := kernel.New(kernel.Config{NetNS: ns, PodCIDRs: podCIDRs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	p := sync(t, b, desired(1))
	if len(p.Removed) != 1 {
		t.Errorf("removed %v, want the stale 10.244.77.0/24", p.Removed)
	}
	if again := sync(t, b, desired(1)); again.Changed() {
		t.Errorf("second sync changes %+v", again)
	}
}
