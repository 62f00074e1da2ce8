package cni_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"

	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
)

func TestFirstTwoPodsGetDotTwoAndDotThreeAndReachEachOtherAndTheGateway(t *testing.T) {
	nw := newNetwork(t).onBridge("cbr0") // the agent's bridge name, as on a node
	a := nw.addPod("first")
	b := nw.addPod("second")

	for _, tc := range []struct {
		p    *pod
		want []string
	}{
		{a, nthOfEach(nw.cidrs, 2)},
		{b, nthOfEach(nw.cidrs, 3)},
	} {
		var got []string
		for _, ip := range tc.p.result.IPs {
			got = append(got, ip.Address.String())
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s got %v, want %v (IPv4 first)", tc.p.rt.ContainerID, got, tc.want)
		}
		checkResultShape(t, tc.p.result, tc.p.ns.Path)
	}
	for i := range nw.cidrs {
		mustReach(t, a, a.addr(i), b.addr(i))
		mustReach(t, b, b.addr(i), a.addr(i))
		mustReach(t, a, a.addr(i), nw.gateway(i))
		mustReach(t, b, b.addr(i), nw.gateway(i))
	}
	// DAD is off inside the pod: nothing tentative, so the address worked at once.
	// The one link-local address is the plugin's, which the anti-spoofing rules hold the pod
	// to; the kernel made none.
	out := inPod(t, a.ns, "ip", "-6", "addr", "show", "dev", "eth0")
	if strings.Contains(out, "tentative") {
		t.Errorf("pod IPv6 addresses are tentative:\n%s", out)
	}
	mac, err := net.ParseMAC(a.result.Interfaces[2].Mac) // eth0, in the sandbox
	if err != nil {
		t.Fatal(err)
	}
	if ll := antispoof.LinkLocal(mac).String() + "/64"; strings.Count(out, "fe80:") != 1 || !strings.Contains(out, ll) {
		t.Errorf("pod link-local addresses: want %s alone:\n%s", ll, out)
	}
	for _, p := range []*pod{a, b} {
		veth := p.result.Interfaces[1].Name
		link, err := netlink.LinkByName(veth)
		if err != nil {
			t.Fatal(err)
		}
		if info, err := netlink.LinkGetProtinfo(link); err != nil || !info.Hairpin {
			t.Errorf("bridge port %s: hairpin off (%v), want on", veth, err)
		}
		// A bridge port has no address of its own: no link-local, so no DAD, MLD or router
		// solicitation from it flooded to every pod.
		if out, err := exec.Command("ip", "-6", "addr", "show", "dev", veth).CombinedOutput(); err != nil || strings.Contains(string(out), "inet6") {
			t.Errorf("bridge port %s has an IPv6 address (%v):\n%s", veth, err, out)
		}
	}
	if out := inPod(t, a.ns, "ip", "-d", "link", "show", "dev", "eth0"); !strings.Contains(out, "mtu 1500") {
		t.Errorf("pod eth0 MTU is not 1500:\n%s", out)
	}
}

// checkResultShape: bridge, host end, pod end (in the sandbox); addresses on the pod end;
// a default route per family via its gateway.
func checkResultShape(t *testing.T, r *current.Result, netns string) {
	t.Helper()
	if len(r.Interfaces) != 3 || r.Interfaces[2].Name != "eth0" || r.Interfaces[2].Sandbox != netns || r.Interfaces[2].Mac == "" {
		t.Fatalf("interfaces = %v, want bridge, host veth, eth0 in %s", r.Interfaces, netns)
	}
	for _, ip := range r.IPs {
		if ip.Interface == nil || *ip.Interface != 2 {
			t.Errorf("IP %s is not on interface 2 (eth0)", ip.Address.String())
		}
	}
	if len(r.Routes) != len(r.IPs) {
		t.Fatalf("routes = %v, want one default route per family", r.Routes)
	}
	for i, rt := range r.Routes {
		if ones, _ := rt.Dst.Mask.Size(); ones != 0 || !rt.GW.Equal(r.IPs[i].Gateway) {
			t.Errorf("route %v is not a default route via %s", rt, r.IPs[i].Gateway)
		}
	}
}

func TestAddAndDelSpeakEverySupportedVersion(t *testing.T) {
	nw := newNetwork(t)
	for i, v := range []string{"0.4.0", "1.0.0", "1.1.0"} {
		nw.reload(v)
		p := nw.addPod("version-" + v)
		// Each version's pod takes the next address in turn, after the one the last DEL freed.
		if want := nw.nth(0, 2+i).String(); p.result.IPs[0].Address.IP.String() != want {
			t.Errorf("cniVersion %s: first address %s, want %s", v, p.result.IPs[0].Address.IP, want)
		}
		if err := nw.drv.Del(context.Background(), p.rt); err != nil {
			t.Fatalf("cniVersion %s: DEL: %v", v, err)
		}
	}
}

func TestSingleStackNetworkGivesOnlyIPv4(t *testing.T) {
	nw := newNetwork(t, "ipv4")
	a := nw.addPod("v4-a")
	b := nw.addPod("v4-b")
	if len(a.result.IPs) != 1 || a.addr(0) != nw.nth(0, 2) {
		t.Fatalf("IPs = %v, want only %s", a.result.IPs, nw.nth(0, 2))
	}
	mustReach(t, a, a.addr(0), b.addr(0))
}
