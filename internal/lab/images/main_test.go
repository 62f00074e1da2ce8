package images_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/lab/images"
	"github.com/dualnet/dualnet/internal/lab/images/imagestest"
)

// The whole test binary runs in a network namespace of its own: the servers the tests start
// from the images (nginx, agnhost) listen only there, and the kernel removes it all when the
// binary ends.
func TestMain(m *testing.M) {
	if err := cnitest.RunInNodeNamespace(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	imagestest.RemoveLab()
	os.Exit(code)
}

func labImages(t *testing.T) ([]images.Image, images.Sources) {
	t.Helper()
	imgs, src, _ := imagestest.Lab(t)
	return imgs, src
}

func byTag(t *testing.T, imgs []images.Image, ref string) images.Image {
	t.Helper()
	return imagestest.ByTag(t, imgs, ref)
}
