package images

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/dualnet/dualnet/internal/image"
)

// DefaultCacheDir is where Lab keeps the layers it built, for every later lab up.
const DefaultCacheDir = "/var/cache/dualnet/images"

// Sources are the files of the lab's images that this machine's packages do not hold.
type Sources struct {
	// Pause is the static dualnet-pause binary (make build: bin/dualnet-pause).
	Pause string
	// Agnhost is a static agnhost binary (k8s.io/kubernetes/test/images/agnhost).
	Agnhost string
	// CoreDNS is a static coredns binary, and CoreDNSTag its image tag (e.g. v1.12.1).
	CoreDNS, CoreDNSTag string
	// KubeProxy is a static kube-proxy binary, and KubeProxyTag its version (e.g. v1.37.2).
	KubeProxy, KubeProxyTag string
	// DualnetTar is the image tarball make image writes (bin/dualnet-image.tar).
	DualnetTar string
	// CacheDir keeps the built layers; "" is DefaultCacheDir.
	CacheDir string
	// Progress, when set, gets one line per image built.
	Progress func(line string)
}

// Image is one image of the lab, with every name pods may pull it by.
type Image struct {
	Tags  []name.Tag
	Image v1.Image
}

// Lab builds the lab's images (see the package doc) from the host's packages and src,
// reusing the layers cached in src.CacheDir.
func Lab(ctx context.Context, src Sources) ([]Image, error) {
	machine, err := image.Machine()
	if err != nil {
		return nil, err
	}
	if err := src.check(machine); err != nil {
		return nil, err
	}
	cacheDir := src.CacheDir
	if cacheDir == "" {
		cacheDir = DefaultCacheDir
	}
	b := &builder{cache: image.Cache{Dir: filepath.Join(cacheDir, "layers")}, machine: machine}
	builds := []func() (Image, error){
		func() (Image, error) { return b.pause(src.Pause) },
		b.nginx,
		b.busybox,
		b.busyboxE2E,
		b.nonRoot,
		func() (Image, error) { return b.agnhost(src.Agnhost, src.CoreDNS) },
		b.conntrackTools,
		func() (Image, error) { return b.glibcDNSTesting(src.CoreDNS) },
		func() (Image, error) { return b.coreDNS(src.CoreDNS, src.CoreDNSTag) },
		func() (Image, error) { return b.kubeProxy(src.KubeProxy, src.KubeProxyTag) },
		func() (Image, error) { return dualnet(src.DualnetTar) },
	}
	var images []Image
	for _, build := range builds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		img, err := build()
		if err != nil {
			return nil, err
		}
		if src.Progress != nil {
			size, err := Size(img.Image)
			if err != nil {
				return nil, err
			}
			src.Progress(fmt.Sprintf("image %s: %.1f MB, %.2fs", img.Tags[0], float64(size)/1e6, time.Since(start).Seconds()))
		}
		images = append(images, img)
	}
	return images, nil
}

// check says which field of src is missing or unusable, and how to make it.
func (src Sources) check(machine elf.Machine) error {
	for _, bin := range []struct{ field, path, how string }{
		{"Pause", src.Pause, "make build builds bin/dualnet-pause"},
		{"Agnhost", src.Agnhost, "make kube-bins builds it"},
		{"CoreDNS", src.CoreDNS, "the static coredns binary"},
		{"KubeProxy", src.KubeProxy, "make kube-bins builds it"},
	} {
		if bin.path == "" {
			return fmt.Errorf("images.Sources.%s is empty: give the static binary (%s)", bin.field, bin.how)
		}
		if err := image.CheckStatic(bin.path, machine); err != nil {
			return fmt.Errorf("images.Sources.%s %s: %w", bin.field, bin.path, err)
		}
	}
	if _, err := name.NewTag(CoreDNSRepository+":"+src.CoreDNSTag, name.StrictValidation); err != nil || src.CoreDNSTag == "" {
		return fmt.Errorf("images.Sources.CoreDNSTag %q: want the image tag of the CoreDNS binary, like v1.12.1", src.CoreDNSTag)
	}
	if _, err := name.NewTag(KubeProxyRepository+":"+src.KubeProxyTag, name.StrictValidation); err != nil || src.KubeProxyTag == "" {
		return fmt.Errorf("images.Sources.KubeProxyTag %q: want the version of the kube-proxy binary, like v1.37.2", src.KubeProxyTag)
	}
	if src.DualnetTar == "" {
		return fmt.Errorf("images.Sources.DualnetTar is empty: give the tarball make image writes (bin/dualnet-image.tar)")
	}
	if _, err := os.Stat(src.DualnetTar); err != nil {
		return fmt.Errorf("images.Sources.DualnetTar: %w (make image writes it)", err)
	}
	return nil
}

// builder makes the images' layers through one cache.
type builder struct {
	cache   image.Cache
	machine elf.Machine
	// built are the layers that several images share, by name (shared).
	built map[string]mutate.Addendum
}

// shared is the layer named key, built by build the first time it is asked for: the images
// that have it share one blob, and its inputs are read once.
func (b *builder) shared(key string, build func() (mutate.Addendum, error)) (mutate.Addendum, error) {
	if layer, ok := b.built[key]; ok {
		return layer, nil
	}
	layer, err := build()
	if err != nil {
		return mutate.Addendum{}, err
	}
	if b.built == nil {
		b.built = map[string]mutate.Addendum{}
	}
	b.built[key] = layer
	return layer, nil
}

// layer is l as a cached layer with its history.
func (b *builder) layer(l *image.Layer, createdBy string) (mutate.Addendum, error) {
	layer, err := b.cache.Layer(l)
	if err != nil {
		return mutate.Addendum{}, fmt.Errorf("layer %s: %w", createdBy, err)
	}
	return mutate.Addendum{Layer: layer, History: image.History("dualnet lab: " + createdBy)}, nil
}

// fileLayer is a layer of one program: the host file bin, root-owned 0755, at the image
// path to; field names where bin came from, for the error.
func (b *builder) fileLayer(to, bin, field string) (mutate.Addendum, error) {
	l := image.NewLayer()
	if err := l.File(to, bin, 0o755); err != nil {
		return mutate.Addendum{}, fmt.Errorf("%s: %w", field, err)
	}
	return b.layer(l, to)
}

// tags parses refs, which this package made: an error is a bug.
func tags(refs ...string) []name.Tag {
	var tags []name.Tag
	for _, ref := range refs {
		tag, err := name.NewTag(ref, name.StrictValidation)
		if err != nil {
			panic(err)
		}
		tags = append(tags, tag)
	}
	return tags
}

// Size is what the image's blobs take: config and compressed layers.
func Size(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	size := m.Config.Size
	for _, l := range m.Layers {
		size += l.Size
	}
	return size, nil
}
