package cni_test

import (
	"net/netip"
	"os/exec"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
)

func TestForgedSourceIsDroppedInBothFamiliesAndTheRealOneWorks(t *testing.T) {
	nw := newNetwork(t)
	honest, forger := nw.addPod("honest"), nw.addPod("forger")
	forged := []netip.Addr{nw.nth(0, 200), nw.nth(1, 200)}
	for i, fake := range forged {
		mustReach(t, forger, forger.addr(i), honest.addr(i))
		// The forger already knows the honest pod's MAC, so the forged address travels in
		// the IP header, not only in an ARP or neighbour solicitation.
		family := map[bool]string{true: "-4", false: "-6"}[fake.Is4()]
		inPod(t, forger.ns, "ip", family, "neigh", "replace", honest.addr(i).String(),
			"lladdr", honest.result.Interfaces[2].Mac, "dev", "eth0", "nud", "permanent")
		inPod(t, forger.ns, "ip", "addr", "add", netip.PrefixFrom(fake, fake.BitLen()).String(), "dev", "eth0", "nodad")

		before := dropped(t, fake)
		if err := ping(forger, fake, honest.addr(i)); err == nil {
			t.Errorf("a packet from forged %s reached the other pod", fake)
		}
		if err := ping(forger, fake, nw.gateway(i)); err == nil {
			t.Errorf("a packet from forged %s reached the gateway", fake)
		}
		if after := dropped(t, fake); after <= before {
			t.Errorf("the %s drop rule counted %d packets before and %d after the forged pings", family, before, after)
		}
		mustReach(t, forger, forger.addr(i), honest.addr(i))
		mustReach(t, forger, forger.addr(i), nw.gateway(i))
	}
}

// dropped reads the packet counter of the drop rule for a's family (the rules are shared by
// every pod of the node; the other pods of these tests send nothing forged).
func dropped(t *testing.T, a netip.Addr) int {
	t.Helper()
	if a.Is6() {
		return droppedIn(t, "pod-ipv6")
	}
	return droppedIn(t, "pod-ipv4")
}

// nftTable lists the anti-spoofing table of the node.
func nftTable(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("nft", "list", "table", "bridge", antispoof.Table).CombinedOutput()
	if err != nil {
		t.Fatalf("nft list table: %v\n%s", err, out)
	}
	return string(out)
}

// The anti-spoofing chain sees the frames of every bridge of the node, and checks only
// dualnet's ports: another port, on dualnet's bridge or another, sends from any address.
func TestFramesOfPortsThatAreNotDualnetsAreNotChecked(t *testing.T) {
	nw := newNetwork(t)
	nw.addPod("dualnets") // the table is written at the first ADD
	other := &pod{ns: newSandbox(t)}
	other.rt = cnitest.Runtime("not-dualnets", other.ns.Path, "eth0")
	peer, err := netns.GetFromPath(other.ns.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	br, err := netlink.LinkByName(nw.bridge)
	if err != nil {
		t.Fatal(err)
	}
	port := &netlink.Veth{
		LinkAttrs: netlink.LinkAttrs{Name: "tstport0", MasterIndex: br.Attrs().Index},
		PeerName:  "eth0", PeerNamespace: netlink.NsFd(peer),
	}
	if err := netlink.LinkAdd(port); err != nil {
		t.Fatalf("veth %s: %v", port.Name, err)
	}
	t.Cleanup(func() { _ = netlink.LinkDel(port) })
	if err := netlink.LinkSetUp(port); err != nil {
		t.Fatal(err)
	}
	// Addresses the store never handed out, with no registration anywhere.
	for i := range 2 {
		a := nw.nth(i, 201)
		inPod(t, other.ns, "ip", "addr", "add", netip.PrefixFrom(a, nw.cidrs[i].Bits()).String(), "dev", "eth0", "nodad")
	}
	inPod(t, other.ns, "ip", "link", "set", "eth0", "up")
	mustReach(t, other, nw.nth(0, 201), nw.gateway(0))
	mustReach(t, other, nw.nth(1, 201), nw.gateway(1))
}
