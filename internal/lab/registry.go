package lab

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/lab/images"
	"github.com/dualnet/dualnet/internal/lab/registry"
	"github.com/dualnet/dualnet/internal/netns"
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
	if err := netns.Do(topo.Names.Registry(), func() error {
		var err error
		l, err = net.Listen("tcp", addr.String())
		return err
	}); err != nil {
		return "", fmt.Errorf("the lab's registry: listen on %s in %s: %w", addr, topo.Names.Registry(), err)
	}
	go func() { _ = registry.Serve(ctx, l, filepath.Join(cfg.ImageCacheDir, "registry")) }()
	imgs, err := images.Lab(ctx, images.Sources{
		Pause:        filepath.Join(cfg.BinDir, "dualnet-pause"),
		Agnhost:      filepath.Join(cfg.KubeBinDir, "agnhost"),
		CoreDNS:      filepath.Join(cfg.NodeBinDir, "coredns"),
		CoreDNSTag:   corednsTag,
		KubeProxy:    filepath.Join(cfg.KubeBinDir, "kube-proxy"),
		KubeProxyTag: controlplane.KubeVersion,
		DualnetTar:   filepath.Join(cfg.BinDir, "dualnet-image.tar"),
		CacheDir:     cfg.ImageCacheDir,
	})
	if err != nil {
		return "", fmt.Errorf("build the lab's images: %w", err)
	}
	transport := &http.Transport{DialContext: netns.At(topo.Names.Registry()).DialContext}
	defer transport.CloseIdleConnections()
	if err := registry.Push(ctx, addr.String(), imgs, registry.PushOptions{Transport: transport}); err != nil {
		return "", fmt.Errorf("fill the lab's registry: %w", err)
	}
	n := len(imgs)
	certs := filepath.Join(st.Dir, "registry-hosts")
	if err := registry.WriteMirrors(certs, addr.String()); err != nil {
		return "", err
	}
	progress.printf("  registry at http://%s with %d images (%.1fs)", addr, n, time.Since(started).Seconds())
	return certs, nil
}
