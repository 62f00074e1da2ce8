package cni_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
)

// A reboot takes every pod namespace, veth, bridge and nftables table with it, but not the
// address store on disk, and a runtime that lost its state in the reboot never sends the DEL
// that would free the old pods' addresses. The first ADD of the new boot must free them.
func TestTheFirstAddAfterARebootGetsTheAddressesTheOldPodsHeld(t *testing.T) {
	nw := newNetwork(t)
	var old []*pod
	for i := range 3 {
		old = append(old, nw.addPod(fmt.Sprintf("before-reboot-%d", i)))
	}

	// The reboot, as far as this node's network can tell.
	namespacesGone(t, old...)
	if out, err := exec.Command("nft", "delete", "table", "bridge", antispoof.Table).CombinedOutput(); err != nil {
		t.Fatalf("nft delete table: %v: %s", err, out)
	}
	if br, err := netlink.LinkByName(nw.bridge); err != nil || netlink.LinkDel(br) != nil {
		t.Fatalf("delete bridge %s: %v", nw.bridge, err)
	}
	// The store was written in the earlier boot.
	boot := filepath.Join(nw.dataDir, "dualnet", "boot")
	if err := os.WriteFile(boot, []byte("00000000-0000-4000-8000-000000000000\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// A runtime that kept its state sends DEL for an old pod; nothing it names exists.
	if err := nw.drv.Del(context.Background(), old[0].rt); err != nil {
		t.Errorf("DEL of a pod of the earlier boot: %v", err)
	}

	p := nw.addPod("after-reboot")
	mustReach(t, p, p.addr(0), nw.gateway(0))
	mustReach(t, p, p.addr(1), nw.gateway(1))
	records, err := os.ReadDir(filepath.Join(nw.dataDir, "dualnet", "pod"))
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 || records[0].Name() != "after-reboot:eth0" {
		t.Errorf("address records after the reboot: %v, want only after-reboot:eth0", records)
	}
	reservations, err := os.ReadDir(filepath.Join(nw.dataDir, "dualnet", "ip"))
	if err != nil {
		t.Fatal(err)
	}
	var held []netip.Addr
	for _, r := range reservations {
		held = append(held, netip.MustParseAddr(r.Name()))
	}
	slices.SortFunc(held, netip.Addr.Compare)
	if want := []netip.Addr{p.addr(0), p.addr(1)}; !slices.Equal(held, want) {
		t.Errorf("reserved addresses after the reboot: %v, want only the new pod's %v", held, want)
	}
}
