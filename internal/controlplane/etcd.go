package controlplane

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"

	"github.com/dualnet/dualnet/internal/dataplane/nodens"
)

// startEtcd runs a single-member etcd on loopback and waits until it answers /health.
func (cp *ControlPlane) startEtcd(ctx context.Context, path string) (*process, error) {
	loopback := netip.MustParseAddr("127.0.0.1")
	clientPort, err := freePort(loopback)
	if err != nil {
		return nil, err
	}
	peerPort, err := freePort(loopback)
	if err != nil {
		return nil, err
	}
	clientURL := "http://" + netip.AddrPortFrom(loopback, clientPort).String()
	peerURL := "http://" + netip.AddrPortFrom(loopback, peerPort).String()
	args := []string{
		"--name=dualnet",
		"--data-dir=" + cp.path("etcd"),
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=dualnet=" + peerURL,
		"--initial-cluster-state=new",
		// The data lives in a temporary directory and dies with the control plane, so
		// durability buys nothing and fsync costs seconds on a busy disk.
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	}
	args = append(args, cp.opts.EtcdFlags...)
	p, err := startProcess(cp.ns(), "etcd", path, args, cp.path("etcd.log"))
	if err != nil {
		return nil, err
	}
	cp.etcdURL = clientURL
	return p, waitReady(ctx, p, "healthy", func(ctx context.Context) error {
		return etcdHealthy(ctx, cp.ns(), clientURL)
	})
}

func etcdHealthy(ctx context.Context, netns nodens.Namespace, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health", nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{DialContext: netns.DialContext}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"health":"true"`) {
		return fmt.Errorf("GET %s/health: %s %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
