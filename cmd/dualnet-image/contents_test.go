package main

import (
	"archive/tar"
	"crypto/x509"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dualnet/dualnet/internal/image"
	"github.com/dualnet/dualnet/internal/image/imagetest"
)

// layerEntries are the tar headers of each layer, by name.
func layerEntries(t *testing.T, img v1.Image) []map[string]*tar.Header {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var all []map[string]*tar.Header
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		entries := map[string]*tar.Header{}
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("layer %d: %v", i, err)
			}
			entries[hdr.Name] = hdr
		}
		rc.Close()
		all = append(all, entries)
	}
	return all
}

// The layers hold nft with exactly its loader and libraries and /tmp, then the CA bundle,
// then the dualnet binaries: regular files, root-owned, with their modes, at a fixed time.
func TestImageLayersHoldRootOwnedFilesWithTheirModes(t *testing.T) {
	_, tarPath := builtImage(t)
	layers := layerEntries(t, readImage(t, tarPath))
	if len(layers) != 3 {
		t.Fatalf("%d layers, want 3 (nft, CA bundle, binaries)", len(layers))
	}
	libs, err := image.RuntimeFiles("/usr/sbin/nft")
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]int64{{"tmp/": 0o1777, "usr/sbin/nft": 0o755}, {"etc/ssl/certs/ca-certificates.crt": 0o644}, {}}
	for _, lib := range libs {
		st, err := os.Stat(lib)
		if err != nil {
			t.Fatal(err)
		}
		want[0][strings.TrimPrefix(lib, "/")] = int64(st.Mode().Perm())
	}
	for _, name := range binaries {
		want[2]["usr/local/bin/"+name] = 0o755
	}
	for i, entries := range layers {
		for name, hdr := range entries {
			if hdr.Uid != 0 || hdr.Gid != 0 || !hdr.ModTime.Equal(image.Epoch) {
				t.Errorf("layer %d: %s: uid %d gid %d time %s, want root's at %s", i, name, hdr.Uid, hdr.Gid, hdr.ModTime, image.Epoch)
			}
			mode, ok := want[i][name]
			switch {
			case ok && name != "tmp/" && hdr.Typeflag != tar.TypeReg:
				t.Errorf("layer %d: %s is of tar type %q, want a regular file", i, name, hdr.Typeflag)
			case ok && hdr.Mode != mode:
				t.Errorf("layer %d: %s has mode %#o, want %#o", i, name, hdr.Mode, mode)
			case !ok && (hdr.Typeflag != tar.TypeDir || hdr.Mode != 0o755):
				t.Errorf("layer %d: %s (type %q, mode %#o) is not a file the image needs", i, name, hdr.Typeflag, hdr.Mode)
			}
		}
		for name := range want[i] {
			if entries[name] == nil {
				t.Errorf("layer %d has no %s", i, name)
			}
		}
	}
}

// Go finds the CA bundle in the unpacked image, and it holds certificates.
func TestImageCABundleParses(t *testing.T) {
	_, tarPath := builtImage(t)
	root := imagetest.RootFS(t, readImage(t, tarPath))
	pem, err := os.ReadFile(filepath.Join(root, caCertsInImage))
	if err != nil {
		t.Fatal(err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		t.Errorf("%s in the image has no PEM certificate", caCertsInImage)
	}
}

// The config runs nothing by itself (the manifest gives the command), sets no user (the
// agent is root; the controller's securityContext makes it 65532), and finds nft on PATH.
func TestImageConfigHasPATHAndNoEntrypointOrUser(t *testing.T) {
	_, tarPath := builtImage(t)
	cfg, err := readImage(t, tarPath).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Config
	if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", cfg.OS, cfg.Architecture, runtime.GOARCH)
	}
	if !slices.Equal(c.Env, []string{"PATH=" + imagePATH}) {
		t.Errorf("Env %q, want PATH=%s", c.Env, imagePATH)
	}
	if len(c.Entrypoint) != 0 || len(c.Cmd) != 0 || c.User != "" {
		t.Errorf("Entrypoint %q, Cmd %q, User %q: want none", c.Entrypoint, c.Cmd, c.User)
	}
	if !cfg.Created.Equal(image.Epoch) {
		t.Errorf("created %s, want %s", cfg.Created, image.Epoch)
	}
}
