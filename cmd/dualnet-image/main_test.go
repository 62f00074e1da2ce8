package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
)

const testTag = imageRepository + ":imagetest"

// built is the image every test reads: the dualnet binaries freshly built static (as make
// build makes them) and one image tarball of them, made once for the package.
var built struct {
	once                 sync.Once
	dir, binDir, tarball string
	summary              string
	err                  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// builtImage returns the directory of the static binaries and the image tarball made of them.
func builtImage(t *testing.T) (binDir, tarball string) {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "dualnet-imagetest-")
		if built.err != nil {
			return
		}
		built.binDir = filepath.Join(built.dir, "bin")
		for _, name := range binaries {
			if built.err = cnitest.Build(filepath.Join(built.binDir, name), goPackage(name)); built.err != nil {
				return
			}
		}
		built.tarball = filepath.Join(built.dir, "image.tar")
		built.summary, built.err = writeImage(built.binDir, built.tarball)
	})
	if built.err != nil {
		t.Fatalf("build the image: %v", built.err)
	}
	return built.binDir, built.tarball
}

// goPackage is the main package make build builds the binary name from.
func goPackage(name string) string {
	if name == "portmap" || name == "bandwidth" {
		return "github.com/containernetworking/plugins/plugins/meta/" + name
	}
	return "github.com/dualnet/dualnet/cmd/" + name
}

// writeImage runs dualnet-image as `make image` does, on binDir, into out.
func writeImage(binDir, out string) (summary string, err error) {
	var stdout bytes.Buffer
	cmd := newCommand(&stdout)
	cmd.SetArgs([]string{"--out", out, "--tag", testTag, "--bin-dir", binDir})
	if err := cmd.Execute(); err != nil {
		return "", fmt.Errorf("dualnet-image --out %s --bin-dir %s: %w", out, binDir, err)
	}
	return stdout.String(), nil
}

// readImage reads the image tagged testTag back from the tarball, as docker load does.
func readImage(t *testing.T, path string) v1.Image {
	t.Helper()
	tag, err := name.NewTag(testTag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatalf("read %s as %s: %v", path, testTag, err)
	}
	return img
}
