package images

import (
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// dualnet is dualnet's own image, as make image wrote it (cmd/dualnet-image), under the one
// tag in the tarball: the one deploy/dualnet.yaml runs.
func dualnet(path string) (Image, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(path) }
	manifest, err := tarball.LoadManifest(opener)
	if err != nil {
		return Image{}, fmt.Errorf("images.Sources.DualnetTar %s: %w (make image writes it)", path, err)
	}
	if len(manifest) != 1 || len(manifest[0].RepoTags) != 1 {
		return Image{}, fmt.Errorf("images.Sources.DualnetTar %s: holds %d images, want one with one tag, as make image writes", path, len(manifest))
	}
	tag, err := name.NewTag(manifest[0].RepoTags[0], name.StrictValidation)
	if err != nil {
		return Image{}, fmt.Errorf("images.Sources.DualnetTar %s: tag %q: %w", path, manifest[0].RepoTags[0], err)
	}
	img, err := tarball.Image(opener, &tag)
	if err != nil {
		return Image{}, fmt.Errorf("images.Sources.DualnetTar %s: %w", path, err)
	}
	return Image{Tags: []name.Tag{tag}, Image: img}, nil
}
