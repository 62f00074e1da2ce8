package cni_test

import (
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// checkNeighbourPoisoningIsDropped is the ARP and Neighbor Advertisement tests: two pods on
// a network, and the node holding a neighbour entry for the victim's address of range i
// (0 IPv4, 1 IPv6), since the gateway answered it. forge sends one forgery from the forger
// saying that the victim's address, target, lives at the forger's MAC, mac. The forgeries
// must be dropped and counted in chain, leave the node's entry the victim's, and leave both
// pods reachable.
func checkNeighbourPoisoningIsDropped(t *testing.T, name string, i int, chain string, forge func(forger *pod, mac net.HardwareAddr, target, gateway netip.Addr)) {
	t.Helper()
	nw := newNetwork(t)
	victim, forger := nw.addPod(name+"-victim"), nw.addPod(name+"-forger")
	target := victim.addr(i)
	victimMAC := victim.result.Interfaces[2].Mac
	mustReach(t, victim, target, nw.gateway(i))
	if got := gatewayNeighbour(t, nw.bridge, target); got != victimMAC {
		t.Fatalf("before the forgery the node maps %s to %q, want the victim's %s", target, got, victimMAC)
	}

	forgerMAC, err := net.ParseMAC(forger.result.Interfaces[2].Mac)
	if err != nil {
		t.Fatal(err)
	}
	forgeUntilDropped(t, nw, chain, target, victimMAC, func() { forge(forger, forgerMAC, target, nw.gateway(i)) })
	mustReach(t, victim, target, nw.gateway(i))
	mustReach(t, forger, forger.addr(i), target)
}

// forgeUntilDropped sends forgeries (send) until chain's drop rule has counted one, then
// checks that the node still maps target to the victim's MAC, want.
func forgeUntilDropped(t *testing.T, nw *network, chain string, target netip.Addr, want string, send func()) {
	t.Helper()
	before := droppedIn(t, chain)
	poll.Eventually(t, 5*time.Second, "the drop rule of "+chain+" counts the forgeries", func() error {
		if droppedIn(t, chain) > before {
			return nil
		}
		send()
		return fmt.Errorf("it still counts %d packets", before)
	})
	if got := gatewayNeighbour(t, nw.bridge, target); got != want {
		t.Errorf("after the forgery the node maps %s to %q, want still the victim's %s", target, got, want)
	}
}

// droppedIn reads the packet counter of chain's own drop rule, the bare `counter drop` (the
// rules are shared by every pod of the node; the other pods of these tests send nothing
// forged).
func droppedIn(t *testing.T, chain string) int {
	t.Helper()
	out := nftTable(t)
	m := regexp.MustCompile(`(?s)chain ` + regexp.QuoteMeta(chain) + ` \{.*?\n\s*counter packets (\d+) bytes \d+ drop`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no drop rule in chain %s of\n%s", chain, out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// gatewayNeighbour is the link-layer address the node's bridge holds for a, "" for none.
func gatewayNeighbour(t *testing.T, bridge string, a netip.Addr) string {
	t.Helper()
	out, err := exec.Command("ip", "neigh", "show", a.String(), "dev", bridge).CombinedOutput()
	if err != nil {
		t.Fatalf("ip neigh show %s dev %s: %v\n%s", a, bridge, err, out)
	}
	f := strings.Fields(string(out))
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "lladdr" {
			return f[i+1]
		}
	}
	return ""
}
