package registry

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/dualnet/dualnet/internal/atomicfile"
)

// Mirrored are the registries the lab's registry stands in for.
var Mirrored = []string{"docker.io", "registry.k8s.io", "ghcr.io"}

// unmirrored is containerd's host namespace for every other registry.
const unmirrored = "_default"

// MirrorTag is tag's name in the lab's registry at host: host/<registry>/<repository>:<tag>,
// the path containerd asks for with WriteMirrors' configuration.
func MirrorTag(host string, tag name.Tag) (name.Tag, error) {
	registry := tag.RegistryStr()
	if registry == name.DefaultRegistry { // go-containerregistry's docker.io
		registry = "docker.io"
	}
	if !slices.Contains(Mirrored, registry) {
		return name.Tag{}, fmt.Errorf("image %s: registry %s is not one the lab's registry stands in for (%v)", tag, registry, Mirrored)
	}
	mirrored, err := name.NewTag(host+"/"+registry+"/"+tag.RepositoryStr()+":"+tag.TagStr(), name.StrictValidation, name.Insecure)
	if err != nil {
		return name.Tag{}, fmt.Errorf("image %s in the registry at %s: %w", tag, host, err)
	}
	return mirrored, nil
}

// WriteMirrors writes containerd's registry host configuration into certsDir (the CRI
// plugin's registry config_path): a hosts.toml for each of Mirrored that sends every pull
// of its images to the lab's registry at host (host:port, plain HTTP), and one for every
// other registry (_default) that sends its pulls there too, where they find nothing. So no
// pull ever leaves the machine.
func WriteMirrors(certsDir, host string) error {
	if _, _, err := net.SplitHostPort(host); err != nil {
		return fmt.Errorf("registry host %q: want host:port, like 10.0.0.1:5000 or [fd00::1]:5000: %w", host, err)
	}
	for _, ns := range append(slices.Clone(Mirrored), unmirrored) {
		dir := filepath.Join(certsDir, ns)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := atomicfile.Write(filepath.Join(dir, "hosts.toml"), hostsTOML(ns, host), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// hostsTOML is the configuration of containerd's host namespace ns. The registry is the
// server, not a [host] mirror: containerd tries a server after its hosts, and there is no
// server but it. The path holds the namespace, as MirrorTag does, so registries with the same
// repository names keep apart; override_path stops containerd from adding another /v2.
func hostsTOML(ns, host string) []byte {
	what := "Pulls from " + ns + " go to the lab's registry, and nowhere else."
	if ns == unmirrored {
		what = "Pulls from any other registry go to the lab's registry, which has none of its images."
	}
	return fmt.Appendf(nil, `# Written by dualnet's lab. %s
server = %q
override_path = true
capabilities = ["pull", "resolve"]
`, what, "http://"+host+"/v2/"+ns)
}
