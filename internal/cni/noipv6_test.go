package cni_test

import (
	"context"
	"testing"

	current "github.com/containernetworking/cni/pkg/types/100"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
)

// A sandbox made while IPv6 was disabled for new interfaces (some hardened hosts) still
// gets its IPv6 address, and uses it.
func TestAddTurnsIPv6OnInASandboxWhereItIsDisabled(t *testing.T) {
	nw := newNetwork(t)
	sandbox := newSandbox(t)
	inPod(t, sandbox, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.lo.disable_ipv6=1")
	p := &pod{ns: sandbox, rt: cnitest.Runtime("no-ipv6", sandbox.Path, "eth0")}
	res, err := nw.drv.Add(context.Background(), p.rt)
	if err != nil {
		t.Fatalf("ADD in a sandbox with IPv6 disabled: %v", err)
	}
	t.Cleanup(func() { _ = nw.drv.Del(context.Background(), p.rt) })
	if p.result, err = current.NewResultFromResult(res); err != nil {
		t.Fatal(err)
	}
	mustReach(t, p, p.addr(1), nw.gateway(1))
	mustReach(t, p, p.addr(0), nw.gateway(0))
}
