package images

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dualnet/dualnet/internal/image"
)

// CoreDNSRepository is where Kubernetes pulls CoreDNS from; the tag is the caller's.
const CoreDNSRepository = "registry.k8s.io/coredns/coredns"

// coreDNS is CoreDNS's image as upstream makes it (its Dockerfile): /coredns as the
// entrypoint, run as the non-root user 65532 (the cluster's Deployment gives it
// NET_BIND_SERVICE for port 53).
func (b *builder) coreDNS(bin, tag string) (Image, error) {
	layer, err := b.fileLayer("/coredns", bin, "images.Sources.CoreDNS")
	if err != nil {
		return Image{}, err
	}
	img, err := image.Build(v1.Config{
		Entrypoint:   []string{"/coredns"},
		User:         "65532:65532",
		ExposedPorts: map[string]struct{}{"53/tcp": {}, "53/udp": {}},
	}, layer)
	return Image{Tags: tags(CoreDNSRepository + ":" + tag), Image: img}, err
}
