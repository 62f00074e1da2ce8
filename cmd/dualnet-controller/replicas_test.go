package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dualnet/dualnet/internal/controller/nodeipam/nodeipamtest"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

func TestTwoReplicasOneLeadsAndNoCIDRIsGivenTwice(t *testing.T) {
	client := kubetest.FastClient(t)
	replicas := []*controllerProcess{startProcess(t, fastLease...), startProcess(t, fastLease...)}
	var leader, standby *controllerProcess
	poll.Eventually(t, 60*time.Second, "exactly one replica leads", func() error {
		a, b := replicas[0].leading(), replicas[1].leading()
		switch {
		case a && !b:
			leader, standby = replicas[0], replicas[1]
		case b && !a:
			leader, standby = replicas[1], replicas[0]
		default:
			return poll.Met(false, fmt.Sprintf("leading: %v, %v", a, b))
		}
		return poll.Met(leader.get("/readyz") == 200, "leader not ready")
	})
	lease, err := client.CoordinationV1().Leases("kube-system").Get(context.Background(), "dualnet-controller", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Lease kube-system/dualnet-controller: %v", err)
	}
	if holder := *lease.Spec.HolderIdentity; !strings.Contains(leader.log.String(), holder) {
		t.Errorf("the Lease is held by %q, which is not the leading replica", holder)
	}
	if standby.get("/healthz") != 200 || standby.get("/readyz") != 200 {
		t.Error("the standby replica is not healthy and ready")
	}

	names := nodeipamtest.Names(t, 70)
	nodeipamtest.CreateNodes(t, client, names[:60], nil)
	var before map[string][]string
	poll.Eventually(t, 60*time.Second, "60 nodes get pod CIDRs", func() error {
		before = nodeipamtest.PodCIDRs(t, client)
		return poll.Met(nodeipamtest.Count(names, before) == 60, fmt.Sprint(nodeipamtest.Count(names, before)))
	})
	checkMetric(t, leader, "dualnet_nodeipam_allocated_nodes", 60)
	checkMetric(t, leader, `dualnet_nodeipam_capacity_nodes{limit="route table"}`, 200)
	checkMetric(t, leader, "dualnet_nodeipam_free_nodes", 140)
	if _, ok := standby.metric("dualnet_nodeipam_allocated_nodes"); ok {
		t.Error("the standby replica runs node IPAM")
	}

	// The leader dies without handing over: the standby takes the Lease and carries on.
	leader.stop(syscall.SIGKILL)
	nodeipamtest.CreateNodes(t, client, names[60:], nil)
	poll.Eventually(t, 60*time.Second, "the standby takes over and assigns 10 more nodes", func() error {
		after := nodeipamtest.PodCIDRs(t, client)
		for name, cidrs := range before {
			if !slices.Equal(after[name], cidrs) {
				t.Fatalf("node %s's pod CIDRs changed from %v to %v", name, cidrs, after[name])
			}
		}
		return poll.Met(nodeipamtest.Count(names, after) == 70, fmt.Sprint(nodeipamtest.Count(names, after)))
	})
	if !standby.leading() {
		t.Error("the new leader does not report leading")
	}
	checkMetric(t, standby, "dualnet_nodeipam_allocated_nodes", 70)
}

func TestIPAMKubernetesLeavesAllocationToKubeControllerManager(t *testing.T) {
	p := startProcess(t, "--ipam=kubernetes", "--leader-elect=false")
	poll.Eventually(t, 30*time.Second, "the controller is ready", func() error {
		return poll.Met(p.get("/readyz") == 200 && p.leading(), "")
	})
	if _, ok := p.metric("dualnet_nodeipam_allocated_nodes"); ok {
		t.Error("--ipam=kubernetes runs node IPAM")
	}
	if !strings.Contains(p.log.String(), `"Controller disabled" controller="nodeipam"`) {
		t.Errorf("log does not say node IPAM is disabled:\n%s", p.log.String())
	}
}

func checkMetric(t *testing.T, p *controllerProcess, name string, want float64) {
	t.Helper()
	poll.Eventually(t, 10*time.Second, fmt.Sprintf("metric %s is %v", name, want), func() error {
		got, ok := p.metric(name)
		return poll.Met(ok && got == want, fmt.Sprintf("%v (present: %v)", got, ok))
	})
}
