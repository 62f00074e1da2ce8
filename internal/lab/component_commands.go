package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

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

// nodeDirs are a lab node's directories inside the state directory (the same layout as
// labnode.Config's), so Down's removal of that directory removes every CNI file of the lab.
type nodeDirs struct{ base, conf, bin, data, cache string }

func dirsOf(st *State, node string) nodeDirs {
	base := filepath.Join(st.Dir, "nodes", node)
	return nodeDirs{
		base:  base,
		conf:  filepath.Join(base, "cni", "net.d"),
		bin:   filepath.Join(base, "cni", "bin"),
		data:  filepath.Join(base, "cni", "data"),
		cache: filepath.Join(base, "cni", "cache"),
	}
}

// componentsOf is what the supervisor runs after the control plane, in start order: per node
// the agent, the lab node and kube-proxy.
func componentsOf(cfg Config, st *State, topo Topology, kubeconfig string) ([]component, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	bin := func(name string) string { return filepath.Join(cfg.BinDir, name) }
	spec := specFlags(cfg.Spec)
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
		dirs := dirsOf(st, node)
		for _, d := range []string{dirs.conf, dirs.bin, dirs.data, dirs.cache} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, err
			}
		}
		out = append(out, component{
			Name: "dualnet-agent-" + node,
			Path: bin("dualnet-agent"),
			Args: append([]string{"--kubeconfig=" + kubeconfig, "--node-name=" + node,
				"--netns=" + NetnsPath(node),
				"--cni-conf-dir=" + dirs.conf, "--cni-bin-dir=" + dirs.bin,
				"--cni-plugin=" + bin("dualnet-cni"), "--cni-data-dir=" + dirs.data,
				"--routes=" + agentRoutes, "--health-addr="}, slices.Concat(spec, cfg.LoadBalancer.agentFlags())...),
		})
		addrs := topo.Addressing.Node(i)
		ips := make([]string, len(addrs))
		for j, a := range addrs {
			ips[j] = a.Addr().String()
		}
		out = append(out, component{
			Name: "labnode-" + node,
			Path: self,
			Args: []string{"lab", "node", "--kubeconfig=" + kubeconfig, "--node-name=" + node,
				"--netns=" + NetnsPath(node), "--node-ips=" + strings.Join(ips, ","),
				"--node-dir=" + dirs.base, "--pod-netns-prefix=" + topo.Names.PodPrefix()},
			Node: node,
		})
		// After its lab node: kube-proxy reads the Node for the node's addresses.
		out = append(out, kubeProxy(cfg.KubeBinDir, kubeconfig, node, cfg.Spec))
	}
	return out, nil
}
