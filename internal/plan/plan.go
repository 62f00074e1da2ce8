// Package plan works out what a cluster network spec gives a cluster of N nodes: each node's
// addresses and pod CIDRs, the service ranges and the capacity. It is what `dualnet plan`
// prints; it is pure and changes nothing.
package plan

import (
	"fmt"
	"net/netip"

	"github.com/dualnet/dualnet/internal/netspec"
)

// Plan is the allocation for a number of nodes. Its JSON (and YAML) field names are stable
// for scripts.
type Plan struct {
	IPFamilies   []string       `json:"ipFamilies"`
	Nodes        []Node         `json:"nodes"`
	ServiceCIDRs []ServiceRange `json:"serviceCIDRs"`
	Capacity     Capacity       `json:"capacity"`
}

// Node is one node as `kubectl get nodes` would show it.
type Node struct {
	Name      string   `json:"name"`
	Addresses []string `json:"addresses,omitempty"`
	PodCIDRs  []string `json:"podCIDRs"`
}

// ServiceRange is a service CIDR with the cluster IP of the kubernetes service in it.
type ServiceRange struct {
	Family              string `json:"family"`
	CIDR                string `json:"cidr"`
	KubernetesServiceIP string `json:"kubernetesServiceIP"`
}

// Capacity is how many nodes fit and which limit binds.
type Capacity struct {
	Nodes        uint64  `json:"nodes"`
	BindingLimit string  `json:"bindingLimit"`
	Limits       []Limit `json:"limits"`
}

// Limit is what one limit allows.
type Limit struct {
	Name   string `json:"name"`
	Nodes  uint64 `json:"nodes"`
	Detail string `json:"detail"`
}

// Build plans n nodes named namePrefix0, namePrefix1, ... in allocation order. More nodes than
// the spec holds is an error naming the binding limit and how to raise it.
func Build(spec netspec.Spec, n uint64, namePrefix string) (Plan, error) {
	if err := spec.CheckNodes(n); err != nil {
		return Plan{}, err
	}
	p := Plan{Capacity: capacity(spec.Capacity())}
	for _, f := range spec.Families {
		p.IPFamilies = append(p.IPFamilies, string(f))
		svc, _ := spec.ServiceCIDR(f)
		ip, _ := spec.KubernetesServiceIP(f)
		p.ServiceCIDRs = append(p.ServiceCIDRs, ServiceRange{Family: f.String(), CIDR: svc.String(), KubernetesServiceIP: ip.String()})
	}
	for i := range n {
		node := Node{Name: fmt.Sprintf("%s%d", namePrefix, i), PodCIDRs: prefixStrings(spec.NodeCIDRs(i))}
		for _, subnet := range spec.NodeSubnets {
			addr, _ := netspec.NodeAddress(subnet, i) // CheckNodes covered the subnet's capacity
			node.Addresses = append(node.Addresses, addr.String())
		}
		p.Nodes = append(p.Nodes, node)
	}
	return p, nil
}

func capacity(c netspec.Capacity) Capacity {
	out := Capacity{Nodes: c.Nodes, BindingLimit: c.Limit.String()}
	for _, b := range c.Bounds {
		out.Limits = append(out.Limits, Limit{Name: b.Limit.String(), Nodes: b.Nodes, Detail: b.Detail})
	}
	return out
}

func prefixStrings(list []netip.Prefix) []string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = p.String()
	}
	return out
}
