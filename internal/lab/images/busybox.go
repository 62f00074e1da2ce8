package images

import (
	"fmt"
	"os/exec"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/dualnet/dualnet/internal/image"
)

const (
	Busybox = "docker.io/library/busybox:latest"
	// BusyboxE2E is the name Kubernetes' e2e suite pulls busybox by.
	BusyboxE2E = "registry.k8s.io/e2e-test-images/busybox:1.37.0-2"
	// NonRootE2E is the suite's non-root image: busybox as user 1234, as upstream builds it.
	NonRootE2E = "registry.k8s.io/e2e-test-images/nonroot:1.5"

	// hostBusybox is Debian's busybox-static.
	hostBusybox = "/bin/busybox"
	// shellPATH is the PATH of the images with a shell, as the official images set it.
	shellPATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// busybox is Busybox as the official image is made: busybox with a link in /bin for each of
// its applets (sh, sleep, nslookup, wget, cat, ...), running sh.
func (b *builder) busybox() (Image, error) {
	base, err := b.busyboxLayer()
	if err != nil {
		return Image{}, err
	}
	img, err := image.Build(v1.Config{Env: []string{"PATH=" + shellPATH}, Cmd: []string{"sh"}}, base)
	return Image{Tags: tags(Busybox), Image: img}, err
}

// busyboxE2E is BusyboxE2E: Busybox with bash as /bin/sh. The suite's environment specs run
// `sh -c env` and look for variables whose names are no shell identifiers (data-1, 1-data-1),
// which Kubernetes allows since 1.34; upstream's image has busybox 1.37, whose shell passes
// them on, where Debian's busybox 1.35 and dash drop them. bash passes them on.
func (b *builder) busyboxE2E() (Image, error) {
	base, err := b.busyboxLayer()
	if err != nil {
		return Image{}, err
	}
	sh, err := b.hostProgramLayerAt("/bin/sh", "/bin/bash", "bash")
	if err != nil {
		return Image{}, err
	}
	img, err := image.Build(v1.Config{Env: []string{"PATH=" + shellPATH}, Cmd: []string{"sh"}}, base, sh)
	return Image{Tags: tags(BusyboxE2E), Image: img}, err
}

// nonRoot is NonRootE2E: Busybox run as user 1234, which the suite's security-context specs
// check a container runs as.
func (b *builder) nonRoot() (Image, error) {
	base, err := b.busyboxLayer()
	if err != nil {
		return Image{}, err
	}
	img, err := image.Build(v1.Config{Env: []string{"PATH=" + shellPATH}, Cmd: []string{"sh"}, User: "1234"}, base)
	return Image{Tags: tags(NonRootE2E), Image: img}, err
}

// busyboxLayer is the file system of Busybox: busybox and its applet links in /bin, the
// accounts of root and nobody, and the usual top directories. It is built once: the images
// with a shell start with it too (shellLayers), so all share one blob.
func (b *builder) busyboxLayer() (mutate.Addendum, error) {
	return b.shared("busybox", b.newBusyboxLayer)
}

// newBusyboxLayer builds busyboxLayer.
func (b *builder) newBusyboxLayer() (mutate.Addendum, error) {
	if err := image.CheckStatic(hostBusybox, b.machine); err != nil {
		return mutate.Addendum{}, fmt.Errorf("%s: %w (Debian: apt-get install busybox-static; scripts/install-prereqs.sh)", hostBusybox, err)
	}
	// The applets are whatever this busybox was built with; it says so itself.
	out, err := exec.Command(hostBusybox, "--list").Output()
	if err != nil {
		return mutate.Addendum{}, fmt.Errorf("%s --list: %w", hostBusybox, err)
	}
	l := image.NewLayer()
	for _, dir := range []struct {
		path string
		mode int64
	}{{"/bin", 0o755}, {"/etc", 0o755}, {"/home", 0o755}, {"/root", 0o700}, {"/tmp", 0o1777}, {"/usr", 0o755}, {"/var", 0o755}} {
		if err := l.Dir(dir.path, dir.mode); err != nil {
			return mutate.Addendum{}, err
		}
	}
	if err := l.File("/bin/busybox", hostBusybox, 0o755); err != nil {
		return mutate.Addendum{}, err
	}
	applets := strings.Fields(string(out))
	for _, applet := range applets {
		if applet == "busybox" {
			continue
		}
		if err := l.Symlink("/bin/"+applet, "busybox"); err != nil {
			return mutate.Addendum{}, err
		}
	}
	for _, f := range []struct{ path, content string }{
		{"/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"},
		{"/etc/group", "root:x:0:\nnogroup:x:65534:\n"},
	} {
		if err := l.Content(f.path, []byte(f.content), 0o644); err != nil {
			return mutate.Addendum{}, err
		}
	}
	return b.layer(l, fmt.Sprintf("busybox and %d applet links in /bin", len(applets)))
}
