package controlplane

import (
	"context"
	"testing"
	"time"
)

// BenchmarkStartEtcdAndAPIServer measures what every control-plane test binary waits for:
// from Start to a ready kube-apiserver (and, separately, Stop).
func BenchmarkStartEtcdAndAPIServer(b *testing.B) {
	var ready, stop time.Duration
	for b.Loop() {
		t0 := time.Now()
		cp, err := Start(context.Background(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := cp.Stop(); err != nil {
			b.Fatal(err)
		}
		ready += t1.Sub(t0)
		stop += time.Since(t1)
	}
	b.ReportMetric(ready.Seconds()/float64(b.N), "s-to-ready/op")
	b.ReportMetric(stop.Seconds()/float64(b.N), "s-to-stop/op")
}
