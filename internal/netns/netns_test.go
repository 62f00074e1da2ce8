package netns_test

import (
	"net"
	"os"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/testutil/deadns"
)

var counter atomic.Int64

// name is a deadns name of this test binary, removed when the test ends.
func name(t *testing.T, what string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test creates network namespaces: run it as root (sudo go test ...)")
	}
	n := deadns.Name(what, "netnstest", os.Getpid(), counter.Add(1))
	t.Cleanup(func() {
		if err := netns.Delete(n); err != nil {
			t.Error(err)
		}
	})
	return n
}

func TestPathPutsANameUnderDirAndKeepsAPath(t *testing.T) {
	for in, want := range map[string]string{
		"dn-x":              netns.Dir + "/dn-x",
		"/proc/1/ns/net":    "/proc/1/ns/net",
		netns.Dir + "/dn-y": netns.Dir + "/dn-y",
	} {
		if got := netns.Path(in); got != want {
			t.Errorf("Path(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCreateWithLoopbackMakesANamespaceWhoseLoopbackIsUpAndLeavesTheCallerWhereItWas(t *testing.T) {
	before, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	ns := name(t, "lo")
	if err := netns.CreateWithLoopback(ns); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(netns.Path(ns)); err != nil {
		t.Fatalf("no namespace bound at %s: %v", netns.Path(ns), err)
	}
	h, err := netns.Netlink(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Attrs().Name != "lo" || links[0].Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("links in the new namespace = %v, want only lo, up", links)
	}
	after, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("this goroutine sees %d links after Create, %d before: it was moved into the new namespace", len(after), len(before))
	}
}

func TestDoRunsInsideTheNamespace(t *testing.T) {
	ns := name(t, "do")
	if err := netns.Create(ns); err != nil {
		t.Fatal(err)
	}
	err := netns.Do(ns, func() error {
		// A veth pair: dummy links need a kernel module that may be missing.
		return netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "dn-do0"}, PeerName: "dn-do1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := netns.Netlink(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.LinkByName("dn-do0"); err != nil {
		t.Errorf("the link made in Do is not in %s: %v", ns, err)
	}
	if _, err := netlink.LinkByName("dn-do0"); err == nil {
		t.Errorf("the link made in Do is in the caller's namespace")
	}
}

func TestDeleteRemovesTheNamespaceAndAMissingOneIsNoError(t *testing.T) {
	ns := name(t, "del")
	if err := netns.Create(ns); err != nil {
		t.Fatal(err)
	}
	if err := netns.Delete(ns); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(netns.Path(ns)); !os.IsNotExist(err) {
		t.Errorf("%s after Delete: %v, want it gone", netns.Path(ns), err)
	}
	if err := netns.Delete(ns); err != nil {
		t.Errorf("Delete of a missing namespace: %v", err)
	}
}

// /proc/<pid>/ns/net follows the main thread, which Go parks rather than ends: a Create that
// left its thread in the new namespace would, once it ran on the main thread, make the CNI
// plugin's tests see the process as living in a pod's namespace.
func TestCreateLeavesTheProcessInItsNamespace(t *testing.T) {
	before, err := os.Stat("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if err := netns.Create(name(t, "stay")); err != nil {
			t.Fatal(err)
		}
	}
	after, err := os.Stat("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("after Create, /proc/self/ns/net is another namespace than before")
	}
}
