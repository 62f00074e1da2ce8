package cniconfig

// bandwidth is the entry of the upstream bandwidth plugin (containernetworking/plugins,
// plugins/meta/bandwidth), for the pod annotations kubernetes.io/ingress-bandwidth and
// kubernetes.io/egress-bandwidth that kubenet honoured: containerd and CRI-O read them and
// hand a plugin that declares the bandwidth capability the rates (runtimeConfig.bandwidth).
// It shapes the pod's ingress with a tbf qdisc on the host veth, and its egress with a tbf on
// an ifb device (bwp<hash of the network name and the container ID>) that the host veth's
// ingress is mirred to; DEL deletes the ifb, and dualnet's DEL the veth with its qdiscs.
// It finds the host veth among prevResult's interfaces (the one without a sandbox whose
// index is the pod interface's veth peer), which dualnet's result lists. Pods without the
// annotations pass through it untouched.
type bandwidth struct {
	Type         string          `json:"type"`
	Capabilities map[string]bool `json:"capabilities"`
}

func bandwidthPlugin() bandwidth {
	return bandwidth{Type: Bandwidth.Type, Capabilities: map[string]bool{"bandwidth": true}}
}
