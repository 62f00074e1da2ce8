package registry_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/dualnet/dualnet/internal/lab/registry"
	"github.com/dualnet/dualnet/internal/testutil/golden"
)

// containerd finds a registry's hosts.toml in <config_path>/<registry>/: each mirrored
// registry's, and _default's for every other, points at the lab's registry as the only server.
func TestWriteMirrorsSendsEveryRegistryToTheLabRegistryOnly(t *testing.T) {
	dir := t.TempDir()
	if err := registry.WriteMirrors(dir, "10.1.0.2:5000"); err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, ns := range []string{"docker.io", "registry.k8s.io", "ghcr.io", "_default"} {
		b, err := os.ReadFile(filepath.Join(dir, ns, "hosts.toml"))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, "== "+ns+"/hosts.toml\n"+string(b))
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 4 {
		t.Errorf("%s holds %d entries (%v), want the 4 host namespaces", dir, len(entries), err)
	}
	golden.Compare(t, "hosts.golden", strings.Join(all, ""))

	if err := registry.WriteMirrors(t.TempDir(), "[fd00:10:1::2]:5000"); err != nil {
		t.Errorf("an IPv6 host:port: %v", err)
	}
	if err := registry.WriteMirrors(t.TempDir(), "10.1.0.2"); err == nil || !strings.Contains(err.Error(), "host:port") {
		t.Errorf("a host without a port: %v, want an error asking for host:port", err)
	}
}

// An image's name in the lab's registry keeps its registry as the first path element, as the
// hosts.toml files ask for it; a registry the lab does not stand in for is refused.
func TestMirrorTagPutsTheRegistryInThePath(t *testing.T) {
	for _, c := range []struct{ host, ref, want string }{
		{"10.1.0.2:5000", "docker.io/library/nginx:latest", "10.1.0.2:5000/docker.io/library/nginx:latest"},
		{"10.1.0.2:5000", "nginx", "10.1.0.2:5000/docker.io/library/nginx:latest"},
		{"10.1.0.2:5000", "registry.k8s.io/pause:3.10.2", "10.1.0.2:5000/registry.k8s.io/pause:3.10.2"},
		{"[fd00::2]:5000", "ghcr.io/dualnet/dualnet:v1", "[fd00::2]:5000/ghcr.io/dualnet/dualnet:v1"},
	} {
		tag, err := name.NewTag(c.ref)
		if err != nil {
			t.Fatal(err)
		}
		got, err := registry.MirrorTag(c.host, tag)
		if err != nil || got.String() != c.want || got.Scheme() != "http" {
			t.Errorf("MirrorTag(%s, %s) = %s (%s), %v; want %s over http", c.host, c.ref, got, got.Scheme(), err, c.want)
		}
	}
	tag, _ := name.NewTag("quay.io/coreos/etcd:v3")
	if _, err := registry.MirrorTag("10.1.0.2:5000", tag); err == nil || !strings.Contains(err.Error(), "quay.io") {
		t.Errorf("MirrorTag of a quay.io image: %v, want an error naming quay.io", err)
	}
}
