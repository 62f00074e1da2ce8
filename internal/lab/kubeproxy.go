package lab

import (
	"path/filepath"

	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/netspec"
)

// kubeProxy is one node's kube-proxy, the stock binary that test/kube builds, as a cluster
// runs it beside the network plugin: it turns Services into nftables rules. It runs inside the
// node's namespace (component.Netns), because its rules, its conntrack clean-up and the node
// addresses it looks up must all be the node's, and reaches the API server on the virtual
// network as user system:kube-proxy (bound to system:node-proxier, as kubeadm binds it).
func kubeProxy(cfg Config, cp *controlplane.ControlPlane, server string, m nodeMachine) (component, error) {
	client, err := cp.ClientConfig("system:kube-proxy")
	if err != nil {
		return component{}, err
	}
	client.Host, client.Dial = server, nil
	kubeconfig := filepath.Join(m.Dir, "kube-proxy.kubeconfig")
	if err := controlplane.WriteKubeconfig(kubeconfig, client); err != nil {
		return component{}, err
	}
	return component{
		Name:  "kube-proxy-" + m.Name,
		Path:  filepath.Join(cfg.KubeBinDir, "kube-proxy"),
		Args:  append([]string{"--kubeconfig=" + kubeconfig, "--hostname-override=" + m.Name}, kubeProxyFlags(cfg.Spec)...),
		Netns: m.Name,
	}, nil
}

// kubeProxyHealthzPort is where every lab kube-proxy serves /healthz, on every address of its
// node's namespace; kubeProxiesSynced asks it there.
const kubeProxyHealthzPort = "10256"

// kubeProxyFlags are the flags of every lab kube-proxy besides its node and kubeconfig.
func kubeProxyFlags(spec netspec.Spec) []string {
	return []string{
		"--proxy-mode=nftables",
		// Traffic from these is a pod's (detect-local-mode ClusterCIDR, the default); both
		// families, so each family's rules know its pods.
		"--cluster-cidr=" + joinCIDRs(spec.PodCIDRs),
		// Bound inside the node's namespace: every node has its own ports, as on real nodes.
		"--healthz-bind-address=0.0.0.0:" + kubeProxyHealthzPort,
		"--metrics-bind-address=127.0.0.1:10249",
		// Host-global settings stay as they are. nf_conntrack_max is one limit for the whole
		// kernel: outside the host's namespace it is read-only (kube-proxy's default write
		// would fail there and stop it), and /sys/module/nf_conntrack/parameters/hashsize,
		// which kube-proxy grows along with it, is a module parameter, writable and global.
		// Per-core 0 skips both. The conntrack timeouts and tcp_be_liberal are per namespace,
		// but 0 / false leave them too, so kube-proxy writes no sysctl at all
		// (k8s.io/kubernetes/pkg/proxy/conntrack/sysctls.go skips each write for 0 / false).
		"--conntrack-max-per-core=0",
		"--conntrack-min=0",
		"--conntrack-tcp-timeout-established=0",
		"--conntrack-tcp-timeout-close-wait=0",
		"--conntrack-udp-timeout=0",
		"--conntrack-udp-timeout-stream=0",
		"--conntrack-tcp-be-liberal=false",
		// Its default -999 would make it the last process the host's OOM killer picks; a lab
		// process has no claim to that. 0 is the value it starts with.
		"--oom-score-adj=0",
	}
}
