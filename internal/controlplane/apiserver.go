package controlplane

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/dualnet/dualnet/internal/netspec"
)

// serviceAccountIssuer is the issuer of service account tokens, as in a kubeadm cluster.
const serviceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// startAPIServer runs kube-apiserver on etcd, waits until /readyz passes and the "default"
// namespace exists (tests create objects there at once), then writes the admin kubeconfig.
func (cp *ControlPlane) startAPIServer(ctx context.Context, path string) (*process, error) {
	o := cp.opts
	port, err := freePort(o.BindAddress)
	if err != nil {
		return nil, err
	}
	cp.serverURL = "https://" + netip.AddrPortFrom(o.dialAddress(), port).String()

	args := []string{
		"--etcd-servers=" + cp.etcdURL,
		"--bind-address=" + o.BindAddress.String(),
		fmt.Sprintf("--secure-port=%d", port),
		"--service-cluster-ip-range=" + netspec.JoinCIDRs(o.ServiceCIDRs),
		"--client-ca-file=" + cp.path(caCertFile),
		"--tls-cert-file=" + cp.path(servingCertFile),
		"--tls-private-key-file=" + cp.path(servingKeyFile),
		"--service-account-issuer=" + serviceAccountIssuer,
		"--service-account-key-file=" + cp.path(saPublicKeyFile),
		"--service-account-signing-key-file=" + cp.path(saSigningKeyFile),
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--cert-dir=" + cp.path("apiserver-certs"),
		"--profiling=false",
		// To a kubelet (exec, logs, port-forward) with a certificate of this CA, at the node's
		// InternalIP and checking the kubelet's certificate against the same CA: never
		// through a name lookup on the machine's resolver (the default prefers Hostname).
		"--kubelet-client-certificate=" + cp.path(kubeletClientCertFile),
		"--kubelet-client-key=" + cp.path(kubeletClientKeyFile),
		"--kubelet-certificate-authority=" + cp.path(caCertFile),
		"--kubelet-preferred-address-types=InternalIP",
	}
	if addr, ok := o.advertiseAddress(); ok {
		args = append(args, "--advertise-address="+addr.String())
	} else {
		// The API refuses loopback endpoints for the "kubernetes" Service, so on loopback the
		// reconciler would only log errors. The advertise address must still be of the
		// primary service family, or kube-apiserver refuses to start.
		advertise := netip.MustParseAddr("127.0.0.1")
		if o.ServiceCIDRs[0].Addr().Is6() {
			advertise = netip.IPv6Loopback()
		}
		args = append(args, "--advertise-address="+advertise.String(), "--endpoint-reconciler-type=none")
	}
	args = append(args, o.APIServerFlags...)

	p, err := startProcess(cp.ns(), "kube-apiserver", path, args, cp.path("kube-apiserver.log"))
	if err != nil {
		return nil, err
	}
	client, err := rest.HTTPClientFor(cp.RestConfig())
	if err != nil {
		return p, fmt.Errorf("admin client for kube-apiserver: %w", err)
	}
	for _, check := range []struct{ what, path string }{
		{"ready", "/readyz"},
		{"serving the default namespace", "/api/v1/namespaces/default"},
	} {
		err := waitReady(ctx, p, check.what, func(ctx context.Context) error {
			return getOK(ctx, client, cp.serverURL+check.path)
		})
		if err != nil {
			return p, err
		}
	}
	cp.kubeconfig = cp.path(adminKubeconfig)
	return p, WriteKubeconfig(cp.kubeconfig, cp.RestConfig())
}

// getOK succeeds when url answers 200.
func getOK(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
