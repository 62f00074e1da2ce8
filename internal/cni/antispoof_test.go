package cni_test

import (
	"net/netip"
	"os/exec"
	"testing"

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
