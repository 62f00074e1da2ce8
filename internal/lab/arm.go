package lab

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/dualnet/dualnet/internal/armemu"
	"github.com/dualnet/dualnet/internal/netns"
)

// The lab's Azure: one subscription, resource group and route table, as AKS makes them for a
// kubenet cluster (MC_<group>_<cluster>_<region> holds the node resources and the route table).
const (
	armSubscription  = "00000000-0000-0000-0000-000000000000"
	armResourceGroup = "MC_dualnet-lab_dualnet_westeurope"
	armLocation      = "westeurope"
)

// armConfigMap is the ConfigMap the lab's dualnet overlay (addons/dualnet) points
// dualnet-controller's --routes=azure flags at.
const armConfigMap = "dualnet-lab-arm"

// arm is the lab's local ARM endpoint (dualnet-armemu): dualnet-controller writes the route
// table there through the Azure SDK, and armemu mirrors the table into the vnet namespace, as
// Azure's fabric applies a subnet's route table. It runs on the control plane's machine and
// listens on its first address on the virtual network, where the controller's pods, on the
// nodes' network, reach it as they would reach Azure Resource Manager. Its port is fixed at
// the start so that a restarted armemu keeps the URL the controller was given.
type arm struct {
	url, listen, netns, certFile, urlFile, stateFile, table, vnet string
	cfg                                                           Config
}

func newARM(st *State, cfg Config, topo Topology) (*arm, error) {
	dir := filepath.Join(st.Dir, "armemu")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cp := topo.Names.ControlPlane()
	addr := topo.Addressing.ControlPlane()[0].Addr()
	port, err := freePortIn(cp, addr)
	if err != nil {
		return nil, err
	}
	listen := netip.AddrPortFrom(addr, port).String()
	a := &arm{
		listen:    listen,
		url:       "https://" + listen,
		netns:     cp,
		certFile:  filepath.Join(dir, "armemu.pem"),
		urlFile:   filepath.Join(dir, "url"),
		stateFile: filepath.Join(dir, "state.json"),
		table:     cfg.Name + "-routetable",
		vnet:      netns.Path(topo.Names.Vnet()),
		cfg:       cfg,
	}
	// armemu's certificate, for its address, made here so that the ConfigMap can carry it
	// before armemu runs; armemu serves it (--cert-file keeps a certificate it finds).
	certPEM, keyPEM, err := armemu.GenerateCertificate([]string{addr.String()})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(a.certFile+".key", keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(a.certFile, certPEM, 0o644); err != nil {
		return nil, err
	}
	return a, st.setEndpoint("arm", a.url)
}

func (a *arm) component(path string) component {
	return component{
		Name: "dualnet-armemu",
		Path: path,
		Args: []string{
			"--listen=" + a.listen,
			"--cert-file=" + a.certFile,
			"--url-file=" + a.urlFile,
			// The table outlives an armemu restart, as an Azure route table would.
			"--state-file=" + a.stateFile,
			"--subscription=" + armSubscription,
			"--resource-group=" + armResourceGroup,
			"--route-table=" + a.table,
			"--location=" + armLocation,
			fmt.Sprintf("--route-limit=%d", a.cfg.Spec.MaxRoutes),
			"--apply-netns=" + a.vnet,
			"--pod-cidrs=" + joinCIDRs(a.cfg.Spec.PodCIDRs),
		},
		Netns: a.netns,
		// Written once it listens.
		ReadyFile: a.urlFile,
	}
}

// configMap is the ConfigMap dualnet-lab-arm: what dualnet-controller's --routes=azure flags
// need (addons/dualnet/controller-azure.yaml), and the certificate to trust (ca.crt).
func (a *arm) configMap() ([]byte, error) {
	certPEM, err := os.ReadFile(a.certFile)
	if err != nil {
		return nil, err
	}
	return yaml.Marshal(corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: armConfigMap, Namespace: metav1.NamespaceSystem,
			Labels: map[string]string{"app.kubernetes.io/part-of": "dualnet-lab"}},
		Data: map[string]string{
			"endpoint":       a.url,
			"subscriptionID": armSubscription,
			"resourceGroup":  armResourceGroup,
			"routeTable":     a.table,
			"ca.crt":         string(certPEM),
		},
	})
}

// freePortIn asks the kernel for a TCP port free on addr in the named namespace.
func freePortIn(name string, addr netip.Addr) (uint16, error) {
	var port uint16
	err := netns.Do(name, func() error {
		l, err := net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
		if err != nil {
			return err
		}
		defer l.Close()
		port = uint16(l.Addr().(*net.TCPAddr).Port)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("find a free port for armemu on %s in %s: %w", addr, name, err)
	}
	return port, nil
}
