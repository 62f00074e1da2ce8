package labnode

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/containernetworking/cni/libcni"
	cnitypes "github.com/containernetworking/cni/pkg/types"
	cni100 "github.com/containernetworking/cni/pkg/types/100"
	corev1 "k8s.io/api/core/v1"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
	"github.com/dualnet/dualnet/internal/lab"
)

// ifName is the pod's interface, as containerd names it.
const ifName = "eth0"

// cleanupTimeout bounds a teardown that no longer follows its caller's context.
const cleanupTimeout = 30 * time.Second

// sandbox is a pod's network: the path of its namespace and its addresses, IPv4 first (from
// CNI; a hostNetwork pod has the node's namespace and addresses).
type sandbox struct {
	netnsPath string
	ips       []netip.Addr
}

func (c Config) podNetns(pod *corev1.Pod) string { return c.PodNetnsPrefix + string(pod.UID) }

// runtimeConf is what containerd passes to CNI for a pod sandbox: the sandbox ID (here the
// pod UID), the namespace path, eth0, the K8S_* arguments, and the pod's hostPorts as the
// portMappings capability (portmappings.go), to ADD and to DEL alike. addRuntimeConf adds
// the bandwidth capability to it.
func (c Config) runtimeConf(pod *corev1.Pod, netnsName string) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{
		ContainerID: string(pod.UID),
		NetNS:       lab.NetnsPath(netnsName),
		IfName:      ifName,
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", pod.Namespace},
			{"K8S_POD_NAME", pod.Name},
			{"K8S_POD_INFRA_CONTAINER_ID", string(pod.UID)},
			{"K8S_POD_UID", string(pod.UID)},
		},
	}
	if ports := portMappings(pod); len(ports) > 0 {
		rt.CapabilityArgs = map[string]any{"portMappings": ports}
	}
	return rt
}

// addRuntimeConf is runtimeConf for ADD: with the pod's bandwidth annotations as the
// bandwidth capability (bandwidth.go). DEL needs none: the plugin finds what it made from
// the container ID.
func (c Config) addRuntimeConf(pod *corev1.Pod, netnsName string) (*libcni.RuntimeConf, error) {
	rt := c.runtimeConf(pod, netnsName)
	bw, err := podBandwidth(pod)
	if err != nil || bw == nil {
		return rt, err
	}
	if rt.CapabilityArgs == nil {
		rt.CapabilityArgs = map[string]any{}
	}
	rt.CapabilityArgs["bandwidth"] = bw
	return rt, nil
}

// network loads the node's CNI network the way containerd does: the first config file of
// the conf dir in lexical order.
func (c Config) network() (*libcni.NetworkConfigList, error) {
	files, err := libcni.ConfFiles(c.CNIConfDir(), []string{".conf", ".conflist", ".json"})
	if err != nil {
		return nil, fmt.Errorf("read CNI config dir %s: %w", c.CNIConfDir(), err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CNI network config in %s yet (dualnet-agent writes it once the node has pod CIDRs)", c.CNIConfDir())
	}
	slices.Sort(files)
	list, err := libcni.NetworkConfFromFile(files[0])
	if err != nil {
		return nil, fmt.Errorf("CNI config %s: %w", files[0], err)
	}
	return list, nil
}

// cni calls the plugins from the node's namespace: a plugin is a child process, and a child
// is born in the namespace of the thread that starts it, so it finds cbr0 where the agent
// made it, exactly as on a node where containerd runs in the host namespace.
func (c Config) cni(fn func(*libcni.CNIConfig, *libcni.NetworkConfigList) error) error {
	list, err := c.network()
	if err != nil {
		return err
	}
	cninet := libcni.NewCNIConfigWithCacheDir([]string{c.CNIBinDir()}, c.CNICacheDir(), nil)
	return nodens.At(c.NodeNetns).Do(func() error { return fn(cninet, list) })
}

// setUp creates the pod's namespace and runs CNI ADD; on failure it undoes both. A
// hostNetwork pod runs in the node's namespace, as on a real node, without CNI.
func (c Config) setUp(ctx context.Context, pod *corev1.Pod) (*sandbox, error) {
	if pod.Spec.HostNetwork {
		return &sandbox{netnsPath: c.NodeNetns, ips: c.NodeIPs}, nil
	}
	name := c.podNetns(pod)
	rt, err := c.addRuntimeConf(pod, name)
	if err != nil {
		return nil, err
	}
	if err := lab.CreateNetns(name); err != nil {
		return nil, err
	}
	if err := lab.SetLoopbackUp(name); err != nil {
		return nil, errors.Join(err, lab.DeleteNetns(name))
	}
	var result cnitypes.Result
	err = c.cni(func(cninet *libcni.CNIConfig, list *libcni.NetworkConfigList) error {
		var err error
		result, err = cninet.AddNetworkList(ctx, list, rt)
		return err
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("CNI ADD: %w", err), c.tearDown(ctx, pod))
	}
	ips, err := podIPs(result)
	if err != nil {
		return nil, errors.Join(err, c.tearDown(ctx, pod))
	}
	return &sandbox{netnsPath: lab.NetnsPath(name), ips: ips}, nil
}

// tearDown runs CNI DEL and removes the pod's namespace; both are idempotent, as CNI DEL must be.
// It finishes even when ctx ends (the node is stopping): a DEL cut short would leave the
// plugin's address records behind.
func (c Config) tearDown(ctx context.Context, pod *corev1.Pod) error {
	if pod.Spec.HostNetwork {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	name := c.podNetns(pod)
	err := c.cni(func(cninet *libcni.CNIConfig, list *libcni.NetworkConfigList) error {
		return cninet.DelNetworkList(ctx, list, c.runtimeConf(pod, name))
	})
	if err != nil {
		err = fmt.Errorf("CNI DEL: %w", err)
	}
	return errors.Join(err, lab.DeleteNetns(name))
}

// podIPs reads the addresses of the result, IPv4 first as status.podIPs lists them.
func podIPs(result cnitypes.Result) ([]netip.Addr, error) {
	r, err := cni100.NewResultFromResult(result)
	if err != nil {
		return nil, fmt.Errorf("CNI result: %w", err)
	}
	var ips []netip.Addr
	for _, ipc := range r.IPs {
		if a, ok := netip.AddrFromSlice(ipc.Address.IP); ok {
			ips = append(ips, a.Unmap())
		}
	}
	if len(ips) == 0 {
		return nil, errors.New("CNI result has no IP address")
	}
	slices.SortStableFunc(ips, func(a, b netip.Addr) int {
		switch {
		case a.Is4() && !b.Is4():
			return -1
		case !a.Is4() && b.Is4():
			return 1
		}
		return 0
	})
	return ips, nil
}
