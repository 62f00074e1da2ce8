package images

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dualnet/dualnet/internal/image"
)

const (
	// DistrolessIptables is the name the suite's kube-proxy specs pull their host-network
	// tools by: they run `sleep`, then `conntrack -L ... | grep` through sh in it.
	DistrolessIptables = "registry.k8s.io/build-image/distroless-iptables:v0.9.9"

	// hostConntrack is Debian's conntrack (conntrack-tools).
	hostConntrack = "/usr/sbin/conntrack"
)

// conntrackTools is DistrolessIptables as the suite uses it: the shell layers and conntrack
// with its loader and libraries, no entrypoint.
func (b *builder) conntrackTools() (Image, error) {
	layers, err := b.shellLayers()
	if err != nil {
		return Image{}, err
	}
	tools, err := b.hostProgramLayer(hostConntrack, "conntrack")
	if err != nil {
		return Image{}, err
	}
	img, err := image.Build(v1.Config{Env: []string{"PATH=" + shellPATH}}, append(layers, tools)...)
	return Image{Tags: tags(DistrolessIptables), Image: img}, err
}
