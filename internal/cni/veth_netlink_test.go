package cni

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
)

// TestVethPairComesWholeFromOneRequest: one RTM_NEWLINK makes the host end up, on the bridge,
// with its MAC and MTU, and the pod end in the pod's namespace with its name, MAC and MTU;
// from Linux 6.3 on, the kernel's echo of that request carries the host end's index, so no
// lookup follows.
func TestVethPairComesWholeFromOneRequest(t *testing.T) {
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "dn-test-vbr", TxQLen: -1}}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netlink.LinkDel(br) })
	pod, err := cnitest.NewPodNS("veth")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pod.Delete() })
	podNS, err := os.Open(pod.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer podNS.Close()
	v := vethPair{host: "dn-test-vh", pod: "eth7", mtu: 1400, master: br.Index, podNS: int(podNS.Fd()),
		hostMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}, podMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0b}}

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
	if a.MasterIndex != br.Index || a.Flags&net.FlagUp == 0 || a.MTU != v.mtu || a.HardwareAddr.String() != v.hostMAC.String() {
		t.Errorf("host end: master %d, up %v, MTU %d, MAC %s; want master %d, up, MTU %d, MAC %s",
			a.MasterIndex, a.Flags&net.FlagUp != 0, a.MTU, a.HardwareAddr, br.Index, v.mtu, v.hostMAC)
	}
	if !strings.Contains(string(out), "mtu 1400") || !strings.Contains(string(out), v.podMAC.String()) {
		t.Errorf("pod end in %s: %s, want MTU 1400 and MAC %s", pod.Name, out, v.podMAC)
	}
	if _, err := execEcho(newVethRequest(v), v.host); err != unix.EEXIST {
		t.Errorf("creating the pair again: %v, want EEXIST (which ADD answers by replacing the host end)", err)
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
