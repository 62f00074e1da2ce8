package cniconfig

// PortmapType is the portmap plugin's "type" in the conflist: the file a runtime runs from
// its CNI bin dir. dualnet installs upstream's portmap under a name of its own, so that it
// never replaces (or, at clean-up, removes) a portmap the node has for its other networks.
const PortmapType = "dualnet-portmap"

// PortmapBinary is upstream's name for the binary, as `make build` and the image have it.
const PortmapBinary = "portmap"

// portmap is the entry of the upstream portmap plugin (containernetworking/plugins,
// plugins/meta/portmap), chained after dualnet as kubenet and AKS kubenet chain it for
// hostPort: the runtime hands a plugin that declares the portMappings capability the pod's
// hostPort mappings (runtimeConfig.portMappings), and portmap DNATs <node address>:<hostPort>
// to the pod's address of the same family, for each family the pod has. Pods without a
// hostPort pass through it untouched.
type portmap struct {
	Type         string          `json:"type"`
	Capabilities map[string]bool `json:"capabilities"`
	Backend      string          `json:"backend"`
	SNAT         bool            `json:"snat"`
}

func portmapPlugin() portmap {
	return portmap{
		Type:         PortmapType,
		Capabilities: map[string]bool{"portMappings": true},
		// Its own tables (ip and ip6 cni_hostport) through nft, as every dualnet table, and
		// no iptables binary needed. Without "backend", portmap v1.10.0 takes iptables
		// whenever an iptables binary is on the node.
		Backend: "nftables",
		// With snat, portmap turns on route_localnet on the bridge (for 127.0.0.1:hostPort,
		// IPv4 only), and that lets a pod holding NET_RAW reach the node's services that
		// listen on loopback only (CVE-2020-8558); kube-proxy's nftables mode refuses
		// localhost NodePorts for the same reason. Without it, hostPort answers at every
		// node address of both families to other machines, other nodes, the node itself
		// and the node's other pods (bridge netfilter restores the node address on the
		// bridged reply); what is lost is 127.0.0.1 and a pod calling its own hostPort
		// through its node's address, which would need that masquerade.
		SNAT: false,
	}
}
