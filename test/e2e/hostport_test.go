//go:build e2e

package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// hostPortPod serves (agnhost netexec) the caller's address on containerPort 80, published
// as hostPort 8080 of the node it is pinned to.
const hostPortPod = `apiVersion: v1
kind: Pod
metadata:
  name: hostport
spec:
  nodeName: %s
  containers:
  - name: clientip
    image: registry.k8s.io/e2e-test-images/agnhost:2.66.1
    args: [netexec, --http-port=80]
    ports:
    - {containerPort: 80, hostPort: 8080}
`

// checkHostPortAtEachNodeAddress: a pod's hostPort answers at its node's InternalIP of each
// family, from vnet-host (a VM on the virtual network), which it sees by its own address
// (portmap's DNAT, no SNAT); once the pod is deleted, the port is closed again. The lab node
// passes the hostPorts to CNI as kubelet and containerd do, and the agent's conflist chains
// portmap after dualnet.
func (l *testLab) checkHostPortAtEachNodeAddress(nodeAddrs map[string][]netip.Addr) {
	t := l.t
	start := time.Now()
	nodes := make([]string, 0, len(nodeAddrs))
	for n := range nodeAddrs {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	node := nodes[len(nodes)-1]
	manifest := filepath.Join(t.TempDir(), "hostport.yaml")
	if err := os.WriteFile(manifest, []byte(fmt.Sprintf(hostPortPod, node)), 0o600); err != nil {
		t.Fatal(err)
	}
	l.kubectl("apply", "-f", manifest)
	l.kubectl("wait", "--for=condition=Ready", "pod", "hostport", "--timeout=25s")
	vm := l.vnetHostAddrs()
	for i, addr := range nodeAddrs[node] {
		url := "http://" + hostPort(addr, 8080) + "/clientip"
		var out string
		eventually(t, 10*time.Second, "vnet-host: curl "+url, func() error {
			var err error
			out, err = l.exec("vnet-host", "curl", "-sS", "-m", "3", url)
			return err
		})
		seen, err := netip.ParseAddrPort(strings.TrimSpace(out))
		if err != nil || seen.Addr().Unmap() != vm[i] {
			t.Errorf("vnet-host -> hostPort %s on %s: the pod saw the caller as %q, want vnet-host's %s", url, node, strings.TrimSpace(out), vm[i])
		}
	}
	l.kubectl("delete", "-f", manifest, "--wait=true", "--grace-period=1")
	for _, addr := range nodeAddrs[node] {
		url := "http://" + hostPort(addr, 8080) + "/clientip"
		if out, err := l.exec("vnet-host", "curl", "-sS", "-m", "2", url); err == nil {
			t.Errorf("vnet-host: %s still answers after the pod is deleted: %s", url, out)
		}
	}
	t.Logf("MEASURED: hostPort check (pod Ready, both families from vnet-host, closed after delete) %.1fs", time.Since(start).Seconds())
}
