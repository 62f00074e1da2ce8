package lab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"time"
)

// registryPort is where the lab's registry listens on its machine, plain HTTP as a registry
// inside a private network may.
const registryPort = 5000

// startRegistry runs the lab's image registry on its machine of the virtual network, fills it
// with the lab's images (built once and cached) and writes containerd's hosts.toml directory
// that sends every node's pulls of docker.io, registry.k8s.io and ghcr.io there, with no
// fallback to the real hosts: pulls are real pulls, and nothing leaves the machine. It returns
// that directory.
func startRegistry(ctx context.Context, cfg Config, st *State, topo Topology, progress *progressLog) (string, error) {
	started := time.Now()
	addr := netip.AddrPortFrom(topo.Addressing.Registry()[0].Addr(), registryPort)
	var l net.Listener
	if err := InNetns(topo.Names.Registry(), func() error {
		var err error
		l, err = net.Listen("tcp", addr.String())
		return err
	}); err != nil {
		return "", fmt.Errorf("the lab's registry: listen on %s in %s: %w", addr, topo.Names.Registry(), err)
	}
	go func() { _ = serveRegistry(ctx, l, cfg.ImageCacheDir) }()
	n, err := pushLabImages(ctx, cfg, topo.Names.Registry(), addr.String(), progress)
	if err != nil {
		return "", fmt.Errorf("fill the lab's registry: %w", err)
	}
	certs := filepath.Join(st.Dir, "registry-hosts")
	if err := writeRegistryMirrors(certs, addr.String()); err != nil {
		return "", err
	}
	progress.printf("  registry at http://%s with %d images (%.1fs)", addr, n, time.Since(started).Seconds())
	return certs, nil
}
