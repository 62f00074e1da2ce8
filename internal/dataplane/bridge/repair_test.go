package bridge

import (
	"slices"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

func TestApplySaysWhatItChanged(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "br")
	h := netlinkIn(t, name)
	gws := Gateways(podCIDRs)
	_, first, err := Apply(h, "cbr0", gws, 1450, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || !slices.Equal(first.Added, gws) {
		t.Errorf("first Apply = %+v, want the bridge created and both gateways added", first)
	}
	if _, again, err := Apply(h, "cbr0", gws, 1450, nil); err != nil || again.Any() {
		t.Errorf("second Apply = %+v, %v: want no change", again, err)
	}
	dptest.InNS(t, name, "ip", "addr", "del", gws[1].String(), "dev", "cbr0")
	dptest.InNS(t, name, "ip", "link", "set", "cbr0", "down")
	_, repaired, err := Apply(h, "cbr0", gws, 1450, nil)
	if err != nil {
		t.Fatal(err)
	}
	if repaired.Created || !repaired.SetUp || !slices.Equal(repaired.Added, gws[1:]) || len(repaired.Removed) != 0 || repaired.MTU != 0 {
		t.Errorf("Apply after the IPv6 gateway was removed and the bridge set down = %+v, want it set up and %s added only", repaired, gws[1])
	}
}

func TestEnsureSubnetRoutesPutsBackDeletedRoutesOfBothFamilies(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "br")
	h := netlinkIn(t, name)
	gws := Gateways(podCIDRs)
	link, err := Ensure(h, "cbr0", gws, 1500)
	if err != nil {
		t.Fatal(err)
	}
	routes := func() string {
		return dptest.InNS(t, name, "ip", "route", "show", "dev", "cbr0") + dptest.InNS(t, name, "ip", "-6", "route", "show", "dev", "cbr0")
	}
	kernels := routes()
	if added, err := EnsureSubnetRoutes(h, link, gws); err != nil || len(added) != 0 {
		t.Fatalf("EnsureSubnetRoutes with the kernel's routes in place = %v, %v: want nothing added", added, err)
	}
	for _, p := range podCIDRs {
		dptest.InNS(t, name, "ip", "route", "del", p.String(), "dev", "cbr0")
	}
	if now := routes(); strings.Contains(now, podCIDRs[0].String()) || strings.Contains(now, podCIDRs[1].String()) {
		t.Fatalf("routes still there after ip route del:\n%s", now)
	}
	added, err := EnsureSubnetRoutes(h, link, gws)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(added, podCIDRs) {
		t.Errorf("added %v, want %v", added, podCIDRs)
	}
	// The same routes as the kernel's, to the letter (`ip route` prints every attribute that
	// differs).
	if now := routes(); now != kernels {
		t.Errorf("routes put back:\n%s\nthe kernel's:\n%s", now, kernels)
	}
}

func TestApplyPutsDetachedPortsOnABridgeCreatedAgainWithHairpin(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "br")
	h := netlinkIn(t, name)
	gws := Gateways(podCIDRs)
	if _, err := Ensure(h, "cbr0", gws, 1500); err != nil {
		t.Fatal(err)
	}
	var ports []int
	for _, veth := range []string{"dnport1", "dnport2"} {
		dptest.InNS(t, name, "ip", "link", "add", veth, "master", "cbr0", "up", "type", "veth", "peer", "name", veth+"p")
		link, err := h.LinkByName(veth)
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, link.Attrs().Index)
	}
	if _, c, err := Apply(h, "cbr0", gws, 1500, ports); err != nil || c.Any() {
		t.Fatalf("Apply with the ports on the bridge = %+v, %v: want no change", c, err)
	}
	dptest.InNS(t, name, "ip", "link", "del", "cbr0")
	dptest.InNS(t, name, "ip", "link", "del", "dnport2") // a pod deleted meanwhile
	br, c, err := Apply(h, "cbr0", gws, 1500, ports)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Created || !slices.Equal(c.Attached, []string{"dnport1"}) {
		t.Errorf("Apply after cbr0 was deleted = %+v, want it created and dnport1 attached (dnport2 is gone)", c)
	}
	link, err := h.LinkByName("dnport1")
	if err != nil {
		t.Fatal(err)
	}
	if link.Attrs().MasterIndex != br.Attrs().Index {
		t.Errorf("dnport1's master is %d, want cbr0 (%d)", link.Attrs().MasterIndex, br.Attrs().Index)
	}
	if info, err := h.LinkGetProtinfo(link); err != nil || !info.Hairpin {
		t.Errorf("dnport1 hairpin off (%+v, %v), want on", info, err)
	}
}
