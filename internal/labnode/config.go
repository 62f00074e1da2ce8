package labnode

import (
	"net/netip"
	"path/filepath"
)

// Config is one lab node.
type Config struct {
	NodeName string
	// NodeNetns is the path of the node's network namespace, where the CNI plugin runs.
	NodeNetns string
	// NodeIPs are the node's addresses on the virtual network, IPv4 first.
	NodeIPs []netip.Addr
	// Dir is the node's directory: CNI config, plugins and cache, pod logs.
	Dir string
	// PodNetnsPrefix starts every pod namespace's name; the pod's UID completes it.
	PodNetnsPrefix string
	// Self is the dualnet binary, which runs the built-in workloads (`dualnet lab workload`).
	Self string
}

// CNIConfDir is where dualnet-agent writes the conflist, as /etc/cni/net.d on a real node.
func (c Config) CNIConfDir() string { return filepath.Join(c.Dir, "cni", "net.d") }

// CNIBinDir is where dualnet-agent installs the plugin, as /opt/cni/bin on a real node.
func (c Config) CNIBinDir() string { return filepath.Join(c.Dir, "cni", "bin") }

// CNICacheDir is libcni's result cache, as /var/lib/cni on a real node.
func (c Config) CNICacheDir() string { return filepath.Join(c.Dir, "cni", "cache") }

// PodsDir holds one directory of container logs per pod.
func (c Config) PodsDir() string { return filepath.Join(c.Dir, "pods") }
