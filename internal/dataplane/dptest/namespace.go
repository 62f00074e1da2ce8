package dptest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/testutil/deadns"
)

var counter atomic.Int64

// Name is a name unique to this test binary run, starting with "dn-", at most 15 bytes when
// what is short, so it fits an interface name too.
func Name(what string) string {
	return fmt.Sprintf("dn-%s%d-%d", what, os.Getpid()%100000, counter.Add(1))
}

// RequireRoot fails (never skips) a test that needs root, naming what to do.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test creates network namespaces: run it as root (sudo go test ...)")
	}
}

// sweepOnce removes, before this process makes its first namespace, the ones that test
// processes which died without their cleanup (a -timeout panic, a kill) left behind.
var sweepOnce sync.Once

// NewNamespace creates a named network namespace (dn-<what>-dptest<pid>-<n>, see
// namespaceName) with loopback up, removed when the test ends.
//
// It is made with iproute2 (`ip netns add`), not netns.Create: with a node namespace made by
// netns.Create, TestWatchesWakeTheSyncForDriftNotForPods (internal/agent) sees an extra sync
// when pods start, in about half of its runs; the cause is not known yet.
func NewNamespace(t testing.TB, what string) (name string, ns nodens.Namespace) {
	t.Helper()
	RequireRoot(t)
	sweepOnce.Do(func() {
		for _, err := range SweepDeadNamespaces() {
			t.Logf("sweeping namespaces of dead test processes: %v", err)
		}
	})
	name = namespaceName(what, os.Getpid(), deadns.Next())
	Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if err := netns.Delete(name); err != nil {
			t.Error(err)
		}
	})
	Run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name, netns.At(name)
}

// Run runs a command (ip, nft, ...) and fails the test with its output if it fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// InNS runs a command inside the named namespace.
func InNS(t testing.TB, ns string, args ...string) string {
	t.Helper()
	return Run(t, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

// Netlink opens a netlink handle in the named namespace, closed by t.Cleanup.
func Netlink(t testing.TB, ns string) (*netlink.Handle, error) {
	h, err := netns.Netlink(ns)
	if err == nil {
		t.Cleanup(h.Close)
	}
	return h, err
}
