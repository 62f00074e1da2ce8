package agent_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
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
	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/netspec"
)

// resync is short so that drift repair is quick to observe.
const resync = 2 * time.Second

// cluster is a virtual network with a "vnet-host" VM and nodes running agents.
type cluster struct {
	vnet     *dptest.VNet
	vnetHost dptest.Host
	nodes    []*node
	plugin   string // the built dualnet-cni
}

type node struct {
	name        string
	host        dptest.Host
	podCIDRs    []netip.Prefix
	confDir     string
	binDir      string
	dataDir     string
	cacheDir    string
	stopAgent   func()
	agent       *agent.Agent
	agentConfig agent.Config
}

// nodeAddrs are the lab's node addresses: node i is .4+i / ::4+i on 172.30.0.0/24, fd00:30::/64.
func nodeAddrs(i int) (netip.Addr, netip.Addr) {
	return netip.AddrFrom4([4]byte{172, 30, 0, byte(4 + i)}), netip.MustParseAddr(fmt.Sprintf("fd00:30::%x", 4+i))
}

func newCluster(t *testing.T, nodes int) *cluster {
	t.Helper()
	dptest.RequireRoot(t)
	c := &cluster{vnet: dptest.NewVNet(t)}
	c.vnetHost = c.vnet.AddHost(t, "vhost", netip.MustParseAddr("172.30.0.100"), netip.MustParseAddr("fd00:30::100"))
	c.plugin = filepath.Join(t.TempDir(), "dualnet-cni")
	if err := cnitest.Build(c.plugin, "github.com/dualnet/dualnet/cmd/dualnet-cni"); err != nil {
		t.Fatal(err)
	}
	spec := netspec.Default()
	for i := range nodes {
		v4, v6 := nodeAddrs(i)
		n := &node{
			name:     dptest.Name(fmt.Sprintf("node%d-", i)),
			host:     c.vnet.AddHost(t, fmt.Sprintf("n%d", i), v4, v6),
			podCIDRs: spec.NodeCIDRs(uint64(i)),
		}
		dir := t.TempDir()
		n.confDir, n.binDir, n.dataDir, n.cacheDir = filepath.Join(dir, "net.d"), filepath.Join(dir, "bin"), filepath.Join(dir, "data"), filepath.Join(dir, "cache")
		n.agentConfig = agent.Config{
			NodeName: n.name, Spec: spec, Routes: agent.HostRoutes,
			CNIConfDir: n.confDir, CNIBinDir: n.binDir, CNIPlugin: c.plugin, CNIDataDir: n.dataDir,
			Bridge: "cbr0", Namespace: n.host.NS, Resync: resync,
		}
		createNode(t, n.name, n.podCIDRs, v4, v6)
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		n.start(t)
	}
	for _, n := range c.nodes {
		n.waitReady(t)
	}
	return c
}

// createNode registers a Node as a kubelet would, with the pod CIDRs the controller assigns.
func createNode(t *testing.T, name string, podCIDRs []netip.Prefix, ips ...netip.Addr) {
	t.Helper()
	ctx := context.Background()
	nodes := kubetest.Client().CoreV1().Nodes()
	obj := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, p := range podCIDRs {
		obj.Spec.PodCIDRs = append(obj.Spec.PodCIDRs, p.String())
	}
	if len(podCIDRs) > 0 {
		obj.Spec.PodCIDR = podCIDRs[0].String()
	}
	created, err := nodes.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	t.Cleanup(func() { deleteNode(t, name) })
	for _, ip := range ips {
		created.Status.Addresses = append(created.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip.String()})
	}
	if _, err := nodes.UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("set addresses of node %s: %v", name, err)
	}
}

func deleteNode(t *testing.T, name string) {
	err := kubetest.Client().CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("delete node %s: %v", name, err)
	}
}

// start runs the node's agent in this process until stop or the end of the test.
func (n *node) start(t *testing.T) {
	t.Helper()
	a, err := agent.New(n.agentConfig, kubetest.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), ktesting.NewLogger(t, ktesting.NewConfig()).WithName(n.name)))
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	n.agent = a
	stopped := false
	n.stopAgent = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent of %s: %v", n.name, err)
		}
	}
	t.Cleanup(n.stopAgent)
}

func (n *node) waitReady(t *testing.T) {
	t.Helper()
	dptest.Eventually(t, 30*time.Second, "agent of "+n.name+" ready", func() error {
		if n.agent.Ready() && n.agent.Syncs() > 0 {
			return nil
		}
		return fmt.Errorf("not ready")
	})
}

// pod is a pod sandbox made by dualnet-cni through libcni on a node.
type pod struct {
	ns   *cnitest.PodNS
	ips  []netip.Addr // IPv4 first
	node *node
}

// addPod calls the plugin the agent installed, with the conflist the agent wrote, from
// inside the node's namespace, as the node's container runtime would.
func (n *node) addPod(t *testing.T) *pod {
	t.Helper()
	conflist, err := os.ReadFile(cniconfig.ConfigPath(n.confDir))
	if err != nil {
		t.Fatalf("the agent's CNI config: %v", err)
	}
	drv, err := cnitest.NewDriver(n.binDir, n.cacheDir, conflist)
	if err != nil {
		t.Fatal(err)
	}
	podNS, err := cnitest.NewPodNS("pod")
	if err != nil {
		t.Fatal(err)
	}
	rt := cnitest.Runtime(podNS.Name, podNS.Path, "eth0")
	t.Cleanup(func() {
		if err := n.host.NS.Do(func() error { return drv.Del(context.Background(), rt) }); err != nil {
			t.Errorf("CNI DEL: %v", err)
		}
		if err := podNS.Delete(); err != nil {
			t.Errorf("delete pod namespace: %v", err)
		}
	})
	var res types.Result
	err = n.host.NS.Do(func() error {
		var err error
		res, err = drv.Add(context.Background(), rt)
		return err
	})
	if err != nil {
		t.Fatalf("CNI ADD on %s: %v", n.name, err)
	}
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		t.Fatal(err)
	}
	p := &pod{ns: podNS, node: n}
	for _, ipc := range r.IPs {
		a, _ := netip.AddrFromSlice(ipc.Address.IP)
		p.ips = append(p.ips, a.Unmap())
	}
	if len(p.ips) != 2 || !p.ips[0].Is4() || !p.ips[1].Is6() {
		t.Fatalf("pod addresses %v: want one IPv4 then one IPv6", p.ips)
	}
	return p
}
