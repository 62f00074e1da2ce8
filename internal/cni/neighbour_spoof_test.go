package cni_test

import (
	"fmt"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/testutil/poll"
)

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
