package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dualnet/dualnet/internal/netspec"
)

// Config is what `dualnet lab up` was asked for. Up saves it in the state directory, where
// the supervisor process reads it.
type Config struct {
	Name       string       `json:"name"`
	StateRoot  string       `json:"stateRoot"`
	Nodes      int          `json:"nodes"`
	Spec       netspec.Spec `json:"spec"`
	BinDir     string       `json:"binDir"`     // dualnet's binaries (make build: bin/)
	KubeBinDir string       `json:"kubeBinDir"` // make kube-bins: the control plane, kubelet, agnhost
	NodeBinDir string       `json:"nodeBinDir"` // make node-bins: containerd, runc, CoreDNS, crictl
	// ImageCacheDir holds the lab's images and its registry's blobs across labs.
	ImageCacheDir string    `json:"imageCacheDir"`
	Routes        RouteMode `json:"routes"`
	// LoadBalancer is the load balancer's flags (lbstart.go).
	LoadBalancer LoadBalancerOptions `json:"loadBalancer"`
}

// RouteMode is how pod traffic between nodes is routed in the lab: the cluster's --routes
// (netspec.RouteMode), which the lab gives its dualnet-controller and agents.
type RouteMode = netspec.RouteMode

const (
	// RoutesAzure: dualnet-controller programs the route table through the local ARM
	// endpoint (armemu), and the table is applied to the vnet namespace: the Azure code path.
	RoutesAzure = netspec.RoutesAzure
	// RoutesHost: no route table; every agent routes to the other nodes' pod CIDRs itself
	// (nodes share the subnet), and nothing sets NetworkUnavailable.
	RoutesHost = netspec.RoutesHost
)

// RouteModes lists the modes for --routes: kernel needs a controller in the vnet's
// namespace, which the controller's pods are not, and none would leave pods on different
// nodes unreachable.
var RouteModes = []RouteMode{RoutesAzure, RoutesHost}

// Dir is the lab's state directory.
func (c Config) Dir() string { return filepath.Join(c.StateRoot, c.Name) }

// Names of everything the lab creates.
func (c Config) Names() Names { return Names{Lab: c.Name} }

// Addressing of the nodes, the router and vnet-host on the node subnets.
func (c Config) Addressing() (Addressing, error) {
	return NewAddressing(NodeSubnets(c.Spec), c.Nodes)
}

// Ranges are the lab's address ranges with the flags that set them.
func (c Config) Ranges() []Range {
	var out []Range
	for _, p := range NodeSubnets(c.Spec) {
		out = append(out, Range{"--node-subnets", p})
	}
	for _, p := range c.Spec.PodCIDRs {
		out = append(out, Range{"--pod-cidrs", p})
	}
	for _, p := range c.Spec.ServiceCIDRs {
		out = append(out, Range{"--service-cidrs", p})
	}
	in := NewInternet(c.Spec)
	for _, p := range append(in.Client, in.Pools...) {
		out = append(out, Range{"the lab's internet (fixed documentation range)", p.Masked()})
	}
	return out
}

func configFile(dir string) string { return filepath.Join(dir, "config.json") }

func (c Config) save() error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(configFile(c.Dir()), data, 0o600)
}

// LoadConfig reads the configuration a lab was started with.
func LoadConfig(dir string) (Config, error) {
	var c Config
	data, err := os.ReadFile(configFile(dir))
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("read %s: %w", configFile(dir), err)
	}
	return c, nil
}
