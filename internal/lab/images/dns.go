package images

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/dualnet/dualnet/internal/image"
)

const (
	// GlibcDNSTesting is the suite's glibc resolver image: its DNS specs run the same dig
	// loops in it as in agnhost, to cover glibc's resolver beside musl's. Upstream it is
	// Debian with dnsutils and a coredns binary.
	GlibcDNSTesting = "registry.k8s.io/e2e-test-images/glibc-dns-testing:2.1.1"

	// hostDig is Debian's dig (bind9-dnsutils).
	hostDig = "/usr/bin/dig"
)

// digLayer is dig with its loader and libraries, shared by the images that have it.
func (b *builder) digLayer() (mutate.Addendum, error) {
	return b.hostProgramLayer(hostDig, "bind9-dnsutils")
}

// hostProgramLayer is one of this machine's programs, at the same path, with its loader and
// libraries: built once and shared by the images that have it. pkg is the Debian package
// an error names.
func (b *builder) hostProgramLayer(path, pkg string) (mutate.Addendum, error) {
	return b.hostProgramLayerAt(path, path, pkg)
}

// hostProgramLayerAt is hostProgramLayer with the program at the image path to.
func (b *builder) hostProgramLayerAt(to, from, pkg string) (mutate.Addendum, error) {
	return b.shared(to+" from "+from, func() (mutate.Addendum, error) {
		l := image.NewLayer()
		if _, err := l.Executable(to, from, b.machine); err != nil {
			return mutate.Addendum{}, fmt.Errorf("%w (Debian: apt-get install %s; scripts/install-prereqs.sh)", err, pkg)
		}
		what := to
		if to != from {
			what = from + " as " + to
		}
		return b.layer(l, what+" with its loader and libraries")
	})
}

// glibcDNSTesting is GlibcDNSTesting: the shell layers (glibc's dash and bash), dig and
// /coredns, with no entrypoint.
func (b *builder) glibcDNSTesting(coreDNS string) (Image, error) {
	layers, err := b.shellLayers()
	if err != nil {
		return Image{}, err
	}
	dig, err := b.digLayer()
	if err != nil {
		return Image{}, err
	}
	coreDNSLayer, err := b.fileLayer("/coredns", coreDNS, "images.Sources.CoreDNS")
	if err != nil {
		return Image{}, err
	}
	img, err := image.Build(v1.Config{Env: []string{"PATH=" + shellPATH}}, append(layers, dig, coreDNSLayer)...)
	return Image{Tags: tags(GlibcDNSTesting), Image: img}, err
}
