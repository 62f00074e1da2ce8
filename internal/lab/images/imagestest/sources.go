// Package imagestest is test support for the lab's images: the Sources a test builds them
// from. Only tests import it.
package imagestest

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/image"
	"github.com/dualnet/dualnet/internal/lab/images"
)

// AgnhostEnv names a variable that points at an agnhost binary; without it the test takes
// the one make kube-bins builds.
const AgnhostEnv = "DUALNET_AGNHOST"

// DualnetTag is the tag of the stand-in for make image's tarball.
const DualnetTag = "ghcr.io/dualnet/dualnet:imagestest"

// CoreDNSTag is the CoreDNS tag tests build with.
const CoreDNSTag = "v1.12.1"

// KubeProxyTag is the kube-proxy tag tests build with.
const KubeProxyTag = "v1.37.2"

// Sources are real sources for images.Lab, made in dir, with dir/cache as its cache:
// dualnet-pause built as make build does, the real agnhost (when missing, the error says how
// to build it), dualnet-pause again standing in for the static coredns and kube-proxy
// binaries (the images hold them as they are), and a small tarball in make image's format for dualnet's image.
func Sources(dir string) (images.Sources, error) {
	pause := filepath.Join(dir, "dualnet-pause")
	if err := cnitest.Build(pause, "github.com/dualnet/dualnet/cmd/dualnet-pause"); err != nil {
		return images.Sources{}, err
	}
	agnhost := os.Getenv(AgnhostEnv)
	if agnhost == "" {
		agnhost = filepath.Join(controlplane.BinDir(), "agnhost")
	}
	if _, err := os.Stat(agnhost); err != nil {
		return images.Sources{}, fmt.Errorf("agnhost: %w: make kube-bins builds it into %s, or set %s to an agnhost binary", err, controlplane.BinDir(), AgnhostEnv)
	}
	tar, err := dualnetTar(dir)
	if err != nil {
		return images.Sources{}, err
	}
	return images.Sources{
		Pause:        pause,
		Agnhost:      agnhost,
		CoreDNS:      pause,
		CoreDNSTag:   CoreDNSTag,
		KubeProxy:    pause,
		KubeProxyTag: KubeProxyTag,
		DualnetTar:   tar,
		CacheDir:     filepath.Join(dir, "cache"),
	}, nil
}

// dualnetTar writes a one-file image under DualnetTag as make image writes its tarball.
func dualnetTar(dir string) (string, error) {
	l := image.NewLayer()
	if err := l.Content("/usr/local/bin/dualnet-agent", []byte("#!/bin/sh\n"), 0o755); err != nil {
		return "", err
	}
	layer, err := l.Layer()
	if err != nil {
		return "", err
	}
	img, err := image.Build(v1.Config{}, mutate.Addendum{Layer: layer})
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "dualnet-image.tar")
	return path, tarball.WriteToFile(path, name.MustParseReference(DualnetTag), img)
}
