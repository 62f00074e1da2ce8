package controlplane

import (
	"fmt"
	"os"
	"path/filepath"
)

// KubeVersion is the Kubernetes version of the binaries that test/kube builds.
const KubeVersion = "v1.37.2"

// BinDirEnv names the environment variable that points at the built binaries; the Makefile
// exports it.
const BinDirEnv = "DUALNET_KUBE_BIN"

// BinDir is where the control-plane binaries are: $DUALNET_KUBE_BIN, or the cache that
// `make kube-bins` fills by default.
func BinDir() string {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		return dir
	}
	return filepath.Join("/var/cache/dualnet/kube", KubeVersion)
}

// binary returns the path of an executable in dir, or an error that says how to build it.
func binary(dir, name string) (string, error) {
	path := filepath.Join(dir, name)
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%s not found in %s (%s): run `make kube-bins` to build the Kubernetes %s binaries there", name, dir, BinDirEnv, KubeVersion)
	}
	if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable file: run `make kube-bins` to rebuild it", path)
	}
	return path, nil
}
