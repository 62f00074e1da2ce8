package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/netspec"
)

// specFlags passes the lab's network spec to a dualnet binary with AKS's flag names.
func specFlags(spec netspec.Spec) []string {
	fams := make([]string, len(spec.Families))
	for i, f := range spec.Families {
		fams[i] = string(f)
	}
	return []string{
		"--ip-families=" + strings.Join(fams, ","),
		"--pod-cidrs=" + joinCIDRs(spec.PodCIDRs),
		"--service-cidrs=" + joinCIDRs(spec.ServiceCIDRs),
		fmt.Sprintf("--node-cidr-mask-size-ipv4=%d", spec.NodeMaskSizeIPv4),
		fmt.Sprintf("--node-cidr-mask-size-ipv6=%d", spec.NodeMaskSizeIPv6),
		fmt.Sprintf("--max-routes=%d", spec.MaxRoutes),
	}
}

func joinCIDRs[T fmt.Stringer](ps []T) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// nodeDirs are a lab node's directories inside the state directory, so Down's removal of that
// directory removes every file of the lab. The CNI ones are the node's /etc/cni/net.d,
// /opt/cni/bin and /var/lib/dualnet inside its mount namespace (nodeMachine), where the agent,
// which runs on the host, writes them.
type nodeDirs struct{ base, conf, bin, data string }

func dirsOf(st *State, node string) nodeDirs {
	m := nodeMachineOf(st, node)
	return nodeDirs{
		base: m.Dir,
		conf: m.path("/etc/cni/net.d"),
		bin:  m.path("/opt/cni/bin"),
		data: m.path("/var/lib/dualnet/cni"),
	}
}

func nodeMachineOf(st *State, node string) nodeMachine {
	return nodeMachine{Name: node, Dir: filepath.Join(st.Dir, "nodes", node)}
}

// endpoints are where the lab's components reach the API server: hostKubeconfig for those on
// the host (through the relay on the host's loopback), server for those inside the nodes.
type endpoints struct {
	cp             *controlplane.ControlPlane
	hostKubeconfig string
	server         string
	registryCerts  string // containerd's hosts.toml directory for the lab's registry
}

// componentsOf is what the supervisor runs after the control plane, in start order: the
// route endpoint and dualnet-controller, then per node containerd, the kubelet, the agent and
// kube-proxy.
func componentsOf(cfg Config, st *State, topo Topology, ep endpoints) ([]component, error) {
	bin := func(name string) string { return filepath.Join(cfg.BinDir, name) }
	spec := specFlags(cfg.Spec)
	kubeconfig := ep.hostKubeconfig
	var out []component
	controllerArgs := append([]string{"--kubeconfig=" + kubeconfig, "--health-addr=127.0.0.1:0"}, spec...)
	agentRoutes := "none"
	switch cfg.Routes {
	case RoutesHost:
		agentRoutes = "host"
	case RoutesKernel:
		controllerArgs = append(controllerArgs, "--routes=kernel", "--routes-netns="+NetnsPath(topo.Names.Vnet()))
	case RoutesAzure:
		arm, err := newARM(st, cfg, topo)
		if err != nil {
			return nil, err
		}
		out = append(out, arm.component(bin("dualnet-armemu")))
		controllerArgs = append(controllerArgs, arm.controllerArgs()...)
	}
	out = append(out, component{Name: "dualnet-controller", Path: bin("dualnet-controller"), Args: controllerArgs})
	for i := 0; i < cfg.Nodes; i++ {
		node := topo.Names.Node(i)
		m := nodeMachineOf(st, node)
		dirs := dirsOf(st, node)
		if err := os.MkdirAll(dirs.data, 0o755); err != nil {
			return nil, err
		}
		containerd, err := containerdComponent(cfg, m, NetnsPath(node), ep.registryCerts)
		if err != nil {
			return nil, err
		}
		kubelet, err := kubeletComponent(cfg, ep.cp, ep.server, m, NetnsPath(node), topo.Addressing.Node(i))
		if err != nil {
			return nil, err
		}
		out = append(out, containerd, kubelet, component{
			Name: "dualnet-agent-" + node,
			Path: bin("dualnet-agent"),
			Args: append([]string{"--kubeconfig=" + kubeconfig, "--node-name=" + node,
				"--netns=" + NetnsPath(node),
				"--cni-conf-dir=" + dirs.conf, "--cni-bin-dir=" + dirs.bin,
				"--cni-plugin=" + bin("dualnet-cni"), "--cni-data-dir=" + dirs.data,
				"--routes=" + agentRoutes, "--health-addr="}, slices.Concat(spec, cfg.LoadBalancer.agentFlags())...),
		})
		// After its kubelet: kube-proxy reads the Node for the node's addresses.
		proxy, err := kubeProxy(cfg, ep.cp, ep.server, m)
		if err != nil {
			return nil, err
		}
		out = append(out, proxy)
	}
	return out, nil
}
