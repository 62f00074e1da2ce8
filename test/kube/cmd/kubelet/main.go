// Command kubelet is Kubernetes' kubelet, built from k8s.io/kubernetes at the version that
// test/kube/go.mod pins, for dualnet's lab nodes. It registers what upstream's main does, and
// points cAdvisor at the node's own containerd (CONTAINERD_ADDRESS).
//
// Since Kubernetes 1.37 the kubelet neither accepts cAdvisor's --containerd flag nor passes its
// own runtime endpoint to cAdvisor, whose containerd handler then dials the default
// /run/containerd/containerd.sock. A lab machine runs one containerd per node, none of them
// there, so without this the node's container stats would come from no containerd or from
// another node's.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	cadvisorcontainerd "github.com/google/cadvisor/lib/container/containerd"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format, as upstream
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics, as upstream
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric, as upstream
	"k8s.io/kubernetes/cmd/kubelet/app"
)

// containerdAddressEnv names containerd's socket, as for ctr.
const containerdAddressEnv = "CONTAINERD_ADDRESS"

func main() {
	if address, ok := os.LookupEnv(containerdAddressEnv); ok {
		path, err := containerdSocket(address)
		if err != nil {
			fmt.Fprintf(os.Stderr, "kubelet: %s: %v\n", containerdAddressEnv, err)
			os.Exit(1)
		}
		*cadvisorcontainerd.ArgContainerdEndpoint = path
	}
	os.Exit(cli.Run(app.NewKubeletCommand(context.Background())))
}

// containerdSocket is the socket path in address, which may be written as the kubelet's
// containerRuntimeEndpoint is (unix:///run/...) or as ctr's (/run/...): cAdvisor dials a path.
func containerdSocket(address string) (string, error) {
	path := strings.TrimPrefix(address, "unix://")
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("%q is not an absolute socket path (like /run/containerd/containerd.sock or unix:///run/containerd/containerd.sock)", address)
	}
	return path, nil
}
