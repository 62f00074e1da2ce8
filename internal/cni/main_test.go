package cni_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// binDir holds the dualnet-cni binary that every test drives through libcni.
var binDir string

func TestMain(m *testing.M) {
	// The whole test binary runs in a fresh network namespace that plays the node: the
	// bridges, veths and nftables rules it makes cannot reach the host and die with it.
	if err := cnitest.RunInNodeNamespace(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "dualnet-cni-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	// A fuzz worker runs only FuzzAddThenDel, which calls the plugin in this process.
	flag.Parse()
	if worker := flag.Lookup("test.fuzzworker"); worker == nil || worker.Value.String() != "true" {
		if err := cnitest.Build(filepath.Join(binDir, "dualnet"), "github.com/dualnet/dualnet/cmd/dualnet-cni"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if _, err := exec.LookPath("nft"); err != nil {
		fmt.Fprintln(os.Stderr, "the plugin needs nft: install nftables")
		os.Exit(1)
	}
	if _, err := exec.LookPath("ping"); err != nil {
		fmt.Fprintln(os.Stderr, "the connectivity tests need ping: install iputils-ping")
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// network is one dualnet network on its own bridge and pod CIDRs, so tests do not meet.
type network struct {
	t       *testing.T
	bin     string // where the plugin binary is; binDir unless a test needs another build
	drv     *cnitest.Driver
	bridge  string
	cidrs   []netip.Prefix
	dataDir string
	conf    map[string]any
}

// networks numbers the test networks: each newNetwork or freeCIDRs takes the next number,
// so that no two tests share a bridge or a range and a new test needs no free number found
// by hand. The first is 1.
var networks atomic.Int32

// lastNetwork is the highest network number: 10.244.n.0/24 stays below the range of
// FuzzAddThenDel's bridges (fuzzCIDRs in fuzz_test.go, 10.244.200.0/24), which runs its
// seeds in this node namespace too.
const lastNetwork = 199

// nextNetwork takes the next network number, back at 1 after lastNetwork (go test -count=N
// runs the tests N times in one process): the tests run one at a time and each deletes its
// bridge and store at its end, so a number is free again long before it comes back.
func nextNetwork(t *testing.T) int {
	t.Helper()
	return int(networks.Add(1)-1)%lastNetwork + 1
}

// networkCIDRs are network n's ranges: 10.244.n.0/24 and fd12:3456:789a:0:n::/80 (n in hex).
func networkCIDRs(n int) []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix(fmt.Sprintf("10.244.%d.0/24", n)),
		netip.MustParsePrefix(fmt.Sprintf("fd12:3456:789a:0:%x::/80", n)),
	}
}

// freeCIDRs reserves a network number for ranges no network of the tests has: where a
// test's config moves to other pod CIDRs.
func freeCIDRs(t *testing.T) []netip.Prefix {
	t.Helper()
	return networkCIDRs(nextNetwork(t))
}

// newNetwork makes the next network: its ranges (networkCIDRs, IPv4 only with "ipv4") on
// bridge dnbr<n>.
func newNetwork(t *testing.T, families ...string) *network {
	t.Helper()
	n := nextNetwork(t)
	cidrs := networkCIDRs(n)
	if len(families) == 1 && families[0] == "ipv4" {
		cidrs = cidrs[:1]
	}
	nw := &network{t: t, bin: binDir, bridge: fmt.Sprintf("dnbr%d", n), cidrs: cidrs, dataDir: t.TempDir()}
	nw.conf = map[string]any{
		"type": "dualnet", "bridge": nw.bridge, "podCIDRs": prefixStrings(cidrs), "mtu": 1500, "hairpinMode": true, "dataDir": nw.dataDir,
	}
	nw.reload("1.1.0")
	// The bridge as it is named at the end: onBridge may rename it.
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(nw.bridge); err == nil {
			_ = netlink.LinkDel(l)
		}
	})
	return nw
}

// onBridge puts the network on bridge name instead of its own, for a test that wants a
// node's real bridge name (cbr0, the agent's). No two tests may pick the same one.
func (nw *network) onBridge(name string) *network {
	nw.t.Helper()
	nw.bridge = name
	nw.conf["bridge"] = name
	nw.reload("1.1.0")
	return nw
}

// reload rebuilds the driver after a change to conf or the CNI version.
func (nw *network) reload(cniVersion string) {
	nw.t.Helper()
	list := map[string]any{"cniVersion": cniVersion, "name": "dualnet", "plugins": []any{nw.conf}}
	data, err := json.Marshal(list)
	if err != nil {
		nw.t.Fatal(err)
	}
	nw.drv, err = cnitest.NewDriver(nw.bin, filepath.Join(nw.dataDir, "libcni-cache"), data)
	if err != nil {
		nw.t.Fatal(err)
	}
}

func (nw *network) gateway(i int) netip.Addr { return nw.nth(i, 1) }

// nth is the k-th address of the network's i-th range (0 is IPv4, 1 IPv6), the range's own
// address being the 0th: the gateway is the 1st, the first pod's address the 2nd.
func (nw *network) nth(i, k int) netip.Addr { return nthIn(nw.cidrs[i], k).Addr() }

// nthIn is the k-th address of p with p's length, as a bridge or a result holds it.
func nthIn(p netip.Prefix, k int) netip.Prefix {
	a := p.Masked().Addr()
	for range k {
		a = a.Next()
	}
	if !p.Contains(a) {
		panic(fmt.Sprintf("address %d of %s is outside it", k, p))
	}
	return netip.PrefixFrom(a, p.Bits())
}

// nthOfEach is the k-th address of each range, with its length, in the ranges' order.
func nthOfEach(ranges []netip.Prefix, k int) []string {
	var out []string
	for _, p := range ranges {
		out = append(out, nthIn(p, k).String())
	}
	return out
}

// prefixStrings is ranges as a config's podCIDRs lists them.
func prefixStrings(ranges []netip.Prefix) []string {
	var out []string
	for _, p := range ranges {
		out = append(out, p.String())
	}
	return out
}

// pluginConf is the config a runtime gives the plugin: conf with the list's name and
// version, as libcni injects them.
func (nw *network) pluginConf() []byte {
	nw.t.Helper()
	conf := map[string]any{"cniVersion": "1.1.0", "name": "dualnet"}
	for k, v := range nw.conf {
		conf[k] = v
	}
	data, err := json.Marshal(conf)
	if err != nil {
		nw.t.Fatal(err)
	}
	return data
}

// exec runs the plugin binary for one verb directly, without libcni (whose result cache
// names files after the container ID, so it cannot take IDs as long as the plugin does).
func (nw *network) exec(command, containerID, netns string) error {
	args := &invoke.Args{Command: command, ContainerID: containerID, NetNS: netns, IfName: "eth0", Path: nw.bin}
	plugin := filepath.Join(nw.bin, "dualnet")
	if command == "ADD" {
		_, err := invoke.ExecPluginWithResult(context.Background(), plugin, nw.pluginConf(), args, nil)
		return err
	}
	return invoke.ExecPluginWithoutResult(context.Background(), plugin, nw.pluginConf(), args, nil)
}

// pod is one sandbox attached to a network.
type pod struct {
	ns     *cnitest.PodNS
	rt     *libcni.RuntimeConf
	result *current.Result
}

func (p *pod) addr(i int) netip.Addr {
	a, _ := netip.AddrFromSlice(p.result.IPs[i].Address.IP)
	return a.Unmap()
}

// newSandbox makes a pod namespace, removed at cleanup.
func newSandbox(t *testing.T) *cnitest.PodNS {
	t.Helper()
	podNS, err := cnitest.NewPodNS("pod")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := podNS.Delete(); err != nil {
			t.Errorf("delete %s: %v", podNS.Name, err)
		}
	})
	return podNS
}

// addPod runs ADD for a new sandbox and DEL at cleanup.
func (nw *network) addPod(id string) *pod {
	nw.t.Helper()
	p := &pod{ns: newSandbox(nw.t)}
	p.rt = cnitest.Runtime(id, p.ns.Path, "eth0")
	res, err := nw.drv.Add(context.Background(), p.rt)
	if err != nil {
		nw.t.Fatalf("ADD %s: %v", id, err)
	}
	nw.t.Cleanup(func() { _ = nw.drv.Del(context.Background(), p.rt) })
	if p.result, err = current.NewResultFromResult(res); err != nil {
		nw.t.Fatal(err)
	}
	return p
}

// ping sends one echo from src inside the pod to dst; nil when a reply came back.
func ping(p *pod, src, dst netip.Addr) error {
	return ns.WithNetNSPath(p.ns.Path, func(ns.NetNS) error {
		out, err := exec.Command("ping", "-n", "-c", "1", "-W", "1", "-I", src.String(), dst.String()).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ping -I %s %s: %v: %s", src, dst, err, strings.TrimSpace(string(out)))
		}
		return nil
	})
}

// mustReach pings until a reply comes or the deadline passes (the first echo may wait for
// neighbour resolution).
func mustReach(t *testing.T, p *pod, src, dst netip.Addr) {
	t.Helper()
	poll.Eventually(t, 5*time.Second, fmt.Sprintf("%s reaches %s from %s", p.rt.ContainerID, dst, src), func() error {
		return ping(p, src, dst)
	})
}

// inPod runs a command inside the pod namespace.
func inPod(t *testing.T, p *cnitest.PodNS, name string, args ...string) string {
	t.Helper()
	var out []byte
	err := ns.WithNetNSPath(p.Path, func(ns.NetNS) error {
		var err error
		out, err = exec.Command(name, args...).CombinedOutput()
		return err
	})
	if err != nil {
		t.Fatalf("in %s: %s %v: %v\n%s", p.Name, name, args, err, out)
	}
	return string(out)
}

// leftovers lists what the network still holds: reservations and records in the store,
// host veths on its bridge, and anti-spoofing registrations.
func (nw *network) leftovers() []string {
	nw.t.Helper()
	var left []string
	for _, sub := range []string{"ip", "pod"} {
		entries, _ := os.ReadDir(filepath.Join(nw.dataDir, "dualnet", sub))
		for _, e := range entries {
			left = append(left, "store "+sub+"/"+e.Name())
		}
	}
	left = append(left, hostVeths(nw.t)...)
	left = append(left, registeredPorts(nw.t)...)
	return left
}

var hostVethName = regexp.MustCompile(`^dn[0-9a-f]{12}$`)

// hostVeths lists dualnet host veths in the node namespace, on a bridge or not.
func hostVeths(t *testing.T) []string {
	t.Helper()
	links, err := netlinksafe.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range links {
		if hostVethName.MatchString(l.Attrs().Name) {
			out = append(out, "veth "+l.Attrs().Name)
		}
	}
	return out
}

// registeredPorts lists the ports registered in the anti-spoofing sets of the node, by
// name. DEL retires a port's elements with a timeout of one clock tick, so it first waits
// (briefly) until no element names a port that no longer exists.
func registeredPorts(t *testing.T) []string {
	t.Helper()
	var out []string
	poll.Eventually(t, time.Second, "anti-spoofing registrations of existing ports only", func() error {
		pods, err := antispoof.Pods(context.Background())
		if err != nil {
			return err
		}
		out = nil
		for index, p := range pods {
			ifc, err := net.InterfaceByIndex(index)
			if err != nil {
				return fmt.Errorf("port %d is registered with %v but gone: %w", index, p.Addrs, err)
			}
			// Sorted: nft lists a set's elements in no fixed order.
			addrs := slices.SortedFunc(slices.Values(p.Addrs), netip.Addr.Compare)
			out = append(out, fmt.Sprintf("anti-spoofing port %s %v", ifc.Name, addrs))
		}
		return nil
	})
	return out
}

// namespacesGone deletes the pods' namespaces, as a runtime that removes them before DEL (or
// a reboot) does, and waits until their host veths went with them.
func namespacesGone(t *testing.T, pods ...*pod) {
	t.Helper()
	for _, p := range pods {
		if err := p.ns.Delete(); err != nil {
			t.Fatal(err)
		}
	}
	poll.Eventually(t, 10*time.Second, "host veths gone with their namespaces", func() error {
		if left := hostVeths(t); len(left) != 0 {
			return fmt.Errorf("host veths still there after their namespaces were deleted: %v", left)
		}
		return nil
	})
}
