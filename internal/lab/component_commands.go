package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/netns"
)

func joinCIDRs[T fmt.Stringer](ps []T) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// nodeDirs are a lab node's directories inside the state directory, so Down's removal of that
// directory removes every file of the lab. conf is the node's /etc/cni/net.d inside its mount
// namespace (nodeMachine), where the agent's pod writes the conflist.
type nodeDirs struct{ base, conf string }

func dirsOf(st *State, node string) nodeDirs {
	m := nodeMachineOf(st, node)
	return nodeDirs{base: m.Dir, conf: m.path("/etc/cni/net.d")}
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
	arm            *arm   // the ARM endpoint with --routes=azure, else nil
}

// componentsOf is what the supervisor runs after the control plane, in start order: the
// route endpoint, then per node containerd and the kubelet. dualnet itself and kube-proxy are
// not among them: they run as the cluster's pods (installNetwork).
func componentsOf(cfg Config, st *State, topo Topology, ep endpoints) ([]component, error) {
	var out []component
	if ep.arm != nil {
		out = append(out, ep.arm.component(filepath.Join(cfg.BinDir, "dualnet-armemu")))
	}
	for i := 0; i < cfg.Nodes; i++ {
		node := topo.Names.Node(i)
		m := nodeMachineOf(st, node)
		if err := os.MkdirAll(m.Dir, 0o755); err != nil {
			return nil, err
		}
		containerd, err := containerdComponent(cfg, m, netns.Path(node), ep.registryCerts)
		if err != nil {
			return nil, err
		}
		kubelet, err := kubeletComponent(cfg, ep.cp, ep.server, m, i, netns.Path(node), topo.Addressing.Node(i))
		if err != nil {
			return nil, err
		}
		out = append(out, containerd, kubelet)
	}
	return out, nil
}
