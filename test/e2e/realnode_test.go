//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dualnet/dualnet/internal/testutil/syncbuf"
)

// checkKubectlExecLogsPortForwardAndRun: what a user does with pods on a real cluster works
// from the host: exec, logs, port-forward to an IPv4 and an IPv6 pod address, run -it --rm.
func (l *testLab) checkKubectlExecLogsPortForwardAndRun(pod string) {
	t := l.t
	if out := l.kubectl("exec", pod, "--", "sh", "-c", "echo exec-ok"); strings.TrimSpace(out) != "exec-ok" {
		t.Errorf("kubectl exec %s: %q", pod, out)
	}
	if out := l.kubectl("logs", pod); !strings.Contains(out, "nginx") {
		t.Errorf("kubectl logs %s shows no nginx start: %q", pod, out)
	}
	for _, address := range []string{"127.0.0.1", "::1"} {
		l.checkPortForward(pod, address)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlPath, "run", "-i", "--rm", "e2e-it", "--image=busybox", "--restart=Never", "--", "sh")
	cmd.Env = append(cmd.Environ(), "KUBECONFIG="+l.kubeconfig)
	cmd.Stdin = strings.NewReader("echo interactive-$((6*7)); exit\n")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "interactive-42") {
		t.Errorf("kubectl run -i --rm --image=busybox -- sh: %v\n%s", err, out)
	}
}

// checkPortForward forwards a local port on address to the pod's port 80 and fetches the page.
func (l *testLab) checkPortForward(pod, address string) {
	t := l.t
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlPath, "port-forward", "--address="+address, pod, ":80")
	cmd.Env = append(cmd.Environ(), "KUBECONFIG="+l.kubeconfig)
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	var local string
	eventually(t, 20*time.Second, "kubectl port-forward on "+address+" listening", func() error {
		for _, line := range strings.Split(out.String(), "\n") {
			if rest, ok := strings.CutPrefix(line, "Forwarding from "); ok {
				local, _, _ = strings.Cut(rest, " -> ")
				return nil
			}
		}
		return fmt.Errorf("said %q", out.String())
	})
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + local + "/")
	if err != nil {
		t.Errorf("GET through port-forward %s: %v", local, err)
		return
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	if !strings.Contains(body.String(), "Welcome to nginx!") {
		t.Errorf("port-forward %s to %s: %s", local, pod, body.String())
	}
	if host, _, _ := net.SplitHostPort(local); host != address && !(address == "::1" && host == "[::1]") {
		t.Logf("port-forward listened on %s for --address=%s", local, address)
	}
}

// checkClusterDNS: pods resolve Services by name through CoreDNS: a dual-stack Service to an A
// and an AAAA record, a single-stack IPv6 Service to its AAAA record, and a name outside the
// cluster gets its answer from inside the lab.
func (l *testLab) checkClusterDNS() {
	t := l.t
	client := "dns-client"
	l.kubectl("run", client, "--image=busybox", "--restart=Never", "--", "sleep", "3600")
	l.kubectl("wait", "--for=condition=Ready", "pod/"+client, "--timeout=60s")
	manifest := filepath.Join(t.TempDir(), "dns-services.yaml")
	if err := os.WriteFile(manifest, []byte(dnsServices), 0o644); err != nil {
		t.Fatal(err)
	}
	l.kubectl("apply", "-f", manifest)
	dual := strings.Fields(l.kubectl("get", "service", "dns-dual", "-o", "jsonpath={.spec.clusterIPs[*]}"))
	single := strings.Fields(l.kubectl("get", "service", "dns-v6", "-o", "jsonpath={.spec.clusterIPs[*]}"))
	for name, want := range map[string][]string{
		"dns-dual.default.svc.cluster.local": dual,
		"dns-v6.default.svc.cluster.local":   single,
	} {
		eventually(t, 30*time.Second, "nslookup "+name+" in pod "+client, func() error {
			out, err := l.kubectlErr("exec", client, "--", "nslookup", name)
			if err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			for _, ip := range want {
				if !strings.Contains(out, "Address: "+ip) {
					return fmt.Errorf("no %s in:\n%s", ip, out)
				}
			}
			return nil
		})
	}
	out, err := l.kubectlErr("exec", client, "--", "nslookup", "vnet-host.lab.internal")
	if err != nil || !strings.Contains(out, "Address: 10.240.0.") {
		t.Errorf("nslookup vnet-host.lab.internal (a name outside the cluster, answered in the lab): %v\n%s", err, out)
	}
	l.kubectl("delete", "service", "dns-dual", "dns-v6")
	l.kubectl("delete", "pod", client, "--grace-period=1")
}

// dnsServices: a dual-stack Service and a single-stack IPv6 one.
const dnsServices = `
apiVersion: v1
kind: Service
metadata: {name: dns-dual}
spec:
  ipFamilyPolicy: RequireDualStack
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: dns-v6}
spec:
  ipFamilies: [IPv6]
  ports: [{port: 80}]
`

// checkPodChurnLeavesOtherPodsAndTheStoresAlone creates and deletes 30 pods, 10 at a time:
// no other pod restarts, and afterwards each node's address store holds exactly its live
// pods' addresses (two each) and its bridge one port per live pod (containerd's DEL ran for
// every deleted one).
func (l *testLab) checkPodChurnLeavesOtherPodsAndTheStoresAlone() {
	t := l.t
	restarts := func() string {
		return l.kubectl("get", "pods", "-A", "-o", `jsonpath={range .items[*]}{.metadata.name}={.status.containerStatuses[*].restartCount}{"\n"}{end}`)
	}
	before := restarts()
	l.createChurn()
	start := time.Now()
	for round := 1; round <= 3; round++ {
		l.kubectl("scale", "deployment", "churn", "--replicas=10")
		eventually(t, 2*time.Minute, fmt.Sprintf("round %d: 10 churn pods Running with both families", round), func() error {
			ips := l.kubectl("get", "pods", "-l", "app=churn", "--field-selector=status.phase=Running", "-o", `jsonpath={range .items[*]}{.status.podIPs[*].ip}{"\n"}{end}`)
			n := 0
			for _, line := range strings.Split(strings.TrimSpace(ips), "\n") {
				if len(strings.Fields(line)) == 2 {
					n++
				}
			}
			if n != 10 {
				return fmt.Errorf("%d of 10", n)
			}
			return nil
		})
		l.scaleChurnToZero(round, 2*time.Minute)
	}
	t.Logf("MEASURED: 30 pods created and deleted, 10 at a time, in %.1fs", time.Since(start).Seconds())
	l.kubectl("delete", "deployment", "churn")
	after := restarts()
	for _, line := range strings.Split(strings.TrimSpace(after), "\n") {
		name, count, _ := strings.Cut(line, "=")
		for _, old := range strings.Split(strings.TrimSpace(before), "\n") {
			if oldName, oldCount, _ := strings.Cut(old, "="); oldName == name && oldCount != count {
				t.Errorf("pod %s restarted during the churn: restart count %s, was %s", name, count, oldCount)
			}
		}
	}
	nodes := strings.Fields(l.kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"))
	for _, node := range nodes {
		eventually(t, 30*time.Second, "node "+node+": its store and bridge hold exactly its live pods", func() error {
			held, _ := filepath.Glob(filepath.Join(l.nodeDir(node), "root/var/lib/dualnet/cni/*/ip/*"))
			live := l.podNetworkIPs(node)
			if len(held) != len(live) {
				return fmt.Errorf("the store holds %d addresses, the node's live pods have %d (%v)", len(held), len(live), live)
			}
			return l.vethsMatchPods(node)
		})
	}
}

// checkNodeNotReadyWithoutTheConflist: containerd reports the network not ready (CNI STATUS
// finds no conflist) and the kubelet the node NotReady, and no pod sandbox starts there, until
// dualnet-agent writes the conflist again; then the node is Ready and the pod runs.
func (l *testLab) checkNodeNotReadyWithoutTheConflist(node string) {
	t := l.t
	// The agent pod's process, stopped, not killed: it must not write the conflist back until
	// the test says so (its liveness probe gives this check about 30 s).
	agent := l.agentPID(node)
	if err := syscall.Kill(agent, syscall.SIGSTOP); err != nil {
		t.Fatalf("stop dualnet-agent-%s: %v", node, err)
	}
	defer syscall.Kill(agent, syscall.SIGCONT)
	confs, _ := filepath.Glob(filepath.Join(l.nodeDir(node), "root/etc/cni/net.d/*"))
	for _, c := range confs {
		if err := os.Remove(c); err != nil {
			t.Fatal(err)
		}
	}
	readyIs := func(want string) func() error {
		return func() error {
			out := l.kubectl("get", "node", node, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].message}`)
			if !strings.HasPrefix(out, want+" ") {
				return fmt.Errorf("Ready: %s", out)
			}
			return nil
		}
	}
	eventually(t, time.Minute, node+" NotReady once its conflist is gone", readyIs("False"))
	msg := l.kubectl("get", "node", node, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].message}`)
	if !strings.Contains(msg, "NetworkReady=false") {
		t.Errorf("%s is NotReady for another reason than the runtime's network: %s", node, msg)
	}
	name := "waits-for-cni"
	// Bound to the node by name (no scheduler: a NotReady node is tainted), tolerating that.
	l.kubectl("run", name, "--image=busybox", "--restart=Never",
		`--overrides={"spec":{"nodeName":"`+node+`","tolerations":[{"operator":"Exists"}]}}`, "--", "sleep", "3600")
	time.Sleep(5 * time.Second) // long enough for the kubelet to try the sandbox
	if ips := strings.TrimSpace(l.kubectl("get", "pod", name, "-o", "jsonpath={.status.podIPs[*].ip}")); ips != "" {
		t.Errorf("pod %s got addresses %s on %s while it had no conflist", name, ips, node)
	}
	if err := syscall.Kill(agent, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Minute, node+" Ready again once the agent wrote its conflist", readyIs("True"))
	eventually(t, time.Minute, "pod "+name+" running with both families", func() error {
		if ips := strings.Fields(l.kubectl("get", "pod", name, "-o", "jsonpath={.status.podIPs[*].ip}")); len(ips) != 2 {
			return fmt.Errorf("pod IPs %v", ips)
		}
		return nil
	})
	l.kubectl("delete", "pod", name, "--grace-period=1")
}

// checkBandwidthAnnotationReachesThePlugin: a pod's kubernetes.io/ingress-bandwidth and
// egress-bandwidth reach the chained bandwidth plugin through containerd's capability
// arguments: its host veth gets a token bucket filter, and an ifb device its egress one.
func (l *testLab) checkBandwidthAnnotationReachesThePlugin(node string) {
	t := l.t
	name := "shaped"
	l.kubectl("run", name, "--image=busybox", "--restart=Never",
		`--annotations=kubernetes.io/ingress-bandwidth=10M`, `--annotations=kubernetes.io/egress-bandwidth=10M`,
		`--overrides={"spec":{"nodeName":"`+node+`"}}`, "--", "sleep", "3600")
	l.kubectl("wait", "--for=condition=Ready", "pod/"+name, "--timeout=60s")
	out, err := l.exec(node, "tc", "qdisc", "show")
	if err != nil || strings.Count(out, "qdisc tbf") < 2 {
		t.Errorf("tc qdisc on %s after a pod with both bandwidth annotations: want two tbf qdiscs (ingress on its veth, egress on an ifb): %v\n%s", node, err, out)
	}
	l.kubectl("delete", "pod", name, "--grace-period=1")
	eventually(t, 30*time.Second, "the shaping gone with the pod", func() error {
		if out, _ := l.exec(node, "tc", "qdisc", "show"); strings.Contains(out, "qdisc tbf") {
			return fmt.Errorf("still:\n%s", out)
		}
		return nil
	})
}

// checkNodesRunTheRealKubeletAndContainerd: kubectl get nodes -o wide shows what runs them.
func (l *testLab) checkNodesRunTheRealKubeletAndContainerd() {
	out := l.kubectl("get", "nodes", "-o", `jsonpath={range .items[*]}{.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}{"\n"}{end}`)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line != "v1.37.2 containerd://2.4.2" {
			l.t.Errorf("a node runs %q, want kubelet v1.37.2 and containerd://2.4.2", line)
		}
	}
}

// checkNodesSpreadOverThreeZones: the nodes carry a zonal AKS pool's region and zone labels,
// one zone each for the first three, which the upstream topology specs need.
func (l *testLab) checkNodesSpreadOverThreeZones() {
	out := l.kubectl("get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.labels.topology\.kubernetes\.io/region}/{.metadata.labels.topology\.kubernetes\.io/zone}{"\n"}{end}`)
	zones := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		region, zone, _ := strings.Cut(line, "/")
		if region != "westeurope" || !strings.HasPrefix(zone, "westeurope-") {
			l.t.Errorf("a node has region/zone %q, want westeurope/westeurope-<n>", line)
		}
		zones[zone] = true
	}
	if len(zones) != 3 {
		l.t.Errorf("the nodes are in zones %v, want 3 zones", zones)
	}
}

// podNetworkIPs are the addresses of the running pods on node that are on the pod network
// (not hostNetwork).
func (l *testLab) podNetworkIPs(node string) []string {
	out := l.kubectl("get", "pods", "-A", "--field-selector=spec.nodeName="+node+",status.phase=Running",
		"-o", `jsonpath={range .items[*]}{.spec.hostNetwork}={.status.podIPs[*].ip}{"\n"}{end}`)
	var ips []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if hostNetwork, addrs, ok := strings.Cut(line, "="); ok && hostNetwork != "true" {
			ips = append(ips, strings.Fields(addrs)...)
		}
	}
	return ips
}

// createChurn creates the churn deployment, at 0 replicas, whose pods the churn checks start
// and remove. agnhost pause ends on SIGTERM: a scale-down does not wait out a grace period.
func (l *testLab) createChurn() {
	l.kubectl("create", "deployment", "churn", "--image=registry.k8s.io/e2e-test-images/agnhost:2.66.1", "--replicas=0", "--", "/agnhost", "pause")
}

// scaleChurnToZero scales the churn deployment down to 0 and waits, at most within, until
// every churn pod is gone.
func (l *testLab) scaleChurnToZero(round int, within time.Duration) {
	l.kubectl("scale", "deployment", "churn", "--replicas=0")
	eventually(l.t, within, fmt.Sprintf("round %d: every churn pod gone", round), func() error {
		if out := strings.TrimSpace(l.kubectl("get", "pods", "-l", "app=churn", "-o", "name")); out != "" {
			return fmt.Errorf("left: %s", out)
		}
		return nil
	})
}
