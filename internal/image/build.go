package image

import (
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// Build is the image of layers, bottom first, with config, for linux and this GOARCH, created
// at Epoch.
func Build(config v1.Config, layers ...mutate.Addendum) (v1.Image, error) {
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Created:      v1.Time{Time: Epoch},
		RootFS:       v1.RootFS{Type: "layers"},
		Config:       config,
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, layers...)
}

// History is a layer's history entry, at Epoch: createdBy says what the layer holds.
func History(createdBy string) v1.History {
	return v1.History{Created: v1.Time{Time: Epoch}, CreatedBy: createdBy}
}
