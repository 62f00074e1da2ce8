package images

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dualnet/dualnet/internal/image"
)

// Agnhost is the image Kubernetes' e2e network suite runs its servers and clients in.
const Agnhost = "registry.k8s.io/e2e-test-images/agnhost:2.66.1"

// agnhostTools are the programs of upstream's agnhost image (alpine, with curl and
// netcat-openbsd added) that busybox does not give: the suite runs `curl -g` and OpenBSD's
// `nc -u -w 1` in it (busybox's nc has no -u), and grep, sleep and seq, which the busybox
// layer has, as alpine's busybox does.
var agnhostTools = []struct{ to, from, pkg string }{
	// Debian's busybox-static is built to run its own applets before anything on PATH, so
	// its sh would run busybox's nc whatever /bin/nc is: the shell is dash.
	{"/bin/sh", "/bin/dash", "dash"},
	{"/usr/bin/curl", "/usr/bin/curl", "curl"},
	// Over busybox's /bin/nc: nc is OpenBSD's, by name or by path.
	{"/bin/nc", "/bin/nc.openbsd", "netcat-openbsd"},
}

// agnhost is Agnhost: the busybox layer, dash, curl and nc with the libraries they load, and
// the agnhost binary, which runs `pause` unless the pod says otherwise (upstream's
// ENTRYPOINT ["/agnhost"], CMD ["pause"]).
func (b *builder) agnhost(bin string) (Image, error) {
	base, err := b.busyboxLayer()
	if err != nil {
		return Image{}, err
	}
	tools := image.NewLayer()
	for _, tool := range agnhostTools {
		if _, err := tools.Executable(tool.to, tool.from, b.machine); err != nil {
			return Image{}, fmt.Errorf("%w (Debian: apt-get install %s; scripts/install-prereqs.sh)", err, tool.pkg)
		}
	}
	// curl resolves names through glibc, which reads this; busybox's tools do not.
	if err := tools.Content("/etc/nsswitch.conf", []byte(nsswitchConf), 0o644); err != nil {
		return Image{}, err
	}
	toolsLayer, err := b.layer(tools, "dash as /bin/sh, curl and OpenBSD nc with their loader and libraries")
	if err != nil {
		return Image{}, err
	}
	agnhostLayer, err := b.fileLayer("/agnhost", bin, "images.Sources.Agnhost")
	if err != nil {
		return Image{}, err
	}
	img, err := image.Build(v1.Config{
		Env:        []string{"PATH=" + shellPATH},
		Entrypoint: []string{"/agnhost"},
		Cmd:        []string{"pause"},
	}, base, toolsLayer, agnhostLayer)
	return Image{Tags: tags(Agnhost), Image: img}, err
}

// nsswitchConf has glibc's programs (curl, nginx) look up users and hosts in /etc and hosts
// in DNS, as Debian's default does.
const nsswitchConf = "passwd: files\ngroup: files\nhosts: files dns\n"
