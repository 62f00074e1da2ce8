//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binDir holds dualnet's binaries, built once for the whole run from this clone.
var binDir string

// kubectlPath is the kubectl the walkthrough runs.
var kubectlPath = "kubectl"

// agnhostPath is the e2e suite's agnhost binary (test/kube builds it), which vnet-host runs
// as a server of the virtual network.
var agnhostPath string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "test/e2e builds a lab of network namespaces: run it as root (make test does)")
		return 1
	}
	// kubectl of the control plane's version when test/kube built one, else the machine's.
	kubeDir := os.Getenv("DUALNET_KUBE_BIN")
	if kubeDir == "" {
		kubeDir = "/var/cache/dualnet/kube/v1.37.2"
	}
	if _, err := os.Stat(filepath.Join(kubeDir, "kubectl")); err == nil {
		kubectlPath = filepath.Join(kubeDir, "kubectl")
	}
	agnhostPath = filepath.Join(kubeDir, "agnhost")
	for _, tool := range []string{kubectlPath, agnhostPath, "curl", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "test/e2e needs %s in PATH: install it (kubectl: https://kubernetes.io/docs/tasks/tools/; curl, iproute2: apt-get install curl iproute2)\n", tool)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "dualnet-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// As make build: upstream's portmap and bandwidth beside dualnet-cni, which the agents
	// install from there.
	build := exec.Command("go", "build", "-o", dir+"/", "./cmd/...",
		"github.com/containernetworking/plugins/plugins/meta/portmap", "github.com/containernetworking/plugins/plugins/meta/bandwidth")
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // static, as make build: the image holds them
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build dualnet's binaries: %v\n", err)
		return 1
	}
	// As make image: the lab's registry serves dualnet's own image too.
	image := exec.Command(filepath.Join(dir, "dualnet-image"), "--bin-dir", dir, "--out", filepath.Join(dir, "dualnet-image.tar"), "--tag", manifestImage())
	image.Stdout, image.Stderr = os.Stderr, os.Stderr
	if err := image.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build dualnet's image: %v\n", err)
		return 1
	}
	binDir = dir
	return m.Run()
}

// manifestImage is the image deploy/dualnet.yaml runs, the tag make image writes.
func manifestImage() string {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "dualnet.yaml"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if img, ok := strings.CutPrefix(strings.TrimSpace(line), "image: "); ok {
			return strings.TrimSpace(img)
		}
	}
	return ""
}
