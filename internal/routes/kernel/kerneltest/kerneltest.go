// Package kerneltest makes the network namespace that kernel route backend tests program: a
// router with one link on the nodes' network. For tests only; it never touches the host's
// own namespace.
package kerneltest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/testutil/deadns"
)

// Node subnets the router is on: node InternalIPs in them are valid next hops.
const (
	RouterIPv4 = "10.240.0.1/16"
	RouterIPv6 = "fd00::1/64"
)

// Router makes a namespace (dn-<prefix>-kerneltest<pid>-<n>, see deadns.NewForTest) with one
// link holding RouterIPv4 and RouterIPv6, and removes it when the test ends. It returns the
// namespace's name. prefix is lower-case letters and digits.
func Router(t testing.TB, prefix string) string {
	t.Helper()
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("kernel route tests need iproute2's `ip` (apt-get install iproute2) and root")
	}
	name := deadns.NewForTest(t, prefix, "kerneltest")
	// A veth pair with both ends inside: dummy links need a kernel module that may be missing.
	IP(t, "-n", name, "link", "add", "nodes0", "type", "veth", "peer", "name", "nodes0p")
	IP(t, "-n", name, "addr", "add", RouterIPv4, "dev", "nodes0")
	IP(t, "-n", name, "addr", "add", RouterIPv6, "dev", "nodes0", "nodad")
	IP(t, "-n", name, "link", "set", "nodes0", "up")
	IP(t, "-n", name, "link", "set", "nodes0p", "up")
	return name
}

// IP runs iproute2's ip and returns its output, failing the test on error.
func IP(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
