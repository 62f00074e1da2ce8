package cni_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
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

// A ruleset saved in an earlier boot and loaded at boot (an /etc/nftables.conf written with
// `nft list ruleset`) can bring back anti-spoofing elements of the earlier boot's pods. nft
// lists the port of an element by name while it exists, and a file naming ports that no
// longer exist fails to load; but ports already gone at the save (pods whose namespace went
// without a DEL, or elements not yet swept) are listed by bare interface index, and such a
// file loads. Those indexes are handed out again after the reboot: a new pod's port would
// pass as an old pod, with its MAC and addresses. The first ADD of the boot must drop them.
func TestTheFirstAddAfterARebootDropsARestoredTablesElements(t *testing.T) {
	nw := newNetwork(t)
	old := []*pod{nw.addPod("saved-0"), nw.addPod("saved-1")}
	namespacesGone(t, old...)
	saved := saveTable(t)

	// The reboot, and the saved ruleset loaded at boot.
	if out, err := exec.Command("nft", "delete", "table", "bridge", antispoof.Table).CombinedOutput(); err != nil {
		t.Fatalf("nft delete table: %v: %s", err, out)
	}
	if out, err := exec.Command("nft", "-f", saved).CombinedOutput(); err != nil {
		t.Fatalf("nft -f %s: %v: %s", saved, err, out)
	}
	if err := os.WriteFile(filepath.Join(nw.dataDir, "dualnet", "boot"), []byte("00000000-0000-4000-8000-000000000000\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	p := nw.addPod("after-reboot")
	// registeredPorts also fails on a registration whose port does not exist.
	got := registeredPorts(t)
	if want := "anti-spoofing port " + p.result.Interfaces[1].Name + " "; len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Errorf("anti-spoofing registrations after the reboot: %q, want only the new pod's port %s", got, p.result.Interfaces[1].Name)
	}
	mustReach(t, p, p.addr(0), nw.gateway(0))
	mustReach(t, p, p.addr(1), nw.gateway(1))
}

// A node that runs in a container (kind's) gets a new network namespace when it restarts, with
// interface indexes starting over, while the kernel's boot ID stays the same. Its pods are gone
// as after a reboot, and a ruleset saved from the old namespace may be loaded in the new one.
// The first ADD there must free the old pods' addresses and drop their registrations.
func TestTheFirstAddInANewNodeNamespaceIsTheFirstOfABoot(t *testing.T) {
	nw := newNetwork(t)
	old := []*pod{nw.addPod("old-node-0"), nw.addPod("old-node-1")}
	// Gone before the save, so that nft lists their ports by index (see above).
	namespacesGone(t, old...)
	saved := saveTable(t)

	// The restarted node: the same store on disk, a new namespace where the saved ruleset
	// is loaded at start.
	node, err := cnitest.NewPodNS("node")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Delete() })
	p := &pod{ns: newSandbox(t)}
	p.rt = cnitest.Runtime("new-node", p.ns.Path, "eth0")
	var registered []string
	err = ns.WithNetNSPath(node.Path, func(ns.NetNS) error {
		if out, err := exec.Command("nft", "-f", saved).CombinedOutput(); err != nil {
			return fmt.Errorf("nft -f %s: %v: %s", saved, err, out)
		}
		// libcni runs the plugin in this thread's namespace.
		res, err := nw.drv.Add(context.Background(), p.rt)
		if err != nil {
			return fmt.Errorf("ADD in the new node namespace: %w", err)
		}
		if p.result, err = current.NewResultFromResult(res); err != nil {
			return err
		}
		pods, err := antispoof.Pods(context.Background())
		if err != nil {
			return err
		}
		for index := range pods {
			ifc, err := net.InterfaceByIndex(index)
			if err != nil {
				return fmt.Errorf("port %d is registered with %v but does not exist: %w", index, pods[index].Addrs, err)
			}
			registered = append(registered, ifc.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := p.result.Interfaces[1].Name; len(registered) != 1 || registered[0] != want {
		t.Errorf("anti-spoofing registrations in the new node namespace: %v, want only the new pod's port %s", registered, want)
	}
	records, err := os.ReadDir(filepath.Join(nw.dataDir, "dualnet", "pod"))
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 || records[0].Name() != "new-node:eth0" {
		t.Errorf("address records after the node's namespace was made anew: %v, want only new-node:eth0", records)
	}
	for _, o := range old {
		if p.addr(0) == o.addr(0) || p.addr(1) == o.addr(1) {
			t.Errorf("the new pod got %v, an old pod's %v: addresses go in turn", []netip.Addr{p.addr(0), p.addr(1)}, []netip.Addr{o.addr(0), o.addr(1)})
		}
	}
	mustReach(t, p, p.addr(0), nw.gateway(0))
	mustReach(t, p, p.addr(1), nw.gateway(1))
}

// saveTable writes the anti-spoofing table, as nft lists it, to a file, as `nft list ruleset >
// /etc/nftables.conf` would, and returns the file's path.
func saveTable(t *testing.T) string {
	t.Helper()
	saved := filepath.Join(t.TempDir(), "ruleset.nft")
	out, err := exec.Command("nft", "list", "table", "bridge", antispoof.Table).CombinedOutput()
	if err != nil {
		t.Fatalf("nft list table: %v: %s", err, out)
	}
	if err := os.WriteFile(saved, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return saved
}
