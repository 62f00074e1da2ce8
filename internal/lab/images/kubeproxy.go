package images

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dualnet/dualnet/internal/image"
)

// KubeProxyRepository is where Kubernetes pulls kube-proxy from; the tag is the caller's
// (the version of the binary).
const KubeProxyRepository = "registry.k8s.io/kube-proxy"

// hostNft is Debian's nft, which kube-proxy's nftables mode runs (knftables execs it).
const hostNft = "/usr/sbin/nft"

// kubeProxy is kube-proxy's image as the lab runs it (--proxy-mode=nftables): the static
// binary at /usr/local/bin/kube-proxy, where upstream's image has it and the DaemonSet's
// command names it, over a layer of nft with exactly the loader and libraries it loads, as
// make image gathers it for dualnet's image (cmd/dualnet-image), and /tmp. No iptables: the
// nftables mode does not need it.
func (b *builder) kubeProxy(bin, tag string) (Image, error) {
	nft := image.NewLayer()
	if err := nft.Dir("/tmp", 0o1777); err != nil {
		return Image{}, err
	}
	if _, err := nft.Executable("/usr/sbin/nft", hostNft, b.machine); err != nil {
		return Image{}, fmt.Errorf("%w (Debian: apt-get install nftables)", err)
	}
	nftLayer, err := b.layer(nft, "/usr/sbin/nft with its loader and libraries, /tmp")
	if err != nil {
		return Image{}, err
	}
	proxy, err := b.fileLayer("/usr/local/bin/kube-proxy", bin, "images.Sources.KubeProxy")
	if err != nil {
		return Image{}, err
	}
	img, err := image.Build(v1.Config{
		Env:        []string{"PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Entrypoint: []string{"/usr/local/bin/kube-proxy"},
	}, nftLayer, proxy)
	return Image{Tags: tags(KubeProxyRepository + ":" + tag), Image: img}, err
}
