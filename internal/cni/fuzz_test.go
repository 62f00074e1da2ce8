package cni

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
)

// FuzzAddThenDel runs ADD then DEL, in this process and in real namespaces (the test
// binary's node namespace and a pod namespace), for any config and CNI_CONTAINERID,
// CNI_IFNAME and CNI_ARGS. A pod runs on the bridge all along. Whatever the ADD did, the DEL
// succeeds (unless the config does not say where the store is, when the ADD failed too), and
// afterwards the store, the node's links, addresses and routes, and the pod namespace are
// as before the ADD: an ADD that would have changed the running pod's bridge failed instead.
//
// The harness keeps the config's dataDir and bridge its own, so nothing lands outside the
// test's directory and namespaces. Fuzz workers share the node namespace (and the
// anti-spoofing table), so each ADD-DEL runs under a lock the workers share. The seed corpus
// also compares the anti-spoofing registrations, which takes nft runs; fuzzing does not.
func FuzzAddThenDel(f *testing.F) {
	k8sArgs := "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=f00d;K8S_POD_UID=u1"
	base := fuzzConfig(nil)
	f.Add(base, "fuzz-pod", "eth0", "")
	f.Add(base, "fuzz-pod", "net1", k8sArgs)
	f.Add(base, "fuzz-pod", "lo", "")                 // the pod has it already
	f.Add(base, "fuzz-pod", "eth0:1", "")             // not an interface name
	f.Add(base, "../../escape", "eth0", "")           // not a container ID
	f.Add(base, strings.Repeat("a", 247), "eth0", "") // record name of 252 bytes
	f.Add(base, strings.Repeat("b", 300), "eth0", "") // longer than a file name
	f.Add(base, "fuzz-pod", "eth0", "DUALNET_TEST_PAUSE_AT=allocated;DUALNET_TEST_PAUSE_FILE=/x")
	f.Add(fuzzConfig(map[string]any{"mtu": 1400}), "fuzz-pod", "eth0", "")
	f.Add(fuzzConfig(map[string]any{"podCIDRs": []string{"10.99.0.0/24", "fd99::/80"}}), "fuzz-pod", "eth0", "")
	f.Add(fuzzConfig(map[string]any{"podCIDRs": fuzzCIDRs[:1]}), "fuzz-pod", "eth0", "") // drops the IPv6 gateway
	f.Add(fuzzConfig(map[string]any{"podCIDRs": []string{fuzzCIDRs[1], fuzzCIDRs[0]}}), "fuzz-pod", "eth0", "")
	f.Add(fuzzConfig(map[string]any{"podCIDR": fuzzCIDRs}), "fuzz-pod", "eth0", "")
	f.Add(fuzzConfig(map[string]any{"name": "other-network"}), "fuzz-pod", "eth0", "")
	f.Add(fuzzConfig(map[string]any{"cniVersion": "0.4.0", "hairpinMode": false}), "fuzz-pod", "eth0", "")
	f.Add([]byte(`{"cniVersion":"1.1.0"`), "fuzz-pod", "eth0", "")
	if fuzzCoordinator() {
		f.Fuzz(func(*testing.T, []byte, string, string, string) { panic("the fuzz coordinator runs no input") })
		return
	}
	node := newFuzzNode(f)
	f.Fuzz(func(t *testing.T, conf []byte, containerID, ifName, cniArgs string) {
		unlock := node.lock(t)
		defer unlock()
		stdin := node.confine(conf)
		if pauseHooksBuiltIn {
			// Built with the crash tests' pause points, this in-process ADD would stop at a
			// pause argument forever, after writing its PID to a file anywhere: the harness
			// keeps them out, as it keeps the config's dataDir its own. The plugin that ships
			// ignores them, which the seeds check in the build without the tag.
			cniArgs = withoutPauseArgs(cniArgs)
		}
		args := &Args{ContainerID: containerID, Netns: node.pod.Path, IfName: ifName, Args: cniArgs, StdinData: stdin}
		before := node.state(t)

		addErr := silently(func() error { return cmdAdd(args) })
		delErr := cmdDel(args)

		if addErr != nil && !strings.Contains(addErr.Error(), " ") {
			t.Errorf("ADD failed without saying why: %q", addErr)
		}
		if _, err := config.ParseForDel(stdin); err == nil && delErr != nil {
			t.Errorf("DEL after ADD (%v) failed: %v", addErr, delErr)
		} else if err != nil && (delErr == nil || addErr == nil) {
			t.Errorf("a config that does not say where the store is (%v): ADD = %v, DEL = %v; want both to fail", err, addErr, delErr)
		}
		if after := node.state(t); after != before {
			t.Errorf("ADD (%v) and DEL (%v) changed the node:\nbefore:\n%s\nafter:\n%s", addErr, delErr, before, after)
		}
	})
}

// fuzzNode is one fuzz process's bridge, with a pod running on it, its address store, and the
// pod namespace that the fuzzed ADDs configure.
type fuzzNode struct {
	bridge  string
	dataDir string
	pod     *cnitest.PodNS
	lockFD  int
	// nftChecks says whether state lists the anti-spoofing registrations (nft runs).
	nftChecks bool
}

// fuzzCIDRs are the pod CIDRs of every fuzz process's bridge: the seeds, which the fuzz
// coordinator hands to its workers, hold them. Bridges with the same gateways side by side
// are harmless here: no traffic crosses them.
var fuzzCIDRs = []string{"10.244.200.0/24", "fd12:3456:789a:1:c8::/80"}

// fuzzConfig is a dualnet network's config with change applied to its fields. Its dataDir
// and bridge are placeholders: confine puts the fuzz process's own in.
func fuzzConfig(change map[string]any) []byte {
	conf := map[string]any{"cniVersion": "1.1.0", "name": "dualnet", "type": "dualnet", "bridge": "cbr0",
		"podCIDRs": fuzzCIDRs, "mtu": 1500, "hairpinMode": true, "dataDir": "/var/lib/dualnet/cni"}
	for k, v := range change {
		conf[k] = v
	}
	data, err := json.Marshal(conf)
	if err != nil {
		panic(err)
	}
	return data
}

// fuzzCoordinator says whether this process is `go test -fuzz`'s coordinator, which hands
// inputs to worker processes and runs none itself.
func fuzzCoordinator() bool {
	return flag.Lookup("test.fuzz").Value.String() != "" && !fuzzWorker()
}

func fuzzWorker() bool {
	return flag.Lookup("test.fuzzworker").Value.(flag.Getter).Get().(bool)
}

func newFuzzNode(f *testing.F) *fuzzNode {
	node := &fuzzNode{
		bridge:    fmt.Sprintf("dnfz%x", os.Getpid()), // each fuzz worker is a process of its own
		dataDir:   f.TempDir(),
		nftChecks: !fuzzWorker(),
	}
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { exe.Close() })
	node.lockFD = int(exe.Fd())
	running := podNS(f, "running")
	node.pod = podNS(f, "fuzz")
	unlock := node.lock(f)
	defer unlock()
	args := &Args{ContainerID: fmt.Sprintf("fuzz-running-%d", os.Getpid()), Netns: running.Path, IfName: "eth0", StdinData: node.confine(fuzzConfig(nil))}
	if err := silently(func() error { return cmdAdd(args) }); err != nil {
		f.Fatalf("ADD of the running pod: %v", err)
	}
	f.Cleanup(func() {
		unlock := node.lock(f)
		defer unlock()
		_ = cmdDel(args)
		if br, err := netlink.LinkByName(node.bridge); err == nil {
			_ = netlink.LinkDel(br)
		}
	})
	node.settle(f)
	return node
}

// settle waits until the kernel has done what it does on its own after the running pod's
// ADD (carrier up, IPv6 link-local addresses and their routes on the bridge and the host
// veth), so that a fuzzed ADD-DEL is compared with a node at rest.
func (n *fuzzNode) settle(f *testing.F) {
	deadline := time.Now().Add(10 * time.Second)
	last := ""
	for {
		now := n.state(f)
		if now == last {
			return
		}
		if time.Now().After(deadline) {
			f.Fatalf("the node did not settle after the running pod's ADD; last:\n%s", now)
		}
		last = now
		time.Sleep(200 * time.Millisecond)
	}
}

func podNS(f *testing.F, what string) *cnitest.PodNS {
	p, err := cnitest.NewPodNS(what)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = p.Delete() })
	return p
}

// confine makes a fuzzed config's dataDir and bridge the harness's, so that the plugin
// writes nowhere else; a config that is not a JSON object goes to the plugin as it is.
func (n *fuzzNode) confine(conf []byte) []byte {
	var fields map[string]any
	if json.Unmarshal(conf, &fields) != nil || fields == nil {
		return conf
	}
	fields["dataDir"], fields["bridge"] = n.dataDir, n.bridge
	data, err := json.Marshal(fields)
	if err != nil {
		return conf
	}
	return data
}

// lock serializes the ADD-DEL of the fuzz workers, which share the node namespace and would
// see each other's pods. They run the same test binary, so its file is the lock.
func (n *fuzzNode) lock(t testing.TB) (unlock func()) {
	for {
		err := syscall.Flock(n.lockFD, syscall.LOCK_EX)
		if err == nil {
			return func() { _ = syscall.Flock(n.lockFD, syscall.LOCK_UN) }
		}
		if !errors.Is(err, syscall.EINTR) {
			t.Fatalf("lock: %v", err)
		}
	}
}

// state describes the node and the pod namespace as a fuzzed ADD-DEL must leave them.
func (n *fuzzNode) state(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(n.dataDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if parent := filepath.Base(filepath.Dir(path)); parent == "pod" || parent == "ip" {
			data, err := os.ReadFile(path)
			fmt.Fprintf(&b, "store %s: %q %v\n", strings.TrimPrefix(path, n.dataDir), data, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString(netState(t))
	err = ns.WithNetNSPath(n.pod.Path, func(ns.NetNS) error {
		b.WriteString("pod namespace:\n" + netState(t))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.nftChecks {
		b.WriteString(registrations(t))
	}
	return b.String()
}

// netState lists the calling thread's namespace's links, addresses and routes.
func netState(t testing.TB) string {
	t.Helper()
	links, err := netlinksafe.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range links {
		a := l.Attrs()
		lines = append(lines, fmt.Sprintf("link %d %s master %d mtu %d %v", a.Index, a.Name, a.MasterIndex, a.MTU, a.Flags))
		addrs, err := netlinksafe.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			t.Fatal(err)
		}
		for _, ad := range addrs {
			lines = append(lines, fmt.Sprintf("addr %s %s", a.Name, ad.IPNet))
		}
	}
	routes, err := netlinksafe.RouteList(nil, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		lines = append(lines, "route "+r.String())
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// registrations lists the anti-spoofing table's ports whose interface exists: DEL retires
// a port's elements with a timeout of one clock tick, so the elements of a deleted port may
// be listed for a moment.
func registrations(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	regs, err := antispoof.Pods(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for index, r := range regs {
		if antispoof.PortExists(index) {
			addrs := slices.SortedFunc(slices.Values(r.Addrs), netip.Addr.Compare)
			lines = append(lines, fmt.Sprintf("anti-spoofing port %d %s %v", index, r.MAC, addrs))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// silently runs an ADD, whose result goes to stdout as a runtime reads it, with stdout
// closed to the test's output.
func silently(add func() error) error {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	stdout := os.Stdout
	os.Stdout = devnull
	defer func() { os.Stdout = stdout }()
	return add()
}

// withoutPauseArgs is cniArgs without the crash tests' DUALNET_TEST_PAUSE_ arguments.
func withoutPauseArgs(cniArgs string) string {
	var kept []string
	for _, kv := range strings.Split(cniArgs, ";") {
		if !strings.HasPrefix(kv, "DUALNET_TEST_PAUSE_") {
			kept = append(kept, kv)
		}
	}
	return strings.Join(kept, ";")
}
