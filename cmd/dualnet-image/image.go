package main

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/dualnet/dualnet/internal/image"
)

// binaries are the commands the image holds: dualnet's, and upstream's portmap and bandwidth
// CNI plugins (make build builds them, at go.mod's version). deploy/dualnet.yaml runs them
// from /usr/local/bin; the agent also copies dualnet-cni, portmap and bandwidth from there to
// the node's /opt/cni/bin, portmap for pods' hostPort, bandwidth for their bandwidth
// annotations.
var binaries = []string{"dualnet-controller", "dualnet-agent", "dualnet-cni", "portmap", "bandwidth"}

const (
	binDirInImage = "/usr/local/bin"
	// nftInImage is where Debian puts nft; knftables finds it on PATH.
	nftInImage = "/usr/sbin/nft"
	// caCertsInImage is the first bundle Go's crypto/x509 looks for on Linux: the controller's
	// --routes=azure talks HTTPS to Azure Resource Manager and Entra ID.
	caCertsInImage = "/etc/ssl/certs/ca-certificates.crt"
	imagePATH      = "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// inputs are the host files the image is made of.
type inputs struct {
	binDir  string // the static dualnet binaries (make build)
	nft     string // this machine's nft
	caCerts string // this machine's CA bundle
}

// buildImage makes the image: a layer with nft and exactly what it loads, one with the CA
// bundle, and one with the dualnet binaries (last, as it changes with every commit).
func buildImage(in inputs) (v1.Image, error) {
	machine, err := image.Machine()
	if err != nil {
		return nil, err
	}
	nft, nftFiles, err := nftLayer(in.nft, machine)
	if err != nil {
		return nil, err
	}
	ca := image.NewLayer()
	if err := ca.File(caCertsInImage, in.caCerts, 0o644); err != nil {
		return nil, fmt.Errorf("--ca-certs: %w (Debian: apt-get install ca-certificates)", err)
	}
	caLayer, err := ca.Layer()
	if err != nil {
		return nil, err
	}
	bins, err := binariesLayer(in.binDir, machine)
	if err != nil {
		return nil, err
	}
	history := func(what string) v1.History { return image.History("dualnet-image: " + what) }
	// No entrypoint and no user: the manifest gives each container its command, and the
	// controller's securityContext its non-root user (the agent runs as root).
	return image.Build(v1.Config{Env: []string{"PATH=" + imagePATH}},
		mutate.Addendum{Layer: nft, History: history(fmt.Sprintf("%s, its loader and %d libraries, /tmp", nftInImage, len(nftFiles)-1))},
		mutate.Addendum{Layer: caLayer, History: history(caCertsInImage)},
		mutate.Addendum{Layer: bins, History: history("dualnet binaries in " + binDirInImage)},
	)
}

// nftLayer holds nft at nftInImage and its loader and libraries at the paths the loader
// finds them on this machine, and /tmp; files lists the loader and the libraries.
func nftLayer(nft string, machine elf.Machine) (layer v1.Layer, files []string, err error) {
	if _, err := os.Stat(nft); err != nil {
		return nil, nil, fmt.Errorf("--nft: %w (Debian: apt-get install nftables)", err)
	}
	l := image.NewLayer()
	if err := l.Dir("/tmp", 0o1777); err != nil {
		return nil, nil, err
	}
	if files, err = l.Executable(nftInImage, nft, machine); err != nil {
		return nil, nil, fmt.Errorf("--nft: %w", err)
	}
	layer, err = l.Layer()
	return layer, files, err
}

// binariesLayer holds the dualnet binaries, root-owned and 0755, in binDirInImage.
func binariesLayer(binDir string, machine elf.Machine) (v1.Layer, error) {
	l := image.NewLayer()
	for _, name := range binaries {
		from := filepath.Join(binDir, name)
		if _, err := os.Stat(from); err != nil {
			return nil, fmt.Errorf("--bin-dir %s: %w (make build makes the binaries)", binDir, err)
		}
		// The agent copies dualnet-cni onto nodes whatever their libc, and the image has no
		// libc for Go.
		if err := image.CheckStatic(from, machine); err != nil {
			return nil, fmt.Errorf("--bin-dir %s: %s: %w", binDir, name, err)
		}
		if err := l.File(binDirInImage+"/"+name, from, 0o755); err != nil {
			return nil, fmt.Errorf("--bin-dir %s: %w", binDir, err)
		}
	}
	return l.Layer()
}
