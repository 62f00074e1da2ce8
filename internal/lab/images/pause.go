package images

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dualnet/dualnet/internal/image"
)

// Pause is the sandbox image every node's containerd pins and starts each pod with.
const Pause = "registry.k8s.io/pause:3.10.2"

// pause is Pause as upstream builds it (build/pause/Dockerfile: /pause, user 65535:65535) from
// our own dualnet-pause.
func (b *builder) pause(bin string) (Image, error) {
	layer, err := b.fileLayer("/pause", bin, "images.Sources.Pause")
	if err != nil {
		return Image{}, err
	}
	img, err := image.Build(v1.Config{Entrypoint: []string{"/pause"}, User: "65535:65535"}, layer)
	return Image{Tags: tags(Pause), Image: img}, err
}
