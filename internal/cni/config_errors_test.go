package cni_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/dataplane/bridge"
)

func cniCode(err error) (uint, string) {
	var e *types.Error
	if errors.As(err, &e) {
		return e.Code, e.Msg
	}
	return 0, ""
}

func TestBadConfigFailsWithAClearErrorAndChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		field   string
		value   any
		version string
		code    uint
		says    string
	}{
		{"malformed CIDR", "podCIDRs", []string{"10.244.11.0/33"}, "1.1.0", types.ErrInvalidNetworkConfig, "podCIDRs"},
		{"two IPv4 ranges", "podCIDRs", []string{"10.244.11.0/24", "10.244.12.0/24"}, "1.1.0", types.ErrInvalidNetworkConfig, "both IPv4"},
		{"missing ranges", "podCIDRs", nil, "1.1.0", types.ErrInvalidNetworkConfig, "podCIDRs: missing"},
		{"bad mtu", "mtu", 100, "1.1.0", types.ErrInvalidNetworkConfig, "mtu"},
		{"unknown version", "", nil, "0.3.1", types.ErrIncompatibleCNIVersion, "incompatible CNI versions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nw := newNetwork(t)
			if tc.field != "" {
				nw.conf[tc.field] = tc.value
				if tc.value == nil {
					delete(nw.conf, tc.field)
				}
			}
			nw.reload(tc.version)
			sandbox := newSandbox(t)
			_, err := nw.drv.Add(context.Background(), cnitest.Runtime("bad-config", sandbox.Path, "eth0"))
			if code, msg := cniCode(err); code != tc.code || !strings.Contains(msg, tc.says) {
				t.Errorf("ADD = %v (code %d), want code %d saying %q", err, code, tc.code, tc.says)
			}
			if _, err := netlink.LinkByName(nw.bridge); err == nil {
				t.Error("a bad config created the bridge")
			}
			if entries, _ := os.ReadDir(filepath.Join(nw.dataDir, "dualnet")); len(entries) != 0 {
				t.Errorf("a bad config wrote the store: %v", entries)
			}
		})
	}
}

func TestExhaustedRangeFailsWithAClearError(t *testing.T) {
	nw := newNetwork(t)
	small := netip.PrefixFrom(nw.cidrs[0].Addr(), 30)
	nw.conf["podCIDRs"] = []string{small.String()} // room for .2 only
	nw.reload("1.1.0")
	nw.addPod("fits")
	sandbox := newSandbox(t)
	_, err := nw.drv.Add(context.Background(), cnitest.Runtime("no-room", sandbox.Path, "eth0"))
	if code, msg := cniCode(err); code != 100 || !strings.Contains(msg, small.String()) || !strings.Contains(msg, "no free address") {
		t.Errorf("ADD into a full range = %v (code %d), want code 100 naming the range", err, code)
	}
	if out := inPod(t, sandbox, "ip", "-o", "link"); strings.Contains(out, "eth0") {
		t.Errorf("the failed ADD left eth0:\n%s", out)
	}
}

func TestStatusIsNotReadyUntilTheBridgeAndRangesExist(t *testing.T) {
	nw := newNetwork(t)
	ctx := context.Background()
	ranges := nw.conf["podCIDRs"]
	delete(nw.conf, "podCIDRs")
	nw.reload("1.1.0")
	if code, msg := cniCode(nw.drv.Status(ctx)); code != types.ErrPluginNotAvailable || !strings.Contains(msg, "podCIDRs") {
		t.Errorf("STATUS without ranges: code %d %q, want 50 naming podCIDRs", code, msg)
	}
	nw.conf["podCIDRs"] = ranges
	nw.reload("1.1.0")
	if code, msg := cniCode(nw.drv.Status(ctx)); code != types.ErrPluginNotAvailable || !strings.Contains(msg, nw.bridge) {
		t.Errorf("STATUS without the bridge: code %d %q, want 50 naming %s", code, msg, nw.bridge)
	}
	gws := bridge.Gateways(nw.cidrs)
	if _, err := bridge.Ensure(nil, nw.bridge, gws[:1], 1500); err != nil {
		t.Fatal(err)
	}
	if code, msg := cniCode(nw.drv.Status(ctx)); code != types.ErrPluginNotAvailable || !strings.Contains(msg, gws[1].String()) {
		t.Errorf("STATUS without the IPv6 gateway: code %d %q, want 50 naming %s", code, msg, gws[1])
	}
	if _, err := bridge.Ensure(nil, nw.bridge, gws, 1500); err != nil {
		t.Fatal(err)
	}
	if err := nw.drv.Status(ctx); err != nil {
		t.Errorf("STATUS with bridge and gateways: %v", err)
	}
}

func TestGCRemovesOnlyAttachmentsThatAreNotValid(t *testing.T) {
	nw := newNetwork(t)
	keep, drop := nw.addPod("gc-keep"), nw.addPod("gc-drop")
	// A runtime's GC list comes from its own state: use a driver without libcni's cache,
	// so that the plugin's GC (not libcni's DEL of cached attachments) does the work.
	fresh, err := cnitest.NewDriver(binDir, t.TempDir(), mustJSON(t, nw.drv.List.Bytes))
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.GC(context.Background(), []types.GCAttachment{{ContainerID: "gc-keep", IfName: "eth0"}}); err != nil {
		t.Fatalf("GC: %v", err)
	}
	left := strings.Join(nw.leftovers(), "\n")
	if !strings.Contains(left, keep.result.Interfaces[1].Name) || !strings.Contains(left, "gc-keep") {
		t.Errorf("GC removed a valid attachment; left:\n%s", left)
	}
	if strings.Contains(left, drop.result.Interfaces[1].Name) || strings.Contains(left, "gc-drop") || strings.Contains(left, drop.addr(0).String()+"\n") {
		t.Errorf("GC kept an attachment that is not valid; left:\n%s", left)
	}
	mustReach(t, keep, keep.addr(1), nw.gateway(1))
}

func mustJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) == 0 {
		t.Fatal("empty conflist")
	}
	return b
}
