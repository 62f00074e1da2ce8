// Package agenttest builds small dualnet clusters for tests and benchmarks: a virtual network
// namespace with a "vnet-host" VM, nodes as namespaces with Node objects in the kubetest API
// server and an agent each (in this process), and pods made by dualnet-cni through libcni.
// Everything is removed by the test's cleanup. It must never touch the host's network.
package agenttest

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"

	"github.com/dualnet/dualnet/internal/agent"
	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/dataplane/nodens"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// Resync is short so that drift repair is quick to observe.
const Resync = 2 * time.Second

// PortmapPackage and BandwidthPackage are upstream's portmap and bandwidth plugins, at
// go.mod's version.
const (
	PortmapPackage   = "github.com/containernetworking/plugins/plugins/meta/portmap"
	BandwidthPackage = "github.com/containernetworking/plugins/plugins/meta/bandwidth"
)

// Cluster is a virtual network with a "vnet-host" VM and nodes running agents.
type Cluster struct {
	VNet     *dptest.VNet
	VNetHost dptest.Host
	Nodes    []*Node
	plugin   string // the built dualnet-cni
}

type Node struct {
	Name        string
	Host        dptest.Host
	PodCIDRs    []netip.Prefix
	Agent       *agent.Agent
	AgentConfig agent.Config
	confDir     string
	binDir      string
	dataDir     string
	cacheDir    string
	stop        func()
}

// NodeAddrs are the lab's node addresses: node i is .4+i / ::4+i on 172.30.0.0/24, fd00:30::/64.
func NodeAddrs(i int) (netip.Addr, netip.Addr) {
	return netip.AddrFrom4([4]byte{172, 30, 0, byte(4 + i)}), netip.MustParseAddr(fmt.Sprintf("fd00:30::%x", 4+i))
}

// NewCluster starts nodes nodes (node i at NodeAddrs(i), pod CIDRs of block i of the
// default spec) in host-route mode and waits for their agents to be ready.
func NewCluster(t testing.TB, nodes int) *Cluster {
	t.Helper()
	return NewClusterReporting(t, nodes, func(i int) []netip.Addr {
		v4, v6 := NodeAddrs(i)
		return []netip.Addr{v4, v6}
	})
}

// NewClusterReporting is NewCluster where node i's Node object reports internalIPs(i) as its
// InternalIPs, while its namespace still holds both of NodeAddrs(i): a node whose kubelet
// reports one family only.
func NewClusterReporting(t testing.TB, nodes int, internalIPs func(i int) []netip.Addr) *Cluster {
	t.Helper()
	dptest.RequireRoot(t)
	c := &Cluster{VNet: dptest.NewVNet(t)}
	c.VNetHost = c.VNet.AddHost(t, "vhost", netip.MustParseAddr("172.30.0.100"), netip.MustParseAddr("fd00:30::100"))
	c.plugin = filepath.Join(t.TempDir(), "dualnet-cni")
	if err := cnitest.Build(c.plugin, "github.com/dualnet/dualnet/cmd/dualnet-cni"); err != nil {
		t.Fatal(err)
	}
	// Upstream's portmap and bandwidth beside it, as make build and the image put them: the
	// agents' default.
	for _, p := range []struct {
		plugin cniconfig.Chained
		pkg    string
	}{{cniconfig.Portmap, PortmapPackage}, {cniconfig.Bandwidth, BandwidthPackage}} {
		if err := cnitest.Build(filepath.Join(filepath.Dir(c.plugin), p.plugin.Binary), p.pkg); err != nil {
			t.Fatal(err)
		}
	}
	spec := netspec.Default()
	for i := range nodes {
		v4, v6 := NodeAddrs(i)
		n := &Node{
			Name:     dptest.Name(fmt.Sprintf("node%d-", i)),
			Host:     c.VNet.AddHost(t, fmt.Sprintf("n%d", i), v4, v6),
			PodCIDRs: spec.NodeCIDRs(uint64(i)),
		}
		dir := t.TempDir()
		n.confDir, n.binDir, n.dataDir, n.cacheDir = filepath.Join(dir, "net.d"), filepath.Join(dir, "bin"), filepath.Join(dir, "data"), filepath.Join(dir, "cache")
		n.AgentConfig = agent.Config{
			NodeName: n.Name, Spec: spec, Routes: agent.HostRoutes,
			CNIConfDir: n.confDir, CNIBinDir: n.binDir, CNIPlugin: c.plugin, CNIDataDir: n.dataDir,
			Bridge: cnicontract.DefaultBridge, Namespace: n.Host.NS, Resync: Resync,
			FixAzureLBIPv6Probe: true, // as the binary's flag
		}
		CreateNode(t, n.Name, n.PodCIDRs, internalIPs(i)...)
		c.Nodes = append(c.Nodes, n)
	}
	for _, n := range c.Nodes {
		n.Start(t)
	}
	for _, n := range c.Nodes {
		n.WaitReady(t)
	}
	return c
}

// CreateNode registers a Node as a kubelet would, with the pod CIDRs the controller assigns.
func CreateNode(t testing.TB, name string, podCIDRs []netip.Prefix, ips ...netip.Addr) {
	t.Helper()
	t.Cleanup(func() { DeleteNode(t, name) })
	node := kubetest.Node(name, texts(podCIDRs), texts(ips)...)
	if _, err := kubetest.CreateNode(context.Background(), kubetest.Client(), node); err != nil {
		t.Fatal(err)
	}
}

// texts writes each of xs as text.
func texts[T fmt.Stringer](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

func DeleteNode(t testing.TB, name string) {
	err := kubetest.Client().CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("delete node %s: %v", name, err)
	}
}

// Start runs the node's agent in this process until stop or the end of the test.
func (n *Node) Start(t testing.TB) {
	t.Helper()
	a, err := agent.New(n.AgentConfig, kubetest.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), ktesting.NewLogger(t, ktesting.NewConfig(ktesting.Verbosity(1))).WithName(n.Name)))
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	n.Agent = a
	stopped := false
	n.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent of %s: %v", n.Name, err)
		}
	}
	t.Cleanup(n.stop)
}

// WaitReady waits until the node's agent has synced and is ready.
func (n *Node) WaitReady(t testing.TB) {
	t.Helper()
	poll.Eventually(t, 30*time.Second, "agent of "+n.Name+" ready", func() error {
		if n.Agent.Ready() && n.Agent.Syncs() > 0 {
			return nil
		}
		return fmt.Errorf("not ready")
	})
}

// Pod is a pod sandbox made by dualnet-cni through libcni on a node.
type Pod struct {
	NS          *cnitest.PodNS
	IPs         []netip.Addr // IPv4 first
	Node        *Node
	ContainerID string // the CNI attachment's
	del         func() error
}

// Del runs CNI DEL for the pod, as the runtime does when the pod stops; the test's cleanup
// runs it again (DEL is idempotent) and removes the namespace.
func (p *Pod) Del() error { return p.del() }

// AddPod calls the plugin the agent installed, with the conflist the agent wrote, from
// inside the node's namespace, as the node's container runtime would.
func (n *Node) AddPod(t testing.TB) *Pod {
	t.Helper()
	return n.AddPodWithPorts(t)
}

// PortMapping is one hostPort of a pod, as a runtime passes it to CNI (runtimeConfig
// portMappings; Protocol in lower case, as containerd writes it).
type PortMapping struct {
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

// AddPodWithPorts is AddPod for a pod whose containers declare these hostPorts: the runtime
// passes them to ADD and, again, to DEL.
func (n *Node) AddPodWithPorts(t testing.TB, ports ...PortMapping) *Pod {
	t.Helper()
	var capabilities map[string]any
	if len(ports) > 0 {
		capabilities = map[string]any{"portMappings": ports}
	}
	return n.addPod(t, capabilities, capabilities)
}

// Bandwidth is a pod's bandwidth annotations as a runtime passes them to CNI (runtimeConfig
// bandwidth): rates in bits per second, bursts in bits.
type Bandwidth struct {
	IngressRate  uint64 `json:"ingressRate"`
	IngressBurst uint64 `json:"ingressBurst"`
	EgressRate   uint64 `json:"egressRate"`
	EgressBurst  uint64 `json:"egressBurst"`
}

// AddPodWithBandwidth is AddPod for a pod with bandwidth annotations: the runtime passes the
// limits to ADD; DEL needs none.
func (n *Node) AddPodWithBandwidth(t testing.TB, bw Bandwidth) *Pod {
	t.Helper()
	return n.addPod(t, map[string]any{"bandwidth": bw}, nil)
}

// addPod makes the pod with these capability arguments to ADD and to DEL.
func (n *Node) addPod(t testing.TB, addCapabilities, delCapabilities map[string]any) *Pod {
	t.Helper()
	drv, err := cnitest.NewDriver(n.binDir, n.cacheDir, n.Conflist(t))
	if err != nil {
		t.Fatal(err)
	}
	p := AddPodThrough(t, n.Host.NS, drv, addCapabilities, delCapabilities)
	p.Node = n
	return p
}

// AddPodThrough makes a dual-stack pod with whatever plugins drv runs, calling them from
// inside the node namespace node, as its container runtime would, with these capability
// arguments to ADD and to DEL; the test's cleanup runs DEL and removes the pod's namespace.
// Pod.Node is left nil: the node need not be one of a Cluster's.
func AddPodThrough(t testing.TB, node nodens.Namespace, drv *cnitest.Driver, addCapabilities, delCapabilities map[string]any) *Pod {
	t.Helper()
	podNS, err := cnitest.NewPodNS("pod")
	if err != nil {
		t.Fatal(err)
	}
	rt := cnitest.Runtime(podNS.Name, podNS.Path, "eth0")
	delRT := *rt
	rt.CapabilityArgs, delRT.CapabilityArgs = addCapabilities, delCapabilities
	del := func() error { return node.Do(func() error { return drv.Del(context.Background(), &delRT) }) }
	t.Cleanup(func() {
		if err := del(); err != nil {
			t.Errorf("CNI DEL: %v", err)
		}
		if err := podNS.Delete(); err != nil {
			t.Errorf("delete pod namespace: %v", err)
		}
	})
	var res types.Result
	err = node.Do(func() error {
		var err error
		res, err = drv.Add(context.Background(), rt)
		return err
	})
	if err != nil {
		t.Fatalf("CNI ADD in %s: %v", node, err)
	}
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		t.Fatal(err)
	}
	p := &Pod{NS: podNS, ContainerID: rt.ContainerID, del: del}
	for _, ipc := range r.IPs {
		a, _ := netip.AddrFromSlice(ipc.Address.IP)
		p.IPs = append(p.IPs, a.Unmap())
	}
	if len(p.IPs) != 2 || !p.IPs[0].Is4() || !p.IPs[1].Is6() {
		t.Fatalf("pod addresses %v: want one IPv4 then one IPv6", p.IPs)
	}
	return p
}

// StopAgent stops the node's agent and waits for it to return; the dataplane stays.
func (n *Node) StopAgent() { n.stop() }

// Conflist is the conflist the node's agent wrote.
func (n *Node) Conflist(t testing.TB) []byte {
	t.Helper()
	conflist, err := os.ReadFile(cniconfig.ConfigPath(n.confDir))
	if err != nil {
		t.Fatalf("the agent's CNI config: %v", err)
	}
	return conflist
}

// WaitConflist polls the conflist the node's agent wrote until ok accepts it.
func (n *Node) WaitConflist(t testing.TB, what string, ok func(conflist string) error) {
	t.Helper()
	poll.Eventually(t, 10*time.Second, what, func() error {
		conflist, err := os.ReadFile(cniconfig.ConfigPath(n.confDir))
		if err != nil {
			return err
		}
		return ok(string(conflist))
	})
}

// WaitWarning polls the events of the node's Node object until a Warning of this reason
// whose message holds text is there.
func (n *Node) WaitWarning(t testing.TB, reason, text string) {
	t.Helper()
	// 30 s: client-go retries a failed event write after about 10 s, which a loaded
	// apiserver causes now and then.
	poll.Eventually(t, 30*time.Second, reason+" event on the node", func() error {
		events, err := kubetest.Client().CoreV1().Events("").List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + n.Name})
		if err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Reason == reason && e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, text) {
				return nil
			}
		}
		var seen []string
		for _, e := range events.Items {
			seen = append(seen, fmt.Sprintf("%s %s x%d: %s", e.Type, e.Reason, e.Count, e.Message))
		}
		return fmt.Errorf("%d events, none a Warning %s holding %q: %s", len(events.Items), reason, text, strings.Join(seen, "; "))
	})
}
