package lab

import "os"

// NodeBinDirEnv overrides NodeBinDir's default, as DUALNET_KUBE_BIN does for the Kubernetes
// binaries (make exports both).
const NodeBinDirEnv = "DUALNET_NODE_BIN"

// defaultNodeBinDir is where test/node/build.sh puts the node's binaries, keyed by their
// versions.
const defaultNodeBinDir = "/var/cache/dualnet/node/containerd-v2.4.2_runc-v1.5.3_coredns-v1.14.6_crictl-v1.37.0"

// DefaultImageCacheDir keeps the lab's images and its registry's blobs across labs.
const DefaultImageCacheDir = "/var/cache/dualnet/images"

// NodeBinDir is where the lab finds containerd, runc, CoreDNS and crictl.
func NodeBinDir() string {
	if dir := os.Getenv(NodeBinDirEnv); dir != "" {
		return dir
	}
	return defaultNodeBinDir
}
