package lab

import (
	"bytes"
	"context"
	_ "embed"
	"net/netip"
	"text/template"
)

//go:embed addons/coredns.yaml
var corednsManifest string

// corednsImage is the CoreDNS image the lab's registry serves, at the version Kubernetes
// v1.37 installs (kubeadm's constants), built by test/node.
const corednsImage = "registry.k8s.io/coredns/coredns:" + corednsTag

const corednsTag = "v1.14.6"

// corednsObjects fills in the CoreDNS manifest: kube-dns at the tenth address of each service
// range, and the names the lab answers outside the cluster.
func corednsObjects(cfg Config, topo Topology) (string, error) {
	var ips []string
	for _, p := range cfg.Spec.ServiceCIDRs {
		ips = append(ips, clusterDNSAddr(p).String())
	}
	policy := "SingleStack"
	if len(ips) > 1 {
		policy = "RequireDualStack"
	}
	type host struct {
		Addr netip.Addr
		Name string
	}
	var hosts []host
	for _, a := range topo.Addressing.VnetHost() {
		hosts = append(hosts, host{a.Addr(), "vnet-host." + labDomain})
	}
	for _, a := range topo.Addressing.Registry() {
		hosts = append(hosts, host{a.Addr(), "registry." + labDomain})
	}
	var b bytes.Buffer
	err := template.Must(template.New("coredns").Parse(corednsManifest)).Execute(&b, map[string]any{
		"Image": corednsImage, "ClusterIPs": ips, "FamilyPolicy": policy, "Hosts": hosts,
	})
	return b.String(), err
}

// labDomain is the DNS domain of the lab's machines outside the cluster.
const labDomain = "lab.internal"

// applyAddons installs the cluster's add-ons with kubectl from manifests, as a cluster's
// installer does: CoreDNS.
func applyAddons(ctx context.Context, cfg Config, topo Topology, kubeconfig string) error {
	manifest, err := corednsObjects(cfg, topo)
	if err != nil {
		return err
	}
	return kubectlApply(ctx, cfg, kubeconfig, "the CoreDNS add-on", []byte(manifest), "-f", "-")
}
