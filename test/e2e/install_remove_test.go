//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/dualnet/dualnet/internal/lab"
	"github.com/dualnet/dualnet/internal/netns"
)

// onNode runs a program as on the node itself, as root: in the node's mount, UTS and network
// namespaces (internal/lab/nodemachine.go), where /etc/cni/net.d, /opt/cni/bin,
// /var/lib/dualnet and containerd's socket are the node's own.
func (l *testLab) onNode(node string, args ...string) (string, error) {
	ns := filepath.Join(l.nodeDir(node), "ns")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"--mount=" + ns + "/mnt", "--uts=" + ns + "/uts",
		"--net=" + netns.Path(node), "--"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return string(out), err
}

// dualnetImages are the IDs of the images of repository repo in node's runtime (crictl).
func (l *testLab) dualnetImages(node string, crictl []string, repo string) []string {
	out, err := l.onNode(node, append(crictl, "images", "-o", "json")...)
	if err != nil {
		l.t.Fatalf("crictl images on %s: %v", node, err)
	}
	var list struct {
		Images []struct {
			ID       string
			RepoTags []string
		}
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		l.t.Fatalf("crictl images -o json on %s: %v\n%s", node, err, out)
	}
	var ids []string
	for _, img := range list.Images {
		for _, tag := range img.RepoTags {
			if strings.HasPrefix(tag, repo+":") {
				ids = append(ids, img.ID+" "+strings.Join(img.RepoTags, ","))
				break
			}
		}
	}
	return ids
}

// appliedDualnet is the kustomization `dualnet lab up` applied with kubectl apply -k
// (internal/lab/network.go): the lab-local layer when the lab needed one, else the overlay.
func (l *testLab) appliedDualnet() string {
	root := filepath.Join(l.stateRoot, l.name, "manifests")
	if _, err := os.Stat(filepath.Join(root, "lab-local", "kustomization.yaml")); err == nil {
		return filepath.Join(root, "lab-local")
	}
	return filepath.Join(root, "internal", "lab", "addons", "dualnet")
}

// labPodCIDRs are deploy/'s cluster pod CIDRs, which the lab runs.
var labPodCIDRs = []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd12:3456:789a::/64")}

// checkRemoveLeavesNothing removes dualnet as deploy/README's "Remove" says: kubectl delete -k
// of what was applied; the nodes drained of their pods; on each node, as root, dualnet-agent
// --cleanup from the image with ctr run (the DaemonSet's paths, the node's network namespace),
// /var/lib/dualnet removed, and the image removed from the node's runtime with crictl rmi. Then no node has a
// dualnet link (cbr0, dn* veths, bwp* ifbs), nftables table, route to a pod CIDR or through
// cbr0, file (conflist, plugins, address store), image or process left. It destroys the pod
// network: the test's last check.
func (l *testLab) checkRemoveLeavesNothing() {
	t := l.t
	nodes := []string{l.name + "-node-0", l.name + "-node-1", l.name + "-node-2"}
	// The test's own pods and Service first; the drain below takes the others.
	l.kubectl("delete", "service", "e2e-server-lb", "--ignore-not-found")
	if out, err := l.kubectlWait(3*time.Minute, "delete", "pods", "e2e-client", "e2e-server", "--ignore-not-found"); err != nil {
		t.Fatalf("kubectl delete pods: %v\n%s", err, out)
	}
	agentImage := l.workloads()["DaemonSet/dualnet-agent"].image
	start := time.Now()
	applied := l.appliedDualnet()
	if out, err := l.kubectlWait(3*time.Minute, "delete", "-k", applied); err != nil {
		t.Fatalf("kubectl delete -k %s: %v\n%s", applied, err, out)
	}
	eventually(t, 3*time.Minute, "no dualnet pod and no dualnet process on the nodes", func() error {
		var pods podList
		l.kubectlInto(&pods, "-n", "kube-system", "get", "pods", "-l", "app.kubernetes.io/name in (dualnet-agent,dualnet-controller)")
		if len(pods.Items) > 0 {
			return fmt.Errorf("%d dualnet pods left, %s among them", len(pods.Items), pods.Items[0].Metadata.Name)
		}
		for _, n := range nodes {
			for _, comm := range []string{"dualnet-agent", "dualnet-control"} { // comm: 15 bytes
				if pids := l.processesIn(n, comm); len(pids) > 0 {
					return fmt.Errorf("%s runs %s: %v", n, comm, pids)
				}
			}
		}
		return nil
	})
	t.Logf("MEASURED: kubectl delete -k %s: dualnet's pods and processes gone after %.1fs", applied, time.Since(start).Seconds())

	drained := time.Now()
	if out, err := l.kubectlWait(4*time.Minute, append(append([]string{"drain"}, nodes...), "--ignore-daemonsets", "--delete-emptydir-data")...); err != nil {
		t.Fatalf("kubectl drain: %v\n%s", err, out)
	}
	eventually(t, 2*time.Minute, "no pod veth left on the drained nodes", func() error {
		for _, n := range nodes {
			if left := l.dualnetLinks(n, "dn"); len(left) > 0 {
				return fmt.Errorf("%s: %v", n, left)
			}
		}
		return nil
	})
	t.Logf("MEASURED: nodes drained, every pod's veth gone, after %.1fs", time.Since(drained).Seconds())

	cfg, err := lab.LoadConfig(filepath.Join(l.stateRoot, l.name))
	if err != nil {
		t.Fatal(err)
	}
	crictl := []string{filepath.Join(cfg.NodeBinDir, "crictl"), "--runtime-endpoint=unix:///run/containerd/containerd.sock"}
	image := strings.SplitN(manifestImage(), ":", 2)[0]
	for _, n := range nodes {
		cleaned := time.Now()
		// deploy/README's command: the image the agents ran, on the node's containerd.
		out, err := l.onNode(n, filepath.Join(cfg.NodeBinDir, "ctr"), "-n", "k8s.io", "run", "--rm", "--net-host", "--privileged",
			"--mount", "type=bind,src=/etc/cni/net.d,dst=/etc/cni/net.d,options=rbind:rw",
			"--mount", "type=bind,src=/opt/cni/bin,dst=/opt/cni/bin,options=rbind:rw",
			agentImage, "dualnet-cleanup", "dualnet-agent", "--cleanup", "--cni-conf-dir=/etc/cni/net.d", "--cni-bin-dir=/opt/cni/bin")
		if err != nil {
			t.Errorf("ctr run %s dualnet-agent --cleanup on %s: %v\n%s", agentImage, n, err, out)
		}
		t.Logf("MEASURED: ctr run %s dualnet-agent --cleanup on %s took %.1fs", agentImage, n, time.Since(cleaned).Seconds())
		// The lab binds the node's /var/lib/dualnet there (a mount point): rm empties it and
		// says it cannot remove the directory itself, which a real node's rm does.
		if _, err := l.onNode(n, "rm", "-rf", "/var/lib/dualnet"); err != nil && !strings.HasSuffix(err.Error(), "'/var/lib/dualnet': Device or resource busy") {
			t.Errorf("rm -rf /var/lib/dualnet on %s: %v", n, err)
		}
		for _, img := range l.dualnetImages(n, crictl, image) {
			id, _, _ := strings.Cut(img, " ")
			if out, err := l.onNode(n, append(crictl, "rmi", id)...); err != nil {
				t.Errorf("crictl rmi %s on %s: %v\n%s", img, n, err, out)
			}
		}
	}

	for _, n := range nodes {
		for _, left := range l.dualnetLeft(n, crictl, image) {
			t.Errorf("removed, yet %s still has %s", n, left)
		}
	}
	t.Logf("MEASURED: dualnet removed (kubectl delete -k, drain, cleanup of 3 nodes) in %.1fs", time.Since(start).Seconds())
	var routes []string
	for _, family := range []string{"-4", "-6"} {
		routes = append(routes, strings.Fields(l.execOK("vnet", "ip", family, "route", "show", "proto", "222"))...)
	}
	t.Logf("the route table keeps what dualnet-controller wrote, as on Azure (deploy/README: delete them there): %s", strings.Join(routes, " "))
}

// dualnetLinks are node's links named cbr0 or starting with one of prefixes.
func (l *testLab) dualnetLinks(node string, prefixes ...string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(l.execOK(node, "ip", "-o", "link", "show")), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		for _, p := range prefixes {
			if strings.HasPrefix(name, p) {
				out = append(out, "link "+name)
			}
		}
	}
	return out
}

// dualnetLeft is what dualnet could leave on node: the bridge, pods' veths and ifbs,
// nftables tables (its own and its portmap's), routes to pod CIDRs or through cbr0, the
// conflist, its plugins, the address store, its image.
func (l *testLab) dualnetLeft(node string, crictl []string, image string) []string {
	left := l.dualnetLinks(node, "cbr0", "dn", "bwp")
	for _, line := range strings.Split(l.execOK(node, "nft", "list", "tables"), "\n") {
		if strings.Contains(line, "dualnet") || strings.Contains(line, "cni_hostport") {
			left = append(left, "nftables "+line)
		}
	}
	for _, family := range []string{"-4", "-6"} {
		for _, line := range strings.Split(strings.TrimSpace(l.execOK(node, "ip", family, "route", "show")), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			p, err := netip.ParsePrefix(f[0])
			if err != nil {
				if a, err := netip.ParseAddr(f[0]); err == nil {
					p = netip.PrefixFrom(a, a.BitLen())
				}
			}
			inPods := false
			for _, c := range labPodCIDRs {
				inPods = inPods || p.IsValid() && c.Overlaps(p)
			}
			if inPods || strings.Contains(line, " dev cbr0 ") {
				left = append(left, "route "+line)
			}
		}
	}
	root := filepath.Join(l.nodeDir(node), "root")
	for _, dir := range []string{"/etc/cni/net.d", "/opt/cni/bin", "/var/lib/dualnet"} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			l.t.Fatal(err)
		}
		for _, e := range entries {
			if dir == "/var/lib/dualnet" || strings.Contains(e.Name(), "dualnet") {
				left = append(left, "file "+filepath.Join(dir, e.Name()))
			}
		}
	}
	for _, img := range l.dualnetImages(node, crictl, image) {
		left = append(left, "image "+img)
	}
	return left
}
