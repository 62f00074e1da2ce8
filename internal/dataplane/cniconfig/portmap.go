package cniconfig

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
		Type:         Portmap.Type,
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
