package dptest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
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

// NewNamespace creates a named network namespace (dn-<what>-dptest<pid>-<n>, see
// deadns.NewForTest) with loopback up, removed when the test ends.
func NewNamespace(t testing.TB, what string) (name string, ns nodens.Namespace) {
	t.Helper()
	RequireRoot(t)
	name = deadns.NewForTest(t, what, owner)
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
