package cni_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	current "github.com/containernetworking/cni/pkg/types/100"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/netns"
)

func TestTwoHundredAddDelCyclesLeaveNothingBehind(t *testing.T) {
	nw := newNetwork(t)
	sandbox := newSandbox(t)
	ctx := context.Background()
	for i := 0; i < 200; i++ {
		rt := cnitest.Runtime(fmt.Sprintf("cycle-%d", i), sandbox.Path, "eth0")
		res, err := nw.drv.Add(ctx, rt)
		if err != nil {
			t.Fatalf("cycle %d: ADD: %v", i, err)
		}
		// In turn, as host-local hands them out: the address a DEL released comes back only
		// after the rest of the range.
		if r, _ := current.NewResultFromResult(res); r.IPs[0].Address.IP.String() != nw.nth(0, 2+i).String() {
			t.Fatalf("cycle %d: got %s, want %s, the next in turn", i, r.IPs[0].Address.IP, nw.nth(0, 2+i))
		}
		if err := nw.drv.Del(ctx, rt); err != nil {
			t.Fatalf("cycle %d: DEL: %v", i, err)
		}
	}
	if left := nw.leftovers(); len(left) != 0 {
		t.Errorf("after 200 cycles: %v", left)
	}
	if out := inPod(t, sandbox, "ip", "-o", "addr"); strings.Contains(out, "eth0") {
		t.Errorf("the sandbox still has eth0:\n%s", out)
	}
}

func TestFiftyConcurrentAddsGetDistinctAddresses(t *testing.T) {
	nw := newNetwork(t)
	const n = 50
	pods := make([]*pod, n)
	for i := range pods {
		pods[i] = &pod{ns: newSandbox(t)}
		pods[i].rt = cnitest.Runtime(fmt.Sprintf("concurrent-%d", i), pods[i].ns.Path, "eth0")
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, p := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := nw.drv.Add(ctx, p.rt)
			if err == nil {
				p.result, err = current.NewResultFromResult(res)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	seen := map[netip.Addr]string{}
	for i, p := range pods {
		if errs[i] != nil {
			t.Fatalf("ADD %s: %v", p.rt.ContainerID, errs[i])
		}
		for j := range p.result.IPs {
			a := p.addr(j)
			if other, dup := seen[a]; dup {
				t.Errorf("%s given to %s and %s", a, other, p.rt.ContainerID)
			}
			seen[a] = p.rt.ContainerID
		}
	}
	if len(seen) != 2*n {
		t.Errorf("%d distinct addresses, want %d (50 per family)", len(seen), 2*n)
	}
	mustReach(t, pods[0], pods[0].addr(1), pods[n-1].addr(1))
	for i, p := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = nw.drv.Del(ctx, p.rt)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("DEL %s: %v", pods[i].rt.ContainerID, err)
		}
	}
	if left := nw.leftovers(); len(left) != 0 {
		t.Errorf("after 50 concurrent DELs: %v", left)
	}
}

func TestDelSucceedsWhateverIsAlreadyGone(t *testing.T) {
	nw := newNetwork(t)
	ctx := context.Background()
	if err := nw.drv.Del(ctx, cnitest.Runtime("never-added", netns.Path("dn-none"), "eth0")); err != nil {
		t.Errorf("DEL of an attachment that never existed: %v", err)
	}
	p := nw.addPod("del-twice")
	for i := 0; i < 2; i++ {
		if err := nw.drv.Del(ctx, p.rt); err != nil {
			t.Fatalf("DEL #%d: %v", i+1, err)
		}
	}
	q := nw.addPod("netns-gone")
	if err := q.ns.Delete(); err != nil {
		t.Fatal(err)
	}
	if err := nw.drv.Del(ctx, q.rt); err != nil {
		t.Errorf("DEL after the sandbox is gone: %v", err)
	}
	if left := nw.leftovers(); len(left) != 0 {
		t.Errorf("left after DELs: %v", left)
	}
}

func TestCheckComparesLiveInterfaceWithPrevResult(t *testing.T) {
	nw := newNetwork(t)
	p := nw.addPod("checked")
	ctx := context.Background()
	if err := nw.drv.Check(ctx, p.rt); err != nil {
		t.Fatalf("CHECK of a healthy pod: %v", err)
	}
	inPod(t, p.ns, "ip", "-6", "route", "del", "default")
	if err := nw.drv.Check(ctx, p.rt); err == nil {
		t.Error("CHECK passed with the IPv6 default route gone")
	}
	q := nw.addPod("checked-addr")
	inPod(t, q.ns, "ip", "addr", "del", q.addr(0).String()+"/24", "dev", "eth0")
	// The error names the missing address: it starts with the network's "10.244.n".
	v4 := strings.TrimSuffix(nw.cidrs[0].Addr().String(), ".0")
	if err := nw.drv.Check(ctx, q.rt); err == nil || !strings.Contains(err.Error(), v4) {
		t.Errorf("CHECK with the IPv4 address gone = %v, want an error naming it", err)
	}
	r := nw.addPod("checked-subnet")
	subnet := netip.PrefixFrom(r.addr(0), 24).Masked().String()
	inPod(t, r.ns, "ip", "route", "del", subnet, "dev", "eth0")
	if err := nw.drv.Check(ctx, r.rt); err == nil || !strings.Contains(err.Error(), subnet) {
		t.Errorf("CHECK with the route to %s gone = %v, want an error naming it", subnet, err)
	}
	g := nw.addPod("checked-gateway")
	other := netip.PrefixFrom(g.addr(0), 24).Masked().Addr().As4()
	other[3] = 254 // on the pod's link, not its gateway (.1) nor a pod's address
	inPod(t, g.ns, "ip", "route", "replace", "default", "via", netip.AddrFrom4(other).String(), "dev", "eth0")
	if err := nw.drv.Check(ctx, g.rt); err == nil || !strings.Contains(err.Error(), "0.0.0.0/0 via") {
		t.Errorf("CHECK with the IPv4 default route through another gateway = %v, want an error naming the route", err)
	}
}

func TestRepeatedAddKeepsAddressesAndRulesOnce(t *testing.T) {
	nw := newNetwork(t)
	p := nw.addPod("repeated")
	res, err := nw.drv.Add(context.Background(), p.rt)
	if err != nil {
		t.Fatalf("second ADD: %v", err)
	}
	again, err := current.NewResultFromResult(res)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.result.IPs {
		if again.IPs[i].Address.String() != p.result.IPs[i].Address.String() {
			t.Errorf("second ADD gave %s, first %s", again.IPs[i].Address.String(), p.result.IPs[i].Address.String())
		}
	}
	pods, err := antispoof.Pods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ifc, err := net.InterfaceByName(p.result.Interfaces[1].Name)
	if err != nil {
		t.Fatal(err)
	}
	if got := pods[ifc.Index].Addrs; len(got) != 3 {
		t.Errorf("after a repeated ADD the port may send from %v, want its two addresses and its IPv6 link-local address, once each", got)
	}
	mustReach(t, p, p.addr(1), nw.gateway(1))
}
