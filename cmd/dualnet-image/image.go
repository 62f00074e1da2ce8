package main

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
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

// goArchMachine is the ELF machine of each GOARCH the image can be built for.
var goArchMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// inputs are the host files the image is made of.
type inputs struct {
	binDir  string // the static dualnet binaries (make build)
	nft     string // this machine's nft
	caCerts string // this machine's CA bundle
}

// buildImage makes the image: a layer with nft and exactly what it loads, one with the CA
// bundle, and one with the dualnet binaries (last, as it changes with every commit).
func buildImage(in inputs) (v1.Image, error) {
	machine, ok := goArchMachine[runtime.GOARCH]
	if !ok {
		return nil, fmt.Errorf("GOARCH %s: no image for it (known: amd64, arm64)", runtime.GOARCH)
	}
	nft, nftFiles, err := nftLayer(in.nft, machine)
	if err != nil {
		return nil, err
	}
	ca := newLayerWriter()
	if err := ca.file(caCertsInImage, in.caCerts, 0o644); err != nil {
		return nil, fmt.Errorf("--ca-certs: %w (Debian: apt-get install ca-certificates)", err)
	}
	caLayer, err := ca.layer()
	if err != nil {
		return nil, err
	}
	bins, err := binariesLayer(in.binDir, machine)
	if err != nil {
		return nil, err
	}

	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Created:      v1.Time{Time: epoch},
		RootFS:       v1.RootFS{Type: "layers"},
		// No entrypoint and no user: the manifest gives each container its command, and
		// the controller's securityContext its non-root user (the agent runs as root).
		Config: v1.Config{Env: []string{"PATH=" + imagePATH}},
	})
	if err != nil {
		return nil, err
	}
	history := func(what string) v1.History {
		return v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "dualnet-image: " + what}
	}
	return mutate.Append(img,
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
	if err := checkELF(nft, machine); err != nil {
		return nil, nil, fmt.Errorf("--nft %s: %w", nft, err)
	}
	files, err = runtimeFiles(nft)
	if err != nil {
		return nil, nil, fmt.Errorf("--nft %s: %w", nft, err)
	}
	l := newLayerWriter()
	if err := l.dir("/tmp", 0o1777); err != nil {
		return nil, nil, err
	}
	if err := l.file(nftInImage, nft, 0o755); err != nil {
		return nil, nil, fmt.Errorf("--nft: %w", err)
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return nil, nil, err
		}
		if err := l.file(f, f, int64(st.Mode().Perm())); err != nil {
			return nil, nil, err
		}
	}
	layer, err = l.layer()
	return layer, files, err
}

// binariesLayer holds the dualnet binaries, root-owned and 0755, in binDirInImage.
func binariesLayer(binDir string, machine elf.Machine) (v1.Layer, error) {
	l := newLayerWriter()
	for _, name := range binaries {
		from := filepath.Join(binDir, name)
		if _, err := os.Stat(from); err != nil {
			return nil, fmt.Errorf("--bin-dir %s: %w (make build makes the binaries)", binDir, err)
		}
		if err := checkStatic(from, machine); err != nil {
			return nil, fmt.Errorf("--bin-dir %s: %s: %w", binDir, name, err)
		}
		if err := l.file(binDirInImage+"/"+name, from, 0o755); err != nil {
			return nil, fmt.Errorf("--bin-dir %s: %w", binDir, err)
		}
	}
	return l.layer()
}

// checkStatic fails unless path is a statically linked executable for machine: the agent
// copies dualnet-cni onto nodes whatever their libc, and the image has no libc for Go.
func checkStatic(path string, machine elf.Machine) error {
	if err := checkELF(path, machine); err != nil {
		return err
	}
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	interp, err := interpreter(f)
	if err != nil {
		return err
	}
	if interp != "" {
		return fmt.Errorf("dynamically linked (loader %s): build it with CGO_ENABLED=0 (make build)", interp)
	}
	return nil
}

// checkELF fails unless path is an ELF executable for machine.
func checkELF(path string, machine elf.Machine) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("not an ELF executable: %w", err)
	}
	defer f.Close()
	if f.Machine != machine {
		return fmt.Errorf("built for %s, not %s (%s)", f.Machine, machine, runtime.GOARCH)
	}
	return nil
}
