package images

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/dualnet/dualnet/internal/image"
)

const (
	// Agnhost is the image Kubernetes' e2e network suite runs its servers and clients in.
	Agnhost = "registry.k8s.io/e2e-test-images/agnhost:2.66.1"
	// AgnhostPrev is the suite's "previous agnhost": its StatefulSet, Deployment and kubectl
	// specs roll from it to Agnhost or to BusyboxE2E. They need a second name that runs the
	// same way, not older code, so it is the same build.
	AgnhostPrev = "registry.k8s.io/e2e-test-images/agnhost:2.55"

	// hostIperf is Debian's iperf 2 (iperf), which upstream's agnhost has as iperf.
	hostIperf = "/usr/bin/iperf"
)

// agnhost is Agnhost: the shell layers (busybox's applets, with grep, sleep and seq as
// upstream's alpine has them, then dash, bash, curl and OpenBSD nc, which upstream adds), dig,
// iperf 2, /coredns and the agnhost binary, which runs `pause` unless the pod says otherwise (upstream's
// ENTRYPOINT ["/agnhost"], CMD ["pause"]).
func (b *builder) agnhost(bin, coreDNS string) (Image, error) {
	layers, err := b.shellLayers()
	if err != nil {
		return Image{}, err
	}
	agnhostLayer, err := b.agnhostLayer(bin)
	if err != nil {
		return Image{}, err
	}
	// dig, as upstream's bind-tools: the suite's DNS specs query through it in agnhost pods.
	digLayer, err := b.digLayer()
	if err != nil {
		return Image{}, err
	}
	tlsLayer, err := b.porterTLSLayer()
	if err != nil {
		return Image{}, err
	}
	// iperf 2 and /coredns, as upstream's agnhost has them: the suite's iperf2 spec runs
	// `iperf` in agnhost pods, its resolv.conf spec a CoreDNS server as `/coredns`.
	iperfLayer, err := b.hostProgramLayer(hostIperf, "iperf")
	if err != nil {
		return Image{}, err
	}
	coreDNSLayer, err := b.fileLayer("/coredns", coreDNS, "images.Sources.CoreDNS")
	if err != nil {
		return Image{}, err
	}
	img, err := image.Build(v1.Config{
		Env:        []string{"PATH=" + shellPATH},
		Entrypoint: []string{"/agnhost"},
		Cmd:        []string{"pause"},
	}, append(layers, digLayer, iperfLayer, tlsLayer, coreDNSLayer, agnhostLayer)...)
	return Image{Tags: tags(Agnhost, AgnhostPrev), Image: img}, err
}

// agnhostLayer is /agnhost and, as upstream's image has it, /agnhost-2: a second name for the
// same program, which the suite's spec of a pod overriding its image's command runs.
func (b *builder) agnhostLayer(bin string) (mutate.Addendum, error) {
	l := image.NewLayer()
	if err := l.File("/agnhost", bin, 0o755); err != nil {
		return mutate.Addendum{}, fmt.Errorf("images.Sources.Agnhost: %w", err)
	}
	if err := l.Symlink("/agnhost-2", "agnhost"); err != nil {
		return mutate.Addendum{}, err
	}
	return b.layer(l, "/agnhost")
}
