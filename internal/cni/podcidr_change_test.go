package cni_test

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
)

// bridgeAddrs lists the global addresses of a bridge in the node namespace.
func bridgeAddrs(t *testing.T, name string) []string {
	t.Helper()
	br, err := netlinksafe.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := netlinksafe.AddrList(br, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range addrs {
		if p, _ := netip.ParsePrefix(a.IPNet.String()); !p.Addr().IsLinkLocalUnicast() {
			out = append(out, p.String())
		}
	}
	slices.Sort(out)
	return out
}

// A stale conflist, or a Node given new pod CIDRs while its pods run: the plugin must not
// take the running pods' gateways off the bridge.
func TestAddWithOtherPodCIDRsFailsAndLeavesTheBridgeAndPodsAlone(t *testing.T) {
	nw := newNetwork(t)
	running := nw.addPod("running")
	before, store := bridgeAddrs(t, nw.bridge), nw.leftovers()
	ctx := context.Background()
	v4, v6, moved := nw.cidrs[0].String(), nw.cidrs[1].String(), prefixStrings(freeCIDRs(t))
	gws := nthOfEach(nw.cidrs, 1)
	for _, tc := range []struct {
		name    string
		cidrs   []string
		dropped []string // the bridge gateways the ADD would have taken away
	}{
		{"both moved", moved, gws},
		{"IPv6 moved", []string{v4, moved[1]}, gws[1:]},
		{"IPv4 only", []string{v4}, gws[1:]},
		{"IPv4 range resized", []string{netip.PrefixFrom(nw.cidrs[0].Addr(), 25).String(), v6}, gws[:1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nw.conf["podCIDRs"] = tc.cidrs
			nw.reload("1.1.0")
			sandbox := newSandbox(t)
			_, err := nw.drv.Add(ctx, cnitest.Runtime("new-pod", sandbox.Path, "eth0"))
			code, msg := cniCode(err)
			if code != types.ErrInvalidNetworkConfig {
				t.Fatalf("ADD with podCIDRs %v = %v (code %d), want code %d", tc.cidrs, err, code, types.ErrInvalidNetworkConfig)
			}
			for _, want := range append([]string{"podCIDRs: " + strings.Join(tc.cidrs, ","), "bridge " + nw.bridge + "'s gateways", "1 running pod(s) on it use", "running:eth0", "drain the node"}, tc.dropped...) {
				if !strings.Contains(msg, want) {
					t.Errorf("ADD error %q does not say %q", msg, want)
				}
			}
			if got := bridgeAddrs(t, nw.bridge); !slices.Equal(got, before) {
				t.Errorf("the failed ADD changed the bridge's addresses from %v to %v", before, got)
			}
			if got := nw.leftovers(); !slices.Equal(got, store) {
				t.Errorf("the failed ADD changed what the network holds from %v to %v", store, got)
			}
			mustReach(t, running, running.addr(0), nw.gateway(0))
			mustReach(t, running, running.addr(1), nw.gateway(1))
		})
	}
}

// With no pod on the bridge, nothing depends on its gateways: the ADD readdresses it.
func TestAddWithOtherPodCIDRsReaddressesABridgeWithoutPods(t *testing.T) {
	nw := newNetwork(t)
	gone := nw.addPod("gone")
	if err := nw.drv.Del(context.Background(), gone.rt); err != nil {
		t.Fatal(err)
	}
	moved := freeCIDRs(t)
	nw.conf["podCIDRs"] = prefixStrings(moved)
	nw.reload("1.1.0")
	nw.addPod("after")
	if got, want := bridgeAddrs(t, nw.bridge), nthOfEach(moved, 1); !slices.Equal(got, want) {
		t.Errorf("bridge addresses = %v, want %v", got, want)
	}
}

// The bridge's MTU is the agent's (the uplink's): an ADD whose config says another one
// leaves it as it was once the pod is gone, rather than pin it for every pod.
func TestAddAndDelWithAnotherMTULeaveTheBridgesMTUAsItWas(t *testing.T) {
	nw := newNetwork(t)
	nw.addPod("running")
	mtu := func() int {
		br, err := netlinksafe.LinkByName(nw.bridge)
		if err != nil {
			t.Fatal(err)
		}
		return br.Attrs().MTU
	}
	before := mtu()
	nw.conf["mtu"] = 1400
	nw.reload("1.1.0")
	small := nw.addPod("small-mtu")
	if err := nw.drv.Del(context.Background(), small.rt); err != nil {
		t.Fatal(err)
	}
	if got := mtu(); got != before {
		t.Errorf("bridge MTU after ADD and DEL with mtu 1400 = %d, want %d as before", got, before)
	}
}

// A DEL needs only where the store is: a conflist rewritten since the ADD, even into one the
// plugin would refuse for an ADD, still removes the pod.
func TestDelAfterTheConflistChangedRemovesThePod(t *testing.T) {
	nw := newNetwork(t)
	p := nw.addPod("changed")
	nw.conf["podCIDRs"] = []string{freeCIDRs(t)[1].String()}
	nw.conf["mtu"] = "1500"
	nw.conf["podCIDR"] = "a typo"
	nw.reload("1.1.0")
	if err := nw.drv.Del(context.Background(), p.rt); err != nil {
		t.Fatalf("DEL with a changed conflist: %v", err)
	}
	if left := nw.leftovers(); len(left) != 0 {
		t.Errorf("after DEL: %v", left)
	}
}

// The bridge's pods are its ports, whichever network's store holds them: a config with
// another network name (another store) must not readdress them either. Found by
// FuzzAddThenDel.
func TestAddOfAnotherNetworkOnTheBridgeKeepsItsPodsGateways(t *testing.T) {
	nw := newNetwork(t)
	running := nw.addPod("running")
	before := bridgeAddrs(t, nw.bridge)
	nw.conf["podCIDRs"] = prefixStrings(freeCIDRs(t))
	nw.conf["name"] = "other"
	sandbox := newSandbox(t)
	err := nw.exec("ADD", "other-network", sandbox.Path)
	t.Cleanup(func() { _ = nw.exec("DEL", "other-network", sandbox.Path) })
	if code, msg := cniCode(err); code != types.ErrInvalidNetworkConfig || !strings.Contains(msg, "1 running pod(s) on it use") {
		t.Errorf("ADD of another network = %v (code %d), want code %d naming the running pod", err, code, types.ErrInvalidNetworkConfig)
	}
	if got := bridgeAddrs(t, nw.bridge); !slices.Equal(got, before) {
		t.Errorf("the failed ADD changed the bridge's addresses from %v to %v", before, got)
	}
	mustReach(t, running, running.addr(0), nw.gateway(0))
}
