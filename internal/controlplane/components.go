package controlplane

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/dualnet/dualnet/internal/netspec"
)

// component describes how to run kube-controller-manager or kube-scheduler against this API
// server: its own identity (the bootstrap RBAC roles know both users) and its own flags.
type component struct {
	name  string
	user  string
	flags []string
}

// startControllerManager runs kube-controller-manager with node CIDR allocation and cloud
// routes off (dualnet-controller does both) and every default controller on.
func (cp *ControlPlane) startControllerManager(ctx context.Context, path string) (*process, error) {
	o := cp.opts
	return cp.startComponent(ctx, path, component{
		name: "kube-controller-manager",
		user: "system:kube-controller-manager",
		flags: append([]string{
			"--allocate-node-cidrs=false",
			"--configure-cloud-routes=false",
			"--cluster-cidr=" + netspec.JoinCIDRs(o.ClusterCIDRs),
			"--service-cluster-ip-range=" + netspec.JoinCIDRs(o.ServiceCIDRs),
			"--controllers=*",
			"--root-ca-file=" + cp.path(caCertFile),
			"--service-account-private-key-file=" + cp.path(saSigningKeyFile),
			"--use-service-account-credentials=true",
		}, o.ControllerManagerFlags...),
	})
}

func (cp *ControlPlane) startScheduler(ctx context.Context, path string) (*process, error) {
	return cp.startComponent(ctx, path, component{
		name:  "kube-scheduler",
		user:  "system:kube-scheduler",
		flags: cp.opts.SchedulerFlags,
	})
}

// startComponent gives the component a kubeconfig and a serving certificate from the control
// plane's CA, runs it on a free loopback port and waits until its /healthz passes.
func (cp *ControlPlane) startComponent(ctx context.Context, path string, c component) (*process, error) {
	loopback := netip.MustParseAddr("127.0.0.1")
	port, err := freePort(loopback)
	if err != nil {
		return nil, err
	}
	cfg, err := cp.ClientConfig(c.user)
	if err != nil {
		return nil, err
	}
	kubeconfig := cp.path(c.name + ".kubeconfig")
	if err := WriteKubeconfig(kubeconfig, cfg); err != nil {
		return nil, err
	}
	serving, err := cp.pki.servingPair([]string{"localhost"}, []netip.Addr{loopback})
	if err != nil {
		return nil, err
	}
	certFile, keyFile := cp.path("pki/"+c.name+".crt"), cp.path("pki/"+c.name+".key")
	if err := writeFiles(map[string][]byte{certFile: serving.certPEM, keyFile: serving.keyPEM}); err != nil {
		return nil, fmt.Errorf("write %s serving certificate: %w", c.name, err)
	}
	args := append([]string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=" + loopback.String(),
		fmt.Sprintf("--secure-port=%d", port),
		"--tls-cert-file=" + certFile,
		"--tls-private-key-file=" + keyFile,
		// One instance per etcd: there is nobody to elect against, and skipping the lease
		// makes the component start working at once.
		"--leader-elect=false",
	}, c.flags...)
	p, err := startProcess(cp.ns(), c.name, path, args, cp.path(c.name+".log"))
	if err != nil {
		return nil, err
	}
	client := cp.healthClient()
	defer client.CloseIdleConnections()
	url := "https://" + netip.AddrPortFrom(loopback, port).String() + "/healthz"
	return p, waitReady(ctx, p, "healthy", func(ctx context.Context) error {
		return getOK(ctx, client, url)
	})
}

// healthClient trusts only the control plane's CA and presents no credential: /healthz is
// always allowed.
func (cp *ControlPlane) healthClient() *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(cp.pki.cert)
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DialContext:     cp.ns().DialContext,
	}}
}
