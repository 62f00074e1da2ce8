package lab

import "github.com/dualnet/dualnet/internal/netspec"

// kubeProxyHealthzPort is where every lab kube-proxy serves /healthz, on every address of its
// node's namespace; kubeProxiesSynced asks it there.
const kubeProxyHealthzPort = "10256"

// kubeProxyFlags are the flags of every lab kube-proxy besides its node and kubeconfig. It runs
// as the DaemonSet kube-proxy (addons/kube-proxy.yaml), a pod on each node's network, so its
// rules, its conntrack clean-up and the node addresses it looks up are all the node's.
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
		// Per-core 0 skips both. The conntrack timeouts are the node namespace's own, so
		// kube-proxy sets them there as on a real node (CLOSE_WAIT 1 h, established 24 h: its
		// defaults, which the suite's CLOSE_WAIT spec checks); the host's stay as they are.
		"--conntrack-max-per-core=0",
		"--conntrack-min=0",
		// Its default -999 would make it the last process the host's OOM killer picks; a lab
		// process has no claim to that. 0 is the value it starts with.
		"--oom-score-adj=0",
	}
}
