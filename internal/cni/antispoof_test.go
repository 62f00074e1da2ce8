package cni_test

import (
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/dualnet/dualnet/internal/cni/antispoof"
)

func TestForgedSourceIsDroppedInBothFamiliesAndTheRealOneWorks(t *testing.T) {
	nw := newNetwork(t, 9, "dnbr9")
	honest, forger := nw.addPod("honest"), nw.addPod("forger")
	veth := forger.result.Interfaces[1].Name
	forged := []netip.Addr{netip.MustParseAddr("10.244.9.200"), netip.MustParseAddr("fd12:3456:789a:0:9::c8")}
	for i, fake := range forged {
		mustReach(t, forger, forger.addr(i), honest.addr(i))
		// The forger already knows the honest pod's MAC, so the forged address travels in
		// the IP header, not only in an ARP or neighbour solicitation.
		family := map[bool]string{true: "-4", false: "-6"}[fake.Is4()]
		inPod(t, forger.ns, "ip", family, "neigh", "replace", honest.addr(i).String(),
			"lladdr", honest.result.Interfaces[2].Mac, "dev", "eth0", "nud", "permanent")
		inPod(t, forger.ns, "ip", "addr", "add", netip.PrefixFrom(fake, fake.BitLen()).String(), "dev", "eth0", "nodad")

		before := dropped(t, veth, fake)
		if err := ping(forger, fake, honest.addr(i)); err == nil {
			t.Errorf("a packet from forged %s reached the other pod", fake)
		}
		if err := ping(forger, fake, nw.gateway(i)); err == nil {
			t.Errorf("a packet from forged %s reached the gateway", fake)
		}
		if after := dropped(t, veth, fake); after <= before {
			t.Errorf("the %s drop rule of %s counted %d packets before and %d after the forged pings", family, veth, before, after)
		}
		mustReach(t, forger, forger.addr(i), honest.addr(i))
		mustReach(t, forger, forger.addr(i), nw.gateway(i))
	}
}

// dropped reads the packet counter of the pod chain's drop rule for a's family.
func dropped(t *testing.T, veth string, a netip.Addr) int {
	t.Helper()
	out := nftChain(t, veth)
	rule := regexp.MustCompile(`(?m)^\s*ip6? saddr != .* counter packets (\d+)`)
	for _, m := range rule.FindAllStringSubmatch(out, -1) {
		if regexp.MustCompile(`^\s*ip6 `).MatchString(m[0]) == a.Is6() {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	t.Fatalf("no %v drop rule in\n%s", a, out)
	return 0
}

// nftChain lists the anti-spoofing chain of a host veth.
func nftChain(t *testing.T, veth string) string {
	t.Helper()
	out, err := exec.Command("nft", "list", "chain", "bridge", antispoof.Table, antispoof.ChainName(veth)).CombinedOutput()
	if err != nil {
		t.Fatalf("nft list chain: %v\n%s", err, out)
	}
	return string(out)
}
