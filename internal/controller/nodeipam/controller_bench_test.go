package nodeipam_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/controller/nodeipam"
	"github.com/dualnet/dualnet/internal/controller/nodeipam/nodeipamtest"
	"github.com/dualnet/dualnet/internal/kubetest"
	"github.com/dualnet/dualnet/internal/netspec"
)

// BenchmarkControllerAssigns200Nodes: one op is 200 nodes created at once on the real API
// server until every one has pod CIDRs (the default spec's full route table), with a running
// controller. The reported s/200nodes is the wall time a user waits; s-creating/200nodes is
// the part spent creating the nodes (16 at a time), which the controller works alongside.
func BenchmarkControllerAssigns200Nodes(b *testing.B) {
	client := kubetest.FastClient(b)
	startController(b, nodeipam.Options{Spec: netspec.Default()})
	names := nodeipamtest.Names(b, 200)
	round := 0
	var creating time.Duration
	for b.Loop() {
		round++
		b.StopTimer()
		for i := range names {
			names[i] = fmt.Sprintf("bench-%d-%03d", round, i)
		}
		b.StartTimer()
		start := time.Now()
		nodeipamtest.CreateNodes(b, client, names, nil)
		creating += time.Since(start)
		nodeipamtest.WaitAssigned(b, client, names, 60*time.Second)
		b.StopTimer()
		nodeipamtest.DeleteNodesAndWait(b, client, names)
		b.StartTimer()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/200nodes")
	b.ReportMetric(creating.Seconds()/float64(b.N), "s-creating/200nodes")
	b.ReportMetric(0, "ns/op")
}
