package bridge

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

var podCIDRs = []netip.Prefix{netip.MustParsePrefix("10.244.1.0/24"), netip.MustParsePrefix("fd12:3456:789a:0:1::/80")}

// netlinkIn is a netlink handle inside the test's namespace; failing to get one ends the test.
func netlinkIn(t *testing.T, name string) *netlink.Handle {
	t.Helper()
	h, err := dptest.Netlink(t, name)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestEnsureCreatesBridgeWithGatewaysAndIsIdempotent(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "br")
	h := netlinkIn(t, name)
	gws := Gateways(podCIDRs)
	for i := 0; i < 2; i++ {
		if _, err := Ensure(h, "cbr0", gws, 1450); err != nil {
			t.Fatalf("Ensure #%d: %v", i+1, err)
		}
	}
	out := dptest.InNS(t, name, "ip", "addr", "show", "dev", "cbr0")
	for _, want := range []string{"10.244.1.1/24", "fd12:3456:789a:0:1::1/80", "mtu 1450", "UP"} {
		if !strings.Contains(out, want) {
			t.Errorf("cbr0 lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "tentative") {
		t.Errorf("IPv6 gateway is tentative (DAD not off):\n%s", out)
	}
}

func TestEnsureReplacesStaleGatewayAndKeepsMAC(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "br")
	h := netlinkIn(t, name)
	first, err := Ensure(h, "cbr0", Gateways(podCIDRs[:1]), 1500)
	if err != nil {
		t.Fatal(err)
	}
	moved := []netip.Prefix{netip.MustParsePrefix("10.244.7.0/24")}
	second, err := Ensure(h, "cbr0", Gateways(moved), 1500)
	if err != nil {
		t.Fatal(err)
	}
	if first.Attrs().HardwareAddr.String() != second.Attrs().HardwareAddr.String() {
		t.Errorf("MAC changed from %s to %s", first.Attrs().HardwareAddr, second.Attrs().HardwareAddr)
	}
	addrs, err := h.AddrList(second, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 1 || addrs[0].IPNet.String() != "10.244.7.1/24" {
		t.Errorf("IPv4 addresses = %v, want only 10.244.7.1/24", addrs)
	}
}

func TestEnsureRefusesALinkThatIsNotABridge(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "br")
	dptest.InNS(t, name, "ip", "link", "add", "cbr0", "type", "veth", "peer", "name", "cbr0-peer")
	h := netlinkIn(t, name)
	if _, err := Ensure(h, "cbr0", nil, 1500); err == nil || !strings.Contains(err.Error(), "not a bridge") {
		t.Errorf("Ensure over a veth = %v, want a 'not a bridge' error", err)
	}
}

func TestEnsureRefusesABridgeHoldingTheNodesAddressAndLeavesItAlone(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "br")
	// What a host with its address on br0 looks like, and the agent given --bridge=br0.
	dptest.InNS(t, name, "ip", "link", "add", "br0", "type", "bridge")
	dptest.InNS(t, name, "ip", "link", "set", "br0", "up")
	dptest.InNS(t, name, "ip", "addr", "add", "192.168.50.10/24", "dev", "br0")
	dptest.InNS(t, name, "ip", "addr", "add", "10.244.1.77/24", "dev", "br0")
	h := netlinkIn(t, name)
	_, err := Ensure(h, "br0", Gateways(podCIDRs), 1450)
	if err == nil || !strings.Contains(err.Error(), "bridge br0") || !strings.Contains(err.Error(), "192.168.50.10/24") {
		t.Fatalf("Ensure over a bridge holding 192.168.50.10/24 = %v, want an error naming br0 and the address", err)
	}
	out := dptest.InNS(t, name, "ip", "addr", "show", "dev", "br0")
	for _, want := range []string{"192.168.50.10/24", "10.244.1.77/24", "mtu 1500"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refused br0 lost %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "10.244.1.1/24") {
		t.Errorf("the refused br0 got a gateway:\n%s", out)
	}
}

func TestEnsureTakesAForeignBridgeWhoseAddressesAreInsideThePodCIDRs(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "br")
	dptest.InNS(t, name, "ip", "link", "add", "cbr0", "type", "bridge")
	dptest.InNS(t, name, "ip", "addr", "add", "10.244.1.77/24", "dev", "cbr0")
	h := netlinkIn(t, name)
	link, err := Ensure(h, "cbr0", Gateways(podCIDRs), 1500)
	if err != nil {
		t.Fatal(err)
	}
	if Owned(link) {
		t.Error("a bridge someone else created counts as dualnet's; the agent's Cleanup would delete it")
	}
	out := dptest.InNS(t, name, "ip", "addr", "show", "dev", "cbr0")
	if strings.Contains(out, "10.244.1.77") || !strings.Contains(out, "10.244.1.1/24") {
		t.Errorf("cbr0 should hold the gateway instead of 10.244.1.77:\n%s", out)
	}
}

func TestEnsureMarksTheBridgesItCreatesAsOwned(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "br")
	h := netlinkIn(t, name)
	link, err := Ensure(h, "cbr0", Gateways(podCIDRs), 1500)
	if err != nil {
		t.Fatal(err)
	}
	if !Owned(link) {
		t.Errorf("the bridge Ensure created is not Owned (alias %q)", link.Attrs().Alias)
	}
	if out := dptest.InNS(t, name, "ip", "link", "show", "dev", "cbr0"); !strings.Contains(out, "alias dualnet") {
		t.Errorf("cbr0 lacks the alias dualnet:\n%s", out)
	}
}
