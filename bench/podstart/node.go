package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/lab"
)

// upstreamConflist sorts before dualnet's 10-dualnet.conflist: containerd (max_conf_num 1)
// takes the first.
const upstreamConflist = "05-kubenet-upstream.conflist"

// upstreamNetwork names the upstream chain's network (and host-local's reservations dir).
const upstreamNetwork = "kubenet-upstream"

// labNode is one lab node seen from the machine: its pod CIDRs and its CNI directories.
type labNode struct {
	name     string
	podCIDRs []netip.Prefix
	confDir  string // the node's /etc/cni/net.d
	binDir   string // the node's /opt/cni/bin
	ipamDir  string // host-local's reservations: the node's /var/lib/cni/networks/<network>
	storeDir string // dualnet's address store: the node's /var/lib/dualnet/cni/dualnet

	containerd containerdProc
	crictl     *lab.Crictl
}

func lastNode(ctx context.Context, client kubernetes.Interface) (string, error) {
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	if len(nodes.Items) == 0 {
		return "", fmt.Errorf("the lab has no nodes")
	}
	names := make([]string, len(nodes.Items))
	for i, n := range nodes.Items {
		names[i] = n.Name
	}
	sort.Strings(names)
	return names[len(names)-1], nil
}

func openNode(ctx context.Context, client kubernetes.Interface, labDir, name string) (*labNode, error) {
	node, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	n := &labNode{name: name}
	for _, c := range node.Spec.PodCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("node %s: pod CIDR %q: %w", name, c, err)
		}
		n.podCIDRs = append(n.podCIDRs, p)
	}
	if len(n.podCIDRs) != 2 {
		return nil, fmt.Errorf("node %s has pod CIDRs %v: want one of each family (a dual-stack lab)", name, node.Spec.PodCIDRs)
	}
	root := nodeRoot(labDir, name)
	n.confDir = filepath.Join(root, "etc/cni/net.d")
	n.binDir = filepath.Join(root, "opt/cni/bin")
	n.ipamDir = filepath.Join(root, "var/lib/cni/networks", upstreamNetwork)
	n.storeDir = filepath.Join(root, cnicontract.StoreDir(cnicontract.DefaultDataDir, cnicontract.NetworkName))
	if _, err := os.Stat(filepath.Join(n.confDir, "10-dualnet.conflist")); err != nil {
		return nil, fmt.Errorf("node %s: no dualnet conflist in %s: is %s a running lab's directory?", name, n.confDir, labDir)
	}
	if n.containerd, err = findContainerd(labDir, name); err != nil {
		return nil, err
	}
	if n.crictl, err = lab.NodeCrictl(labDir, name); err != nil {
		return nil, err
	}
	return n, nil
}

// upstreamChain is AKS kubenet's chain on the node: bridge (on dualnet's cbr0, its gateways
// already there) + host-local from the top half of each pod CIDR + portmap + bandwidth.
type upstreamChain struct {
	node   *labNode
	ranges [][2]netip.Addr // per family: first and last address host-local gives
}

// upperHalf is the top half of p's addresses (without the broadcast-like last one), host-local's
// range: the node's pods that live through the run (started with the lab, by dualnet) hold
// addresses from the bottom, which host-local must not give again. dualnet's own pods, given
// addresses round the whole CIDR, reach the top half too, but never while upstream's are there.
func upperHalf(p netip.Prefix) [2]netip.Addr {
	b := p.Masked().Addr().AsSlice()
	bits := len(b)*8 - p.Bits()
	// Set the highest host bit for the start, every host bit but the lowest for the end.
	start, end := slices.Clone(b), slices.Clone(b)
	for i := 0; i < bits; i++ {
		byteIdx, bit := len(b)-1-i/8, uint(i%8)
		if i == bits-1 {
			start[byteIdx] |= 1 << bit
		}
		if i > 0 {
			end[byteIdx] |= 1 << bit
		}
	}
	s, _ := netip.AddrFromSlice(start)
	e, _ := netip.AddrFromSlice(end)
	return [2]netip.Addr{s, e}
}

// upstreamPlugins are the upstream chain's binaries, built into the node's plugin directory
// under their own names (dualnet's agent installs its copies of portmap and bandwidth as
// dualnet-portmap and dualnet-bandwidth).
var upstreamPlugins = map[string]string{
	"bridge":     "github.com/containernetworking/plugins/plugins/main/bridge",
	"host-local": "github.com/containernetworking/plugins/plugins/ipam/host-local",
	"portmap":    "github.com/containernetworking/plugins/plugins/meta/portmap",
	"bandwidth":  "github.com/containernetworking/plugins/plugins/meta/bandwidth",
}

// installUpstream builds the upstream chain's plugins into the node's plugin directory.
func (n *labNode) installUpstream() (*upstreamChain, error) {
	for name, pkg := range upstreamPlugins {
		cmd := exec.Command("go", "build", "-o", filepath.Join(n.binDir, name), pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
		}
	}
	u := &upstreamChain{node: n}
	for _, p := range n.podCIDRs {
		u.ranges = append(u.ranges, upperHalf(p))
	}
	return u, nil
}

// removeUpstream takes away everything installUpstream and use added.
func (n *labNode) removeUpstream() error {
	var first error
	paths := []string{filepath.Join(n.confDir, upstreamConflist), n.ipamDir}
	for name := range upstreamPlugins {
		paths = append(paths, filepath.Join(n.binDir, name))
	}
	for _, path := range paths {
		if err := os.RemoveAll(path); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (u *upstreamChain) conflist() ([]byte, error) {
	var ranges [][]map[string]string
	for i, p := range u.node.podCIDRs {
		ranges = append(ranges, []map[string]string{{
			"subnet": p.String(), "rangeStart": u.ranges[i][0].String(), "rangeEnd": u.ranges[i][1].String(),
		}})
	}
	return json.MarshalIndent(map[string]any{
		"cniVersion": "1.0.0",
		"name":       upstreamNetwork,
		"plugins": []map[string]any{
			{
				"type": "bridge", "bridge": "cbr0", "isGateway": true, "isDefaultGateway": true,
				"hairpinMode": true, "ipMasq": false,
				"ipam": map[string]any{"type": "host-local", "ranges": ranges},
			},
			// nftables, as dualnet chains it: the lab's nodes have no iptables.
			{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}, "snat": true, "backend": "nftables"},
			{"type": "bandwidth", "capabilities": map[string]bool{"bandwidth": true}},
		},
	}, "", "  ")
}

// use makes the upstream chain the node's CNI network.
func (u *upstreamChain) use() error {
	data, err := u.conflist()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(u.node.confDir, upstreamConflist), data, 0o644)
}

// useDualnet makes dualnet's conflist the node's CNI network again.
func (n *labNode) useDualnet() error {
	if err := os.Remove(filepath.Join(n.confDir, upstreamConflist)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// reserved says whether addr came from the upstream chain: host-local holds a reservation
// for it, a file named by the address.
func (u *upstreamChain) reserved(addr netip.Addr) bool {
	return exists(filepath.Join(u.node.ipamDir, addr.String()))
}

// dualnetReserved says whether addr came from dualnet: its address store holds a reservation
// for it (ip/<address>, internal/podipam).
func (n *labNode) dualnetReserved(addr netip.Addr) bool {
	return exists(filepath.Join(n.storeDir, "ip", addr.String()))
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// removeSandboxes removes the benchmark's stopped pod sandboxes from the node's containerd,
// as the kubelet's garbage collection would within a minute: containerd tears a sandbox's
// network down again when it removes it, and the next round must neither pay for that nor
// run it with the other plugin's conflist. One at a time, as the kubelet removes them: crictl
// removes the sandboxes it is given all at once, each call bounded by its 2 s default
// timeout, which 28 teardowns at once through the upstream chain outlasted on this machine.
// A sandbox the kubelet removed meanwhile is gone already, which crictl reports as an error.
func (n *labNode) removeSandboxes(ctx context.Context) error {
	ids, err := n.sandboxes(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		_, err := n.crictl.Run(ctx, "--timeout=15s", "rmp", "--force", id)
		if err == nil {
			continue
		}
		if left, lerr := n.sandboxes(ctx); lerr != nil || slices.Contains(left, id) {
			return err
		}
	}
	return nil
}

// sandboxes lists the IDs of the benchmark's pod sandboxes on the node, running or stopped.
func (n *labNode) sandboxes(ctx context.Context) ([]string, error) {
	out, err := n.crictl.Run(ctx, "pods", "--label=app="+benchName, "-q")
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}
