package lab

import (
	"fmt"
	"path/filepath"
)

// NetnsDir is where named network namespaces are bound, as iproute2 and libcni expect.
const NetnsDir = "/run/netns"

// Names derives every name the lab gives out from the lab's name, so that two labs (a user's
// and a test's) never collide and Down can find what a crashed Up left behind.
type Names struct{ Lab string }

// Vnet is the namespace routing the virtual network.
func (n Names) Vnet() string { return n.Lab + "-vnet" }

// VnetHost is the namespace of a VM on the virtual network.
func (n Names) VnetHost() string { return n.Lab + "-vnet-host" }

// Node is both node i's namespace and its Kubernetes node name.
func (n Names) Node(i int) string { return fmt.Sprintf("%s-node-%d", n.Lab, i) }

// PodPrefix starts the name of every pod namespace the lab's nodes create.
func (n Names) PodPrefix() string { return n.Lab + "-pod-" }

// NetnsPath is where a namespace of the lab is bound.
func NetnsPath(name string) string { return filepath.Join(NetnsDir, name) }

// Link names inside the vnet namespace: the bridge of the subnet and one port per machine.
const (
	vnetBridge   = "vnet0"
	nodeLinkName = "eth0"
)

func vnetPortForNode(i int) string { return fmt.Sprintf("node%d", i) }

const vnetPortForVnetHost = "vnethost"
