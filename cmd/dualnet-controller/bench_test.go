package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/controller/nodeipam/nodeipamtest"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// BenchmarkBinaryAssigns200Nodes: one op is 200 nodes created at once until every one has pod
// CIDRs, assigned by the dualnet-controller binary with its default API client limits
// (--kube-api-qps 50, --kube-api-burst 100), as a user would run it.
func BenchmarkBinaryAssigns200Nodes(b *testing.B) {
	client := kubetest.FastClient(b)
	p := startProcess(b, "--leader-elect=false", "--kube-api-qps=50", "--kube-api-burst=100") // the defaults, over startProcess's
	poll.Eventually(b, 60*time.Second, "the controller is ready", func() error {
		return poll.Met(p.get("/readyz") == 200, "")
	})
	names := make([]string, 200)
	round := 0
	for b.Loop() {
		round++
		for i := range names {
			names[i] = fmt.Sprintf("binbench-%d-%03d", round, i)
		}
		nodeipamtest.CreateNodes(b, client, names, nil)
		nodeipamtest.WaitAssigned(b, client, names, 120*time.Second)
		b.StopTimer()
		nodeipamtest.DeleteNodesAndWait(b, client, names)
		b.StartTimer()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/200nodes")
	b.ReportMetric(0, "ns/op")
}
