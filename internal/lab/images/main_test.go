package images_test

import (
	"testing"

	"github.com/dualnet/dualnet/internal/lab/images"
	"github.com/dualnet/dualnet/internal/lab/images/imagestest"
)

// The servers the tests start from the images (nginx, agnhost) listen only in the test
// binary's own network namespace.
func TestMain(m *testing.M) { imagestest.Main(m) }

func labImages(t *testing.T) ([]images.Image, images.Sources) {
	t.Helper()
	imgs, src, _ := imagestest.Lab(t)
	return imgs, src
}

func byTag(t *testing.T, imgs []images.Image, ref string) images.Image {
	t.Helper()
	return imagestest.ByTag(t, imgs, ref)
}
