package cni

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/podipam"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// TestVethPairComesFromOneRequestHostEndDown: one RTM_NEWLINK makes the host end on the
// bridge, down until upHostEnd, with its MAC and MTU, and the pod end in the pod's namespace
// with its name, MAC and MTU; from Linux 6.3 on, the kernel's echo of that request carries
// the host end's index, so no lookup follows.
func TestVethPairComesFromOneRequestHostEndDown(t *testing.T) {
	br, pod, podNS := vethTestBed(t, "dn-test-vbr", "veth")
	v := vethPair{host: "dn-test-vh", pod: "eth7", mtu: 1400, master: br.Index, podNS: int(podNS.Fd()),
		hostMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}, podMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0b}}
	t.Cleanup(func() { deleteNamed(v.host) })

	ix, err := execEcho(newVethRequest(v), v.host)
	if err != nil {
		t.Fatal(err)
	}
	host, err := netlink.LinkByName(v.host)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ip", "-n", pod.Name, "-o", "link", "show", "dev", v.pod).CombinedOutput()
	if err != nil {
		t.Fatalf("pod end in %s: %v: %s", pod.Name, err, out)
	}
	podIndex, _ := strconv.Atoi(strings.SplitN(string(out), ":", 2)[0])
	want := vethIndexes{host: host.Attrs().Index, pod: podIndex}
	if !kernelAtLeast(t, 6, 3) {
		want = vethIndexes{} // no echo: addVethPair looks the host end up, configurePod the pod end
	}
	if ix != want {
		t.Errorf("the echo said %+v, want %+v (the pod end's index in its own namespace)", ix, want)
	}
	a := host.Attrs()
	if a.MasterIndex != br.Index || a.Flags&net.FlagUp != 0 || a.MTU != v.mtu || a.HardwareAddr.String() != v.hostMAC.String() {
		t.Errorf("host end: master %d, up %v, MTU %d, MAC %s; want master %d, down, MTU %d, MAC %s",
			a.MasterIndex, a.Flags&net.FlagUp != 0, a.MTU, a.HardwareAddr, br.Index, v.mtu, v.hostMAC)
	}
	if !strings.Contains(string(out), "mtu 1400") || !strings.Contains(string(out), v.podMAC.String()) {
		t.Errorf("pod end in %s: %s, want MTU 1400 and MAC %s", pod.Name, out, v.podMAC)
	}
	if _, err := execEcho(newVethRequest(v), v.host); err != unix.EEXIST {
		t.Errorf("creating the pair again: %v, want EEXIST (which ADD answers by replacing the host end)", err)
	}
}

// TestHostEndComesUpAsABridgePortWithoutIPv6: upHostEnd brings the host end up with hairpin
// as asked and no IPv6 address generation, so that once the pod end is up (the carrier) the
// port has no address. A port without IPv6 (here an MTU below 1280) refuses the IPv6 part,
// and upHostEnd brings it up all the same. The control, the same request without the IPv6
// part, shows that the check sees the link-local address the kernel would otherwise add.
func TestHostEndComesUpAsABridgePortWithoutIPv6(t *testing.T) {
	for i, tc := range []struct {
		name      string
		hairpin   bool
		mtu       int
		noIPv6    bool // the port has no IPv6: the IPv6 part is refused
		control   bool // up without the IPv6 part
		wantInet6 bool
	}{
		{name: "hairpin", hairpin: true},
		{name: "no hairpin"},
		{name: "an MTU below IPv6's minimum", hairpin: true, mtu: 1200, noIPv6: true},
		{name: "control: the kernel's address generation", hairpin: true, control: true, wantInet6: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br, pod, podNS := vethTestBed(t, fmt.Sprintf("dn-test-ubr%d", i), fmt.Sprintf("up%d", i))
			v := vethPair{host: fmt.Sprintf("dn-test-uh%d", i), pod: "eth0", master: br.Index, podNS: int(podNS.Fd()), mtu: tc.mtu}
			t.Cleanup(func() { deleteNamed(v.host) })
			ix, err := addVethPair(v)
			if err != nil {
				t.Fatal(err)
			}
			if tc.noIPv6 {
				if err := execAck(upHostEndRequest(ix.host, tc.hairpin, true)); !errors.Is(err, unix.EAFNOSUPPORT) {
					t.Fatalf("the IPv6 part on a port without IPv6: %v, want EAFNOSUPPORT", err)
				}
			}
			up := func() error { return upHostEnd(ix.host, tc.hairpin) }
			if tc.control {
				up = func() error { return execAck(upHostEndRequest(ix.host, tc.hairpin, false)) }
			}
			if err := up(); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("ip", "-n", pod.Name, "link", "set", "eth0", "up").CombinedOutput(); err != nil {
				t.Fatalf("pod end up: %v: %s", err, out)
			}
			// The carrier's event, which would add the link-local address, sets the
			// operational state first, both under the RTNL lock this lookup also takes.
			var host netlink.Link
			poll.Eventually(t, 5*time.Second, "the host end's carrier", func() error {
				if host, err = netlink.LinkByIndex(ix.host); err != nil || host.Attrs().OperState != netlink.OperUp {
					return fmt.Errorf("host end %v (%v)", host, err)
				}
				return nil
			})
			info, err := netlink.LinkGetProtinfo(host)
			if err != nil || info.Hairpin != tc.hairpin || host.Attrs().Flags&net.FlagUp == 0 {
				t.Errorf("host end: up %v, hairpin %v (%v); want up, hairpin %v", host.Attrs().Flags&net.FlagUp != 0, info.Hairpin, err, tc.hairpin)
			}
			out, _ := exec.Command("ip", "-6", "addr", "show", "dev", v.host).CombinedOutput()
			if strings.Contains(string(out), "inet6") != tc.wantInet6 {
				t.Errorf("host end, want an IPv6 address %v:\n%s", tc.wantInet6, out)
			}
		})
	}
}

// A kernel that does not echo answers with the acknowledgement alone: addVethPair then looks
// the host end up, and leaves the pod end's index to configurePod's lookup.
func TestVethPairWithoutTheEchoIsLookedUp(t *testing.T) {
	br, _, podNS := vethTestBed(t, "dn-test-vbr2", "veth2")
	defer func(was int) { echo = was }(echo)
	echo = 0
	v := vethPair{host: "dn-test-vh2", pod: "eth0", master: br.Index, podNS: int(podNS.Fd())}
	t.Cleanup(func() { deleteNamed(v.host) })
	ix, err := addVethPair(v)
	if err != nil {
		t.Fatal(err)
	}
	host, err := netlink.LinkByName(v.host)
	if err != nil {
		t.Fatal(err)
	}
	if want := (vethIndexes{host: host.Attrs().Index}); ix != want {
		t.Errorf("without the echo: %+v, want %+v", ix, want)
	}
}

// The kernel echoes the new link before it sets the master; a master it refuses unregisters
// the pair and fails the request, which addVethPair reports without an index.
func TestVethPairOnAMissingBridgeFailsAndLeavesNothing(t *testing.T) {
	_, _, podNS := vethTestBed(t, "dn-test-vbr3", "veth3")
	v := vethPair{host: "dn-test-vh3", pod: "eth0", master: 1 << 30, podNS: int(podNS.Fd())}
	t.Cleanup(func() { deleteNamed(v.host) })
	ix, err := addVethPair(v)
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENODEV) || ix != (vethIndexes{}) {
		t.Errorf("a pair on no bridge: %+v, %v; want no indexes and EINVAL or ENODEV", ix, err)
	}
	if _, err := netlink.LinkByName(v.host); err == nil {
		t.Errorf("%s is left after the failed request", v.host)
	}
}

// createVeth with a bridge that went after ADD read it, and came back under another index
// (the agent re-created it): the kernel refuses the stale master, and ADD ensures the bridge
// afresh and puts the pair on it.
func TestVethOnABridgeMadeAgainGoesOnTheNewOne(t *testing.T) {
	gateways := []netip.Prefix{netip.MustParsePrefix("10.251.0.1/24")}
	stale, err := bridge.Ensure(nil, "dn-test-vbr4", gateways, 1500)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteNamed("dn-test-vbr4") })
	if err := netlink.LinkDel(stale); err != nil {
		t.Fatal(err)
	}
	fresh, err := bridge.Ensure(nil, "dn-test-vbr4", gateways, 1500)
	if err != nil {
		t.Fatal(err)
	}
	_, podNS := testPodNS(t, "veth4")
	a := &attachment{key: podipam.Key{ContainerID: "veth4", IfName: "eth0"}, hostVeth: "dn-test-vh4"}
	t.Cleanup(func() { deleteNamed(a.hostVeth) })
	conf := &config.Config{Bridge: "dn-test-vbr4", PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.251.0.0/24")}, MTU: 1500}
	ix, err := createVeth(a, stale, podNS, conf)
	if err != nil {
		t.Fatalf("createVeth with the old bridge's index: %v", err)
	}
	host, err := netlink.LinkByIndex(ix.host)
	if err != nil || host.Attrs().MasterIndex != fresh.Attrs().Index {
		t.Errorf("host end %+v (%v): want it on the bridge made again (index %d)", host, err, fresh.Attrs().Index)
	}
}

func TestEchoedIndexesReadsOnlyTheNamedLink(t *testing.T) {
	msg := func(index int32, attrs ...*nl.RtAttr) []byte {
		info := nl.NewIfInfomsg(unix.AF_UNSPEC)
		info.Index = index
		b := info.Serialize()
		for _, a := range attrs {
			b = append(b, a.Serialize()...)
		}
		return b
	}
	name := nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated("dn-x"))
	for _, tc := range []struct {
		what string
		data []byte
		want vethIndexes
		ok   bool
	}{
		{"name and peer", msg(7, name, nl.NewRtAttr(unix.IFLA_LINK, nl.Uint32Attr(2))), vethIndexes{7, 2}, true},
		{"no IFLA_LINK (same index both sides)", msg(7, name), vethIndexes{7, 0}, true},
		{"another link", msg(8, nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated("eth0")), nl.NewRtAttr(unix.IFLA_LINK, nl.Uint32Attr(2))), vethIndexes{8, 2}, false},
		{"a short IFLA_LINK", msg(7, name, nl.NewRtAttr(unix.IFLA_LINK, []byte{1})), vethIndexes{7, 0}, true},
		{"shorter than an ifinfomsg", []byte{1, 2, 3}, vethIndexes{}, false},
	} {
		got, ok := echoedIndexes(tc.data, "dn-x")
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v, %v", tc.what, got, ok, tc.want, tc.ok)
		}
	}
}

// vethTestBed is a bridge and a pod namespace, removed after the test.
func vethTestBed(t *testing.T, bridgeName, what string) (*netlink.Bridge, *cnitest.PodNS, ns.NetNS) {
	t.Helper()
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: bridgeName, TxQLen: -1}}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteNamed(bridgeName) })
	pod, podNS := testPodNS(t, what)
	return br, pod, podNS
}

// testPodNS is a pod namespace, open, removed after the test.
func testPodNS(t *testing.T, what string) (*cnitest.PodNS, ns.NetNS) {
	t.Helper()
	pod, err := cnitest.NewPodNS(what)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pod.Delete() })
	podNS, err := ns.GetNS(pod.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { podNS.Close() })
	return pod, podNS
}

func deleteNamed(name string) {
	if l, err := netlink.LinkByName(name); err == nil {
		_ = netlink.LinkDel(l)
	}
}

func kernelAtLeast(t *testing.T, major, minor int) bool {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	f := strings.FieldsFunc(unix.ByteSliceToString(u.Release[:]), func(r rune) bool { return r < '0' || r > '9' })
	maj, _ := strconv.Atoi(f[0])
	mnr, _ := strconv.Atoi(f[1])
	return maj > major || maj == major && mnr >= minor
}
