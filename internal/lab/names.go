package lab

import (
	"fmt"
	"regexp"
	"strings"
)

// Names derives every name the lab gives out from the lab's name, so that two labs (a user's
// and a test's) never collide and Down can find what a crashed Up left behind.
type Names struct{ Lab string }

// Vnet is the namespace routing the virtual network.
func (n Names) Vnet() string { return n.Lab + "-vnet" }

// VnetHost is the namespace of a VM on the virtual network.
func (n Names) VnetHost() string { return n.Lab + "-vnet-host" }

// Internet is the namespace of a client outside the virtual network (LoadBalancer services).
func (n Names) Internet() string { return n.Lab + "-internet" }

// ControlPlane is the namespace of the control-plane machine: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler, on the virtual network so that kubelets and pods
// reach the API server and it reaches the kubelets, as on a real cluster.
func (n Names) ControlPlane() string { return n.Lab + "-cp" }

// Registry is the namespace of the lab's image registry, which every node pulls from.
func (n Names) Registry() string { return n.Lab + "-registry" }

// Node is both node i's namespace and its Kubernetes node name.
func (n Names) Node(i int) string { return fmt.Sprintf("%s-node-%d", n.Lab, i) }

// PodPrefix starts the name of every pod namespace the lab's nodes create.
func (n Names) PodPrefix() string { return n.Lab + "-pod-" }

// Link names inside the vnet namespace: the bridge of the subnet and one port per machine.
const (
	vnetBridge   = "vnet0"
	nodeLinkName = "eth0"
)

func vnetPortForNode(i int) string { return fmt.Sprintf("node%d", i) }

const (
	vnetPortForVnetHost     = "vnethost"
	vnetPortForInternet     = "internet"
	vnetPortForControlPlane = "cp"
	vnetPortForRegistry     = "registry"
)

// Owns says whether a namespace name is one this lab gives out. Only exact shapes count, so
// that Down never takes another lab's or another program's namespace that merely shares a
// prefix ("dualnet-cni-test-1" is not lab "dualnet"'s).
func (n Names) Owns(netnsName string) bool {
	suffix, ok := strings.CutPrefix(netnsName, n.Lab+"-")
	return ok && ownedSuffix.MatchString(suffix)
}

// ownedSuffix is what follows "<lab>-" in the name of a namespace the lab gives out.
var ownedSuffix = regexp.MustCompile(`^(vnet|vnet-host|internet|cp|registry|node-[0-9]+|pod-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)

// validName: the lab's name starts Kubernetes node names and namespace names, so it must be a
// DNS label, short enough to leave room for "-node-NNN" and "-pod-<uid>".
var validName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,22}[a-z0-9])?$`)

// CheckName refuses a lab name that cannot prefix node and namespace names.
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("--name: %q must be 1-24 lower-case letters, digits or '-', starting and ending with a letter or digit (it starts node and namespace names)", name)
	}
	return nil
}
