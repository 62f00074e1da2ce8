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

// NewNamespace creates a named network namespace (/run/netns/<name>, see namespaceName) with
// loopback up.
func NewNamespace(t testing.TB, what string) (name string, ns nodens.Namespace) {
	t.Helper()
	RequireRoot(t)
	sweepOnce.Do(func() {
		for _, err := range SweepDeadNamespaces() {
			t.Logf("sweeping namespaces of dead test processes: %v", err)
		}
	})
	name = namespaceName(what, os.Getpid(), counter.Add(1))
	Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	Run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name, nodens.At("/run/netns/" + name)
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
	h, err := nodens.At("/run/netns/" + ns).Netlink()
	if err == nil {
		t.Cleanup(h.Close)
	}
	return h, err
}
