package controlplane

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
)

// Files in the control plane's directory.
const (
	pkiDir           = "pki"
	caCertFile       = "pki/ca.crt"
	servingCertFile  = "pki/apiserver.crt"
	servingKeyFile   = "pki/apiserver.key"
	saSigningKeyFile = "pki/sa.key"
	saPublicKeyFile  = "pki/sa.pub"
	adminKubeconfig  = "admin.kubeconfig"
	// The API server's credential towards kubelets (exec, logs, port-forward, node proxy).
	kubeletClientCertFile = "pki/apiserver-kubelet-client.crt"
	kubeletClientKeyFile  = "pki/apiserver-kubelet-client.key"
)

// The names every in-cluster client uses for the API server.
var apiServerDNSNames = []string{
	"localhost",
	"kubernetes",
	"kubernetes.default",
	"kubernetes.default.svc",
	"kubernetes.default.svc.cluster.local",
}

func (cp *ControlPlane) path(name string) string { return filepath.Join(cp.dir, name) }

// writePKI creates the CA, the API server's serving pair, the service account keys and the
// admin credential (a client certificate in system:masters).
func (cp *ControlPlane) writePKI() error {
	if err := os.Mkdir(cp.path(pkiDir), 0o700); err != nil {
		return fmt.Errorf("create pki directory: %w", err)
	}
	ca, err := newAuthority()
	if err != nil {
		return err
	}
	cp.pki = ca
	dns, ips := cp.servingNames()
	serving, err := ca.servingPair(dns, ips)
	if err != nil {
		return err
	}
	saKey, saPub, err := serviceAccountKeys()
	if err != nil {
		return err
	}
	if cp.admin, err = ca.clientPair("dualnet-admin", []string{"system:masters"}); err != nil {
		return err
	}
	// As kubeadm's apiserver-kubelet-client, in a group every kubelet's webhook authorizer
	// lets through.
	kubeletClient, err := ca.clientPair("kube-apiserver-kubelet-client", []string{"system:masters"})
	if err != nil {
		return err
	}
	return writeFiles(map[string][]byte{
		cp.path(kubeletClientCertFile): kubeletClient.certPEM,
		cp.path(kubeletClientKeyFile):  kubeletClient.keyPEM,
		cp.path(caCertFile):            ca.certPEM,
		cp.path(servingCertFile):       serving.certPEM,
		cp.path(servingKeyFile):        serving.keyPEM,
		cp.path(saSigningKeyFile):      saKey,
		cp.path(saPublicKeyFile):       saPub,
	})
}

// servingNames lists every name and address a client may use to reach the API server:
// loopback, the bind and advertise addresses, the "kubernetes" Service's cluster IPs (the first
// address of each service CIDR) and the extra SANs from the options.
func (cp *ControlPlane) servingNames() ([]string, []netip.Addr) {
	dns := append([]string(nil), apiServerDNSNames...)
	ips := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}
	if !cp.opts.BindAddress.IsUnspecified() {
		ips = append(ips, cp.opts.BindAddress)
	}
	if a, ok := cp.opts.advertiseAddress(); ok {
		ips = append(ips, a)
	}
	for _, p := range cp.opts.ServiceCIDRs {
		ips = append(ips, p.Addr().Next())
	}
	for _, san := range cp.opts.ExtraSANs {
		if ip, err := netip.ParseAddr(san); err == nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, san)
		}
	}
	return dns, ips
}

// ServingPair issues a serving certificate from the control plane's CA for the names and
// addresses given (a kubelet's, so that the API server verifies it), PEM-encoded.
func (cp *ControlPlane) ServingPair(dnsNames []string, ips []netip.Addr) (certPEM, keyPEM []byte, err error) {
	pair, err := cp.pki.servingPair(dnsNames, ips)
	return pair.certPEM, pair.keyPEM, err
}
