// Command dualnet-image writes the dualnet container image as a tarball (`docker save`
// format) without a container engine: docker load, ctr images import and kind load
// image-archive take it. The image holds the static dualnet binaries and upstream's portmap
// and bandwidth CNI plugins from `make build`, this Debian machine's nft with exactly the
// loader and libraries it loads, and the CA bundle.
//
// It must not run nft or anything else from the image: it only reads files. Times in the
// image are fixed, so the same inputs give the same digests.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/spf13/cobra"

	"github.com/dualnet/dualnet/internal/atomicfile"
	"github.com/dualnet/dualnet/internal/version"
)

// imageRepository is the image name deploy/dualnet.yaml runs.
const imageRepository = "ghcr.io/dualnet/dualnet"

type options struct {
	out, tag string
	in       inputs
}

func main() {
	if err := newCommand(os.Stdout).Execute(); err != nil {
		fmt.Fprintf(os.Stderr, "dualnet-image: %v\n", err)
		os.Exit(1)
	}
}

func newCommand(stdout io.Writer) *cobra.Command {
	o := &options{
		tag: imageRepository + ":" + version.Version,
		in:  inputs{binDir: "bin", nft: "/usr/sbin/nft", caCerts: caCertsInImage},
	}
	cmd := &cobra.Command{
		Use:   "dualnet-image --out FILE",
		Short: "Write the dualnet container image as a tarball for docker load / ctr images import",
		Long: "dualnet-image writes the image deploy/dualnet.yaml runs: dualnet-controller, dualnet-agent,\n" +
			"dualnet-cni and upstream's portmap and bandwidth CNI plugins in /usr/local/bin, and nft in\n" +
			"/usr/sbin with the loader and libraries it needs, all taken from this machine. No container\n" +
			"engine is needed.",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(*cobra.Command, []string) error {
			return run(o, stdout)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.out, "out", "", "write the image tarball here (required)")
	fs.StringVar(&o.tag, "tag", o.tag, "the image's name and tag; it must be the image deploy/dualnet.yaml runs")
	fs.StringVar(&o.in.binDir, "bin-dir", o.in.binDir, "directory with the static "+fmt.Sprint(binaries)+" (make build)")
	fs.StringVar(&o.in.nft, "nft", o.in.nft, "the nft executable to put in the image, with its shared libraries")
	fs.StringVar(&o.in.caCerts, "ca-certs", o.in.caCerts, "the PEM bundle of trusted CAs to put in the image at "+caCertsInImage)
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func run(o *options, stdout io.Writer) error {
	tag, err := name.NewTag(o.tag, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("--tag %q: %w", o.tag, err)
	}
	img, err := buildImage(o.in)
	if err != nil {
		return err
	}
	if err := writeTarball(o.out, tag, img); err != nil {
		return fmt.Errorf("--out %s: %w", o.out, err)
	}
	return printSummary(stdout, o.out, tag, img)
}

// writeTarball writes img under tag to out, which is never half written.
func writeTarball(out string, tag name.Tag, img v1.Image) error {
	return atomicfile.WriteFrom(out, 0o644, func(w io.Writer) error { return tarball.Write(tag, img, w) })
}

func printSummary(w io.Writer, out string, tag name.Tag, img v1.Image) error {
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	configDigest, err := img.ConfigName()
	if err != nil {
		return err
	}
	manifestDigest, err := img.Digest()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %s, %d layers, %.1f MB\n", out, tag, len(layers), float64(st.Size())/1e6)
	// docker images and crictl images show the config digest as the image ID.
	fmt.Fprintf(w, "image ID (config digest): %s\n", configDigest)
	fmt.Fprintf(w, "manifest digest:          %s\n", manifestDigest)
	return nil
}
