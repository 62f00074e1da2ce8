package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dualnet/dualnet/internal/controller/nodeipam/nodeipamtest"
)

// BenchmarkBinaryAssigns200Nodes: one op is 200 nodes created at once until every one has pod
// CIDRs, assigned by the dualnet-controller binary with its default API client limits
// (--kube-api-qps 50, --kube-api-burst 100), as a user would run it.
func BenchmarkBinaryAssigns200Nodes(b *testing.B) {
	client := nodeipamtest.FastClient(b)
	p := startProcess(b, "--leader-elect=false", "--kube-api-qps=50", "--kube-api-burst=100") // the defaults, over startProcess's
	nodeipamtest.Eventually(b, 60*time.Second, "the controller is ready", func() (bool, string) {
		return p.get("/readyz") == 200, ""
	})
	names := make([]string, 200)
	round := 0
	for b.Loop() {
		round++
		for i := range names {
			names[i] = fmt.Sprintf("binbench-%d-%03d", round, i)
		}
		nodeipamtest.CreateNodes(b, client, names, nil)
		nodeipamtest.Eventually(b, 120*time.Second, "200 nodes assigned", func() (bool, string) {
			n := nodeipamtest.Count(names, nodeipamtest.PodCIDRs(b, client))
			return n == 200, fmt.Sprint(n)
		})
		b.StopTimer()
		nodeipamtest.DeleteNodes(b, client, names)
		nodeipamtest.Eventually(b, 60*time.Second, "nodes deleted", func() (bool, string) {
			list, err := client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
			return err == nil && len(list.Items) == 0, ""
		})
		b.StartTimer()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/200nodes")
	b.ReportMetric(0, "ns/op")
}
