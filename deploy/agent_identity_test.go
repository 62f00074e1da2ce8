package deploy

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/controlplane"
	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
	"github.com/dualnet/dualnet/internal/dataplane/dptest"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// The agent binary, with the DaemonSet's args and NODE_NAME, authenticated as its service
// account, sets up a node (a network namespace this test makes) and posts its events, and is
// never refused. Only the paths change: the node's namespace, and temporary directories
// instead of the host's /etc/cni/net.d, /opt/cni/bin and /var/lib/dualnet and of the
// ConfigMap's mount (its spec file, written where the agent can read it).
func TestAgentDoesItsWorkAsItsServiceAccount(t *testing.T) {
	applyManifest(t)
	for _, a := range agentNeeds {
		if err := waitForAccess(context.Background(), "dualnet-agent", a, true); err != nil {
			t.Fatalf("dualnet-agent may not %s: %v", a, err)
		}
	}
	user, groups := serviceAccount("dualnet-agent")
	cfg, err := kubetest.Plane().ClientConfig(user, groups...)
	if err != nil {
		t.Fatalf("client certificate for %s: %v", user, err)
	}
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "dualnet-agent.kubeconfig")
	if err := controlplane.WriteKubeconfig(kubeconfig, cfg); err != nil {
		t.Fatal(err)
	}
	plugin := filepath.Join(dir, "dualnet-cni")
	if err := cnitest.Build(plugin, "github.com/dualnet/dualnet/cmd/dualnet-cni"); err != nil {
		t.Fatal(err)
	}
	vnet := dptest.NewVNet(t)
	host := vnet.AddHost(t, "node", netip.MustParseAddr("172.30.0.4"), netip.MustParseAddr("fd00:30::4"))

	// The node reports its IPv4 InternalIP only: the agent warns with an InternalIPMissing event.
	node := fmt.Sprintf("dn-deploy-%d-agent", os.Getpid())
	createNode(t, kubetest.Client(), node, []string{"10.244.0.0/24", "fd12:3456:789a::/80"}, host.IPv4.String())

	confDir, binDir, dataDir := filepath.Join(dir, "net.d"), filepath.Join(dir, "bin"), filepath.Join(dir, "data")
	container := agentDaemonSet(t).Spec.Template.Spec.Containers[0]
	args := append(slices.Clone(container.Args), "--config="+networkSpecFile(t), "--kubeconfig="+kubeconfig, "--health-addr=127.0.0.1:0",
		"--netns="+netns.Path(host.Name), "--cni-conf-dir="+confDir, "--cni-bin-dir="+binDir,
		"--cni-data-dir="+dataDir, "--cni-plugin="+plugin)
	out := startProcess(t, buildCommand(t, "dualnet-agent"), args, "NODE_NAME="+node)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	poll.Eventually(t, remaining(ctx), "the CNI conflist and plugin installed", func() error {
		for _, f := range []string{cniconfig.ConfigPath(confDir), filepath.Join(binDir, "dualnet")} {
			if _, err := os.Stat(f); err != nil {
				return err
			}
		}
		return nil
	})
	eventuallyEvent(ctx, t, kubetest.Client(), node, "InternalIPMissing")
	noRefusals(t, "dualnet-agent", out)
}
