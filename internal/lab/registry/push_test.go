package registry_test

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/dualnet/dualnet/internal/lab/images"
	"github.com/dualnet/dualnet/internal/lab/images/imagestest"
	"github.com/dualnet/dualnet/internal/lab/registry"
)

// serve runs a registry on dir on a loopback port of this test binary's namespace and returns
// its host:port, and stop, which ends it (the test's end does too).
func serve(t *testing.T, dir string) (host string, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- registry.Serve(ctx, l, dir) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return l.Addr().String(), stop
}

// direct reaches the test's registries from this namespace, never through a proxy.
var direct = &http.Transport{Proxy: nil}

// programs are the files each image runs, which must be pulled as mode 0755.
var programs = map[string]string{
	images.Pause:   "pause",
	images.Nginx:   "usr/sbin/nginx",
	images.Busybox: "bin/busybox",
	images.Agnhost: "agnhost",
	images.CoreDNSRepository + ":" + imagestest.CoreDNSTag:     "coredns",
	images.KubeProxyRepository + ":" + imagestest.KubeProxyTag: "usr/local/bin/kube-proxy",
	imagestest.DualnetTag: "usr/local/bin/dualnet-agent",
}

// mode is the mode of the file at path in img's flattened file system, -1 if missing.
func mode(t *testing.T, img v1.Image, path string) int64 {
	t.Helper()
	flat := mutate.Extract(img)
	defer flat.Close()
	tr := tar.NewReader(flat)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return -1
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name == path && hdr.Typeflag == tar.TypeReg {
			return hdr.Mode
		}
	}
}

// Every image, pushed under each of its names, is pulled back whole: same manifest digest,
// same entrypoint and command, its program mode 0755. A second push sends no blob, and neither
// does a push to a new registry on the same directory, whose blobs outlive it.
func TestPushThenPullBackEveryImage(t *testing.T) {
	imgs, _, _ := imagestest.Lab(t)
	dir := filepath.Join(t.TempDir(), "registry")
	host, stop := serve(t, dir)

	var progress []string
	opts := registry.PushOptions{Progress: func(line string) { progress = append(progress, line) }}
	push := func(host string) time.Duration {
		t.Helper()
		start := time.Now()
		if err := registry.Push(context.Background(), host, imgs, opts); err != nil {
			t.Fatalf("push to %s: %v", host, err)
		}
		return time.Since(start)
	}
	cold := push(host)
	if len(progress) != len(imgs) {
		t.Errorf("progress lines %q, want one per image", progress)
	}
	blobs := imagestest.FileTimes(t, dir)
	warm := push(host)
	stop()
	host, _ = serve(t, dir)
	restarted := push(host)
	if after := imagestest.FileTimes(t, dir); len(after) != len(blobs) {
		t.Errorf("the registry dir held %d files after the first push, %d after pushing again", len(blobs), len(after))
	} else {
		for path, written := range after {
			if !blobs[path].Equal(written) {
				t.Errorf("pushing again wrote %s", path)
			}
		}
	}

	var total int64
	for _, img := range imgs {
		want, err := img.Image.Digest()
		if err != nil {
			t.Fatal(err)
		}
		wantCfg, err := img.Image.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		size, err := images.Size(img.Image)
		if err != nil {
			t.Fatal(err)
		}
		total += size
		for _, tag := range img.Tags {
			ref, err := registry.MirrorTag(host, tag)
			if err != nil {
				t.Fatal(err)
			}
			pulled, err := remote.Image(ref, remote.WithTransport(direct))
			if err != nil {
				t.Errorf("pull %s: %v", ref, err)
				continue
			}
			got, err := pulled.Digest()
			if err != nil || got != want {
				t.Errorf("pulled %s: manifest %s (%v), pushed %s", ref, got, err, want)
			}
			cfg, err := pulled.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(cfg.Config.Entrypoint, " ") != strings.Join(wantCfg.Config.Entrypoint, " ") ||
				strings.Join(cfg.Config.Cmd, " ") != strings.Join(wantCfg.Config.Cmd, " ") {
				t.Errorf("pulled %s: entrypoint %q cmd %q, pushed %q %q", ref, cfg.Config.Entrypoint, cfg.Config.Cmd, wantCfg.Config.Entrypoint, wantCfg.Config.Cmd)
			}
			if program, ok := programs[tag.String()]; ok {
				if m := mode(t, pulled, program); m != 0o755 {
					t.Errorf("pulled %s: /%s has mode %#o, want 0755", ref, program, m)
				}
			}
		}
	}
	t.Logf("%s", strings.Join(progress, "\n"))
	t.Logf("%d images, %.1f MB of blobs: pushed to an empty registry in %s, again in %s, to a restarted one in %s",
		len(imgs), float64(total)/1e6, cold.Round(time.Millisecond), warm.Round(time.Millisecond), restarted.Round(time.Millisecond))
}

// containerd, configured by WriteMirrors' hosts.toml, asks for
// <server>/<repository>/manifests/<tag>?ns=<registry>: the registry answers those paths with
// the pushed manifest, and a registry's image not pushed is not found.
func TestRegistryAnswersThePathsContainerdAsksFor(t *testing.T) {
	imgs, _, _ := imagestest.Lab(t)
	host, _ := serve(t, t.TempDir())
	if err := registry.Push(context.Background(), host, imgs, registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	digest := func(ref string) string {
		for _, img := range imgs {
			for _, tag := range img.Tags {
				if tag.String() == ref {
					d, err := img.Image.Digest()
					if err != nil {
						t.Fatal(err)
					}
					return d.String()
				}
			}
		}
		t.Fatalf("no image %s", ref)
		return ""
	}
	client := &http.Client{Transport: direct}
	for _, c := range []struct {
		path   string
		status int
		digest string
	}{
		{"/v2/docker.io/library/nginx/manifests/latest?ns=docker.io", http.StatusOK, digest(images.Nginx)},
		{"/v2/registry.k8s.io/pause/manifests/3.10.2?ns=registry.k8s.io", http.StatusOK, digest(images.Pause)},
		{"/v2/registry.k8s.io/e2e-test-images/agnhost/manifests/2.66.1?ns=registry.k8s.io", http.StatusOK, digest(images.Agnhost)},
		{"/v2/ghcr.io/dualnet/dualnet/manifests/imagestest?ns=ghcr.io", http.StatusOK, digest(imagestest.DualnetTag)},
		{"/v2/_default/library/nginx/manifests/latest?ns=quay.io", http.StatusNotFound, ""},
	} {
		req, err := http.NewRequest(http.MethodHead, "http://"+host+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Docker-Content-Digest"); resp.StatusCode != c.status || got != c.digest {
			t.Errorf("HEAD %s: %s, digest %q; want %d, %q", c.path, resp.Status, got, c.status, c.digest)
		}
	}
}
