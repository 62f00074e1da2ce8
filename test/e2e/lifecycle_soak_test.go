//go:build e2e && soak

package e2e

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// The lab's soak tests (issue #17's acceptance): minutes each on a 2-core machine, so they run
// from `make soak`, not with every change.

// lifecycleCycles is how many `lab up` / `lab down` cycles of one name must leave nothing
// behind (issue #17's acceptance).
const lifecycleCycles = 20

func TestLabLifecycleUpDownCyclesOfOneNameLeaveNothing(t *testing.T) {
	l := newLifecycleLab(t, "c")
	var total time.Duration
	for i := 1; i <= lifecycleCycles; i++ {
		start := time.Now()
		out, err := l.up(5 * time.Minute)
		upTime := time.Since(start)
		if err != nil {
			l.keepLogs()
			t.Fatalf("cycle %d: lab up: %v%s\n--- lab up said:\n%s", i, err, upFailureLogs(t, out), out)
		}
		l.downAndCheck(fmt.Sprintf("cycle %d", i))
		cycle := time.Since(start)
		total += cycle
		t.Logf("cycle %d: up %.1fs, down %.1fs", i, upTime.Seconds(), (cycle - upTime).Seconds())
	}
	t.Logf("%d cycles in %.1fs, %.1fs per cycle", lifecycleCycles, total.Seconds(), total.Seconds()/lifecycleCycles)
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
	l.createChurn()
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
		l.scaleChurnToZero(round, 5*time.Minute)
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
