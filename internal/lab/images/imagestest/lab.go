package imagestest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/lab/images"
)

// built is the lab's images, built once per test binary.
var built struct {
	once   sync.Once
	dir    string
	src    images.Sources
	images []images.Image
	took   time.Duration
	err    error
}

// Lab is the lab's images, built once per test binary from Sources into an empty cache, with
// those sources and how long that build took. Main removes it after the tests.
func Lab(t testing.TB) ([]images.Image, images.Sources, time.Duration) {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "dualnet-labimages-"); built.err != nil {
			return
		}
		if built.src, built.err = Sources(built.dir); built.err != nil {
			return
		}
		start := time.Now()
		built.images, built.err = images.Lab(context.Background(), built.src)
		built.took = time.Since(start)
	})
	if built.err != nil {
		t.Fatalf("build the lab's images: %v", built.err)
	}
	return built.images, built.src, built.took
}

// ByTag is the image of imgs named ref.
func ByTag(t testing.TB, imgs []images.Image, ref string) images.Image {
	t.Helper()
	for _, img := range imgs {
		for _, tag := range img.Tags {
			if tag.String() == ref {
				return img
			}
		}
	}
	t.Fatalf("no image is named %s", ref)
	return images.Image{}
}

// FileTimes are the files under dir and when each was last written: a test compares them to
// see that nothing was written again.
func FileTimes(t testing.TB, dir string) map[string]time.Time {
	t.Helper()
	found := map[string]time.Time{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			found[path] = info.ModTime()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// Main runs a test binary's tests in a network namespace of its own (the servers they start
// listen only there, and the kernel removes it when the binary ends), removes what Lab made,
// and exits with the tests' status. TestMain calls it.
func Main(m *testing.M) {
	if err := cnitest.RunInNodeNamespace(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}
