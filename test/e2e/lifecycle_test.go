//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lifecycleCycles is how many `lab up` / `lab down` cycles of one name must leave nothing
// behind (issue #17's acceptance).
const lifecycleCycles = 20

// lifecycleUpFlags make the smallest lab: the lifecycle is the same for any size.
var lifecycleUpFlags = []string{"--nodes=1", "--routes=host"}

// newLifecycleLab is a lab under a name of its own for one lifecycle test, taken down at the
// end whatever happened.
func newLifecycleLab(t *testing.T, tag string) *testLab {
	l := &testLab{t: t, name: fmt.Sprintf("dn-e2e%s%d", tag, os.Getpid()), stateRoot: "/run/dualnet-lab"}
	t.Cleanup(func() {
		if l.name != "" && lifecycleLeftovers(l) != nil {
			l.down()
		}
	})
	return l
}

// up runs `lab up` of the smallest lab and returns its output.
func (l *testLab) up(timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return l.dualnet(ctx, l.labArgs("up", append([]string{"--bin-dir=" + binDir}, lifecycleUpFlags...)...)...)
}

// downAndCheck runs `lab down` and fails the test if it fails or anything of the lab is left.
func (l *testLab) downAndCheck(when string) {
	l.t.Helper()
	l.checkNothingLeft(when, l.downOnly(when))
}

// downOnly runs `lab down`, fails the test if it fails, and returns what it said.
func (l *testLab) downOnly(when string) string {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := l.dualnet(ctx, l.labArgs("down")...)
	if err != nil {
		l.t.Fatalf("%s: lab down: %v\n%s", when, err, out)
	}
	return out
}

// checkNothingLeft fails the test if anything of the lab is left after a down that said out.
func (l *testLab) checkNothingLeft(when, out string) {
	l.t.Helper()
	if left := lifecycleLeftovers(l); len(left) > 0 {
		l.t.Fatalf("%s: lab down left behind:\n  %s\nit said:\n%s", when, strings.Join(left, "\n  "), out)
	}
}

// lifecycleLeftovers is leftovers (processes, namespaces, mounts, the state directory) and the
// lab's lock file beside its directory.
func lifecycleLeftovers(l *testLab) []string {
	left := leftovers(l.name, filepath.Join(l.stateRoot, l.name))
	if _, err := os.Stat(filepath.Join(l.stateRoot, l.name+".lock")); err == nil {
		left = append(left, "lock file "+filepath.Join(l.stateRoot, l.name+".lock"))
	}
	return left
}

func TestLabLifecycleUpDownCyclesOfOneNameLeaveNothing(t *testing.T) {
	l := newLifecycleLab(t, "c")
	var total time.Duration
	for i := 1; i <= lifecycleCycles; i++ {
		start := time.Now()
		out, err := l.up(5 * time.Minute)
		upTime := time.Since(start)
		if err != nil {
			l.showLogs()
			t.Fatalf("cycle %d: lab up: %v\n%s", i, err, out)
		}
		l.downAndCheck(fmt.Sprintf("cycle %d", i))
		cycle := time.Since(start)
		total += cycle
		t.Logf("cycle %d: up %.1fs, down %.1fs", i, upTime.Seconds(), (cycle - upTime).Seconds())
	}
	t.Logf("%d cycles in %.1fs, %.1fs per cycle", lifecycleCycles, total.Seconds(), total.Seconds()/lifecycleCycles)
}

func TestLabLifecycleDownWhileUpStartsLeavesNothingAndUpWorksAfter(t *testing.T) {
	l := newLifecycleLab(t, "s")
	cmd := exec.Command(filepath.Join(binDir, "dualnet"), l.labArgs("up", append([]string{"--bin-dir=" + binDir}, lifecycleUpFlags...)...)...)
	var upOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &upOut, &upOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	upDone := make(chan struct{})
	var upErr error
	go func() { upErr = cmd.Wait(); close(upDone) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-upDone
	})
	// Mid-start, with the most to leave behind: the control plane and the registry run, the
	// node's machine is made (its mount namespace), its containerd and kubelet start.
	mnt := filepath.Join(l.nodeDir(l.name+"-node-0"), "ns", "mnt")
	eventually(t, 3*time.Minute, "lab up makes the node's mount namespace "+mnt, func() error {
		_, err := os.Stat(mnt)
		return err
	})
	down := l.downOnly("lab down while lab up starts")
	t.Logf("lab down while lab up started:\n%s", down)
	// lab up sees its supervisor gone and removes what it made (nothing): then nothing of the
	// lab may be left, lab up included.
	select {
	case <-upDone:
		t.Logf("lab up (taken down while it started): %v\n%s", upErr, upOut.String())
		if upErr == nil || !strings.Contains(upOut.String(), "was taken down (`dualnet lab down`) while it started") {
			t.Errorf("lab up should fail saying the lab was taken down while it started")
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("lab up still runs 2 minutes after lab down removed its lab:\n%s", upOut.String())
	}
	l.checkNothingLeft("lab down while lab up starts", down)
	if out, err := l.up(5 * time.Minute); err != nil {
		t.Fatalf("lab up after the interrupted one: %v\n%s", err, out)
	}
	l.downAndCheck("lab down after the second lab up")
}

func TestLabLifecycleUpRefusesALabWhoseStateIsGoneAndDownStopsItsSupervisor(t *testing.T) {
	l := newLifecycleLab(t, "g")
	if out, err := l.up(5 * time.Minute); err != nil {
		t.Fatalf("lab up: %v\n%s", err, out)
	}
	supervisor := l.processPID("supervisor")
	if err := os.Remove(filepath.Join(l.stateRoot, l.name, "state.json")); err != nil {
		t.Fatal(err)
	}
	out, err := l.up(time.Minute)
	if err == nil {
		t.Fatalf("lab up over a running lab whose state is gone succeeded:\n%s", out)
	}
	for _, want := range []string{fmt.Sprintf("its supervisor, pid %d", supervisor), "dualnet lab down --name " + l.name} {
		if !strings.Contains(out, want) {
			t.Errorf("lab up should refuse naming %q, said:\n%s", want, out)
		}
	}
	if syscall.Kill(supervisor, 0) != nil {
		t.Fatalf("the refused lab up stopped the running lab's supervisor (pid %d)", supervisor)
	}
	l.downAndCheck("lab down of a lab whose state is gone") // leftovers include the supervisor
}

// podStarts is how many pods start beside the serving ones (issue #17's acceptance), in rounds
// of podStartsPerRound.
const (
	podStarts         = 200
	podStartsPerRound = 20
)

// servingPods are three long-running servers, one per node: agnhost netexec answers /hostname,
// and is Ready once it does.
const servingPods = `apiVersion: apps/v1
kind: Deployment
metadata: {name: serve}
spec:
  replicas: 3
  selector: {matchLabels: {app: serve}}
  template:
    metadata: {labels: {app: serve}}
    spec:
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: serve}}}
      containers:
      - name: netexec
        image: "registry.k8s.io/e2e-test-images/agnhost:2.66.1"
        args: [netexec, --http-port=8080]
        readinessProbe: {httpGet: {path: /hostname, port: 8080}, periodSeconds: 2}
`

func TestLabLifecycleOf200PodsRestartsNoServingPod(t *testing.T) {
	l := startLab(t, routeMode)
	l.apply("serve", servingPods)
	type serving struct{ name, uid, restarts string }
	servingNow := func() []serving {
		var out []serving
		for _, line := range strings.Split(strings.TrimSpace(l.kubectl("get", "pods", "-l", "app=serve", "-o",
			`jsonpath={range .items[*]}{.metadata.name} {.metadata.uid} {.status.containerStatuses[*].restartCount}{"\n"}{end}`)), "\n") {
			if f := strings.Fields(line); len(f) == 3 {
				out = append(out, serving{f[0], f[1], f[2]})
			}
		}
		return out
	}
	l.podNodes3("serve")
	before := servingNow()
	// Every serving pod answers from vnet-host, a VM on the virtual network, in both families.
	checkServing := func(when string) {
		for _, line := range strings.Split(strings.TrimSpace(l.kubectl("get", "pods", "-l", "app=serve", "-o",
			`jsonpath={range .items[*]}{.metadata.name} {.status.podIPs[*].ip}{"\n"}{end}`)), "\n") {
			f := strings.Fields(line)
			if len(f) != 3 {
				t.Fatalf("%s: serving pod (name, IPs) %q: want an address per family", when, line)
			}
			for _, ip := range f[1:] {
				url := "http://" + net.JoinHostPort(ip, "8080") + "/hostname"
				if out, err := l.exec("vnet-host", "curl", "-sS", "-g", "--max-time", "5", url); err != nil || strings.TrimSpace(out) != f[0] {
					t.Errorf("%s: %s answered %q (%v), want %s", when, url, out, err, f[0])
				}
			}
		}
	}
	checkServing("before the pod starts")
	// agnhost pause ends on SIGTERM: a scale-down does not wait out a grace period.
	l.kubectl("create", "deployment", "churn", "--image=registry.k8s.io/e2e-test-images/agnhost:2.66.1", "--replicas=0", "--", "/agnhost", "pause")
	start := time.Now()
	for round := 1; round <= podStarts/podStartsPerRound; round++ {
		l.kubectl("scale", "deployment", "churn", fmt.Sprintf("--replicas=%d", podStartsPerRound))
		eventually(t, 5*time.Minute, fmt.Sprintf("round %d: %d churn pods Running", round, podStartsPerRound), func() error {
			running := strings.Fields(l.kubectl("get", "pods", "-l", "app=churn", "--field-selector=status.phase=Running", "-o", "name"))
			if len(running) != podStartsPerRound {
				return fmt.Errorf("%d of %d", len(running), podStartsPerRound)
			}
			return nil
		})
		l.kubectl("scale", "deployment", "churn", "--replicas=0")
		eventually(t, 5*time.Minute, fmt.Sprintf("round %d: every churn pod gone", round), func() error {
			if out := strings.TrimSpace(l.kubectl("get", "pods", "-l", "app=churn", "-o", "name")); out != "" {
				return fmt.Errorf("left: %s", out)
			}
			return nil
		})
		checkServing(fmt.Sprintf("after round %d", round))
		t.Logf("round %d: %d pods started and removed (%.1fs so far)", round, round*podStartsPerRound, time.Since(start).Seconds())
	}
	t.Logf("%d pod starts in %.1fs", podStarts, time.Since(start).Seconds())
	if after := servingNow(); !slices.Equal(after, before) {
		t.Errorf("serving pods (name, uid, restarts) were %v before the pod starts, %v after: want the same pods, restarted 0 times", before, after)
	}
	for _, p := range before {
		if p.restarts != "0" {
			t.Errorf("serving pod %s had restarted %s times before the pod starts", p.name, p.restarts)
		}
	}
}

// podNodes3 waits until the Deployment's three pods are Ready, one per node.
func (l *testLab) podNodes3(app string) {
	eventually(l.t, 3*time.Minute, "3 "+app+" pods Ready on 3 nodes", func() error {
		nodes := map[string]bool{}
		for _, p := range strings.Split(strings.TrimSpace(l.kubectl("get", "pods", "-l", "app="+app, "-o",
			`jsonpath={range .items[*]}{.spec.nodeName} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`)), "\n") {
			if f := strings.Fields(p); len(f) == 2 && f[1] == "True" {
				nodes[f[0]] = true
			}
		}
		if len(nodes) != 3 {
			return fmt.Errorf("Ready on %v", nodes)
		}
		return nil
	})
}
