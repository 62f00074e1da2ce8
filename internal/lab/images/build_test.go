package images_test

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/dualnet/dualnet/internal/image"
	"github.com/dualnet/dualnet/internal/lab/images"
	"github.com/dualnet/dualnet/internal/lab/images/imagestest"
)

const shellPATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

var (
	coreDNS   = images.CoreDNSRepository + ":" + imagestest.CoreDNSTag
	kubeProxy = images.KubeProxyRepository + ":" + imagestest.KubeProxyTag
)

// Each image has its names and the config of its upstream counterpart: what runs, as whom,
// with which PATH, for linux on this machine's architecture.
func TestLabBuildsEachImageUnderItsNamesWithItsConfig(t *testing.T) {
	imgs, _ := labImages(t)
	want := []struct {
		tags            []string
		entrypoint, cmd []string
		user            string
		env             []string
	}{
		{[]string{images.Pause}, []string{"/pause"}, nil, "65535:65535", nil},
		{[]string{images.Nginx, images.NginxE2E, images.NginxE2ENew}, nil, []string{"nginx", "-g", "daemon off;"}, "", []string{shellPATH}},
		{[]string{images.Busybox}, nil, []string{"sh"}, "", []string{shellPATH}},
		{[]string{images.BusyboxE2E}, nil, []string{"sh"}, "", []string{shellPATH}},
		{[]string{images.NonRootE2E}, nil, []string{"sh"}, "1234", []string{shellPATH}},
		{[]string{images.Agnhost, images.AgnhostPrev}, []string{"/agnhost"}, []string{"pause"}, "", []string{shellPATH}},
		{[]string{images.DistrolessIptables}, nil, nil, "", []string{shellPATH}},
		{[]string{images.GlibcDNSTesting}, nil, nil, "", []string{shellPATH}},
		{[]string{coreDNS}, []string{"/coredns"}, nil, "65532:65532", nil},
		{[]string{kubeProxy}, []string{"/usr/local/bin/kube-proxy"}, nil, "", []string{"PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		{[]string{imagestest.DualnetTag}, nil, nil, "", nil},
	}
	if len(imgs) != len(want) {
		t.Fatalf("%d images, want %d", len(imgs), len(want))
	}
	for i, w := range want {
		var tags []string
		for _, tag := range imgs[i].Tags {
			tags = append(tags, tag.String())
		}
		if !slices.Equal(tags, w.tags) {
			t.Errorf("image %d is named %q, want %q", i, tags, w.tags)
			continue
		}
		cfg, err := imgs[i].Image.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		c := cfg.Config
		if !slices.Equal(c.Entrypoint, w.entrypoint) || !slices.Equal(c.Cmd, w.cmd) || c.User != w.user || !slices.Equal(c.Env, w.env) {
			t.Errorf("%s: entrypoint %q cmd %q user %q env %q, want %q %q %q %q",
				tags[0], c.Entrypoint, c.Cmd, c.User, c.Env, w.entrypoint, w.cmd, w.user, w.env)
		}
		if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH {
			t.Errorf("%s: platform %s/%s, want linux/%s", tags[0], cfg.OS, cfg.Architecture, runtime.GOARCH)
		}
	}
}

// files are the tar headers of the image's flattened file system, by path without the
// leading slash.
func files(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	flat := mutate.Extract(img)
	defer flat.Close()
	headers := map[string]*tar.Header{}
	tr := tar.NewReader(flat)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return headers
		}
		if err != nil {
			t.Fatal(err)
		}
		headers[strings.TrimSuffix(hdr.Name, "/")] = hdr
	}
}

// Every program is a root-owned regular file with mode 0755 (a runtime runs it as any user),
// and a dynamically linked one comes with exactly the loader and libraries it loads here.
func TestLabExecutablesAreRootOwned0755WithTheirLibraries(t *testing.T) {
	imgs, _ := labImages(t)
	for _, c := range []struct {
		ref      string
		programs []string
		dynamic  map[string]string // in the image: on the host
	}{
		{images.Pause, []string{"pause"}, nil},
		{images.Nginx, []string{"usr/sbin/nginx", "bin/busybox", "bin/sh", "bin/bash", "usr/bin/curl"},
			map[string]string{"usr/sbin/nginx": "/usr/sbin/nginx", "bin/sh": "/bin/dash", "bin/bash": "/bin/bash", "usr/bin/curl": "/usr/bin/curl"}},
		{images.Busybox, []string{"bin/busybox"}, nil},
		{images.BusyboxE2E, []string{"bin/busybox", "bin/sh"}, map[string]string{"bin/sh": "/bin/bash"}},
		{images.Agnhost, []string{"agnhost", "bin/busybox", "bin/sh", "bin/bash", "usr/bin/curl", "bin/nc", "usr/bin/dig", "usr/bin/wget", "usr/bin/getent", "usr/bin/iperf", "coredns"},
			map[string]string{"usr/bin/iperf": "/usr/bin/iperf", "bin/sh": "/bin/dash", "bin/bash": "/bin/bash", "usr/bin/curl": "/usr/bin/curl", "bin/nc": "/bin/nc.openbsd", "usr/bin/dig": "/usr/bin/dig", "usr/bin/wget": "/usr/bin/wget", "usr/bin/getent": "/usr/bin/getent"}},
		{images.DistrolessIptables, []string{"usr/sbin/conntrack", "bin/sh", "bin/busybox"}, map[string]string{"usr/sbin/conntrack": "/usr/sbin/conntrack"}},
		{images.GlibcDNSTesting, []string{"usr/bin/dig", "usr/bin/getent", "bin/sh", "coredns"}, map[string]string{"usr/bin/dig": "/usr/bin/dig", "usr/bin/getent": "/usr/bin/getent"}},
		{coreDNS, []string{"coredns"}, nil},
		{kubeProxy, []string{"usr/local/bin/kube-proxy", "usr/sbin/nft"}, map[string]string{"usr/sbin/nft": "/usr/sbin/nft"}},
	} {
		fs := files(t, byTag(t, imgs, c.ref).Image)
		for _, p := range c.programs {
			hdr := fs[p]
			switch {
			case hdr == nil:
				t.Errorf("%s has no /%s", c.ref, p)
			case hdr.Typeflag != tar.TypeReg || hdr.Mode != 0o755 || hdr.Uid != 0 || hdr.Gid != 0:
				t.Errorf("%s: /%s is type %q mode %#o owner %d:%d, want a regular file 0755 of root", c.ref, p, hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid)
			}
		}
		for p, host := range c.dynamic {
			libs, err := image.RuntimeFiles(host)
			if err != nil || len(libs) == 0 {
				t.Fatalf("%s: runtime files %q, %v", host, libs, err)
			}
			for _, lib := range libs {
				st, err := os.Stat(lib)
				if err != nil {
					t.Fatal(err)
				}
				if hdr := fs[strings.TrimPrefix(lib, "/")]; hdr == nil || hdr.Mode != int64(st.Mode().Perm()) {
					t.Errorf("%s: %s (loaded by /%s) missing or not mode %#o: %+v", c.ref, lib, p, st.Mode().Perm(), hdr)
				}
			}
		}
	}
	// What users reach for in a pod; sh is busybox's only in the busybox image.
	applets := []string{"sleep", "nslookup", "wget", "cat", "grep", "seq", "ls", "ps", "env", "hostname"}
	for _, ref := range []string{images.Busybox, images.Nginx, images.Agnhost} {
		fs := files(t, byTag(t, imgs, ref).Image)
		for _, applet := range applets {
			if hdr := fs["bin/"+applet]; hdr == nil || hdr.Typeflag != tar.TypeSymlink || hdr.Linkname != "busybox" {
				t.Errorf("%s: /bin/%s is %+v, want a link to busybox", ref, applet, hdr)
			}
		}
	}
	if hdr := files(t, byTag(t, imgs, images.Busybox).Image)["bin/sh"]; hdr == nil || hdr.Linkname != "busybox" {
		t.Errorf("busybox: /bin/sh is %+v, want a link to busybox", hdr)
	}
	// bash's prompt and line editing on `kubectl exec -it`'s terminal (TERM=xterm).
	for _, ref := range []string{images.Nginx, images.Agnhost} {
		fs := files(t, byTag(t, imgs, ref).Image)
		for _, p := range []string{"etc/bash.bashrc", "lib/terminfo/x/xterm"} {
			if hdr := fs[p]; hdr == nil || hdr.Typeflag != tar.TypeReg {
				t.Errorf("%s: /%s is %+v, want a file", ref, p, hdr)
			}
		}
	}
}

// The images with bash share one shell layer, and it is on the busybox image's one layer:
// the registry stores each once.
func TestLabImagesShareTheBusyboxAndShellLayers(t *testing.T) {
	imgs, _ := labImages(t)
	layers := map[string][]v1.Hash{}
	for _, ref := range []string{images.Busybox, images.Nginx, images.Agnhost} {
		ls, err := byTag(t, imgs, ref).Image.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			d, err := l.Digest()
			if err != nil {
				t.Fatal(err)
			}
			layers[ref] = append(layers[ref], d)
		}
	}
	busybox, nginx, agnhost := layers[images.Busybox], layers[images.Nginx], layers[images.Agnhost]
	if len(busybox) != 1 || len(nginx) < 2 || len(agnhost) < 2 {
		t.Fatalf("layers: busybox %v, nginx %v, agnhost %v", busybox, nginx, agnhost)
	}
	if nginx[0] != busybox[0] || agnhost[0] != busybox[0] || nginx[1] != agnhost[1] {
		t.Errorf("nginx's layers %v and agnhost's %v do not start with busybox's %v and one shell layer", nginx, agnhost, busybox)
	}
}

// digests are the manifest digests of imgs, in order.
func digests(t *testing.T, imgs []images.Image) []string {
	t.Helper()
	var ds []string
	for _, img := range imgs {
		d, err := img.Image.Digest()
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, img.Tags[0].String()+"@"+d.String())
	}
	return ds
}

// A second build reads its layers from the cache, writes nothing and gives the same digests;
// a build into an empty cache gives the same digests too: only the inputs decide them.
func TestLabRebuildsFromItsCacheWithTheSameDigests(t *testing.T) {
	imgs, src, cold := imagestest.Lab(t)
	cached := imagestest.FileTimes(t, src.CacheDir)
	if len(cached) == 0 {
		t.Fatalf("nothing cached in %s", src.CacheDir)
	}

	start := time.Now()
	warm, err := images.Lab(context.Background(), src)
	warmTime := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := digests(t, warm), digests(t, imgs); !slices.Equal(got, want) {
		t.Errorf("rebuilt from the cache:\n%s\nfirst build:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	after := imagestest.FileTimes(t, src.CacheDir)
	for path, written := range after {
		if !cached[path].Equal(written) {
			t.Errorf("the rebuild wrote %s", path)
		}
	}

	fresh := src
	fresh.CacheDir = t.TempDir()
	start = time.Now()
	again, err := images.Lab(context.Background(), fresh)
	coldAgain := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := digests(t, again), digests(t, imgs); !slices.Equal(got, want) {
		t.Errorf("built into an empty cache:\n%s\nfirst build:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	var total int64
	for _, img := range imgs {
		size, err := images.Size(img.Image)
		if err != nil {
			t.Fatal(err)
		}
		total += size
		t.Logf("%-55s %6.1f MB", img.Tags[0], float64(size)/1e6)
	}
	t.Logf("all %d images: %.1f MB; built cold in %s and %s, warm (cached) in %s",
		len(imgs), float64(total)/1e6, cold.Round(time.Millisecond), coldAgain.Round(time.Millisecond), warmTime.Round(time.Millisecond))
}

// A missing or unusable source is refused with the field that names it and what to do.
func TestLabRefusesBadSourcesNamingTheField(t *testing.T) {
	_, src := labImages(t)
	for _, c := range []struct {
		what  string
		spoil func(*images.Sources)
		want  []string
	}{
		{"no pause", func(s *images.Sources) { s.Pause = "" }, []string{"images.Sources.Pause", "make build"}},
		{"a dynamic agnhost", func(s *images.Sources) { s.Agnhost = "/usr/sbin/nginx" }, []string{"images.Sources.Agnhost", "dynamically linked"}},
		{"a missing coredns", func(s *images.Sources) { s.CoreDNS = "/nonexistent/coredns" }, []string{"images.Sources.CoreDNS", "/nonexistent/coredns"}},
		{"a bad CoreDNS tag", func(s *images.Sources) { s.CoreDNSTag = "v1 2" }, []string{"images.Sources.CoreDNSTag", `"v1 2"`}},
		{"no CoreDNS tag", func(s *images.Sources) { s.CoreDNSTag = "" }, []string{"images.Sources.CoreDNSTag"}},
		{"a dynamic kube-proxy", func(s *images.Sources) { s.KubeProxy = "/usr/sbin/nginx" }, []string{"images.Sources.KubeProxy", "dynamically linked"}},
		{"no kube-proxy tag", func(s *images.Sources) { s.KubeProxyTag = "" }, []string{"images.Sources.KubeProxyTag"}},
		{"a missing tarball", func(s *images.Sources) { s.DualnetTar = "/nonexistent.tar" }, []string{"images.Sources.DualnetTar", "make image"}},
	} {
		t.Run(c.what, func(t *testing.T) {
			bad := src
			bad.CacheDir = t.TempDir()
			c.spoil(&bad)
			_, err := images.Lab(context.Background(), bad)
			for _, want := range c.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Lab with %s: %v, want an error with %q", c.what, err, want)
				}
			}
		})
	}
}
