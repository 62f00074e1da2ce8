package lab

import "testing"

func TestNodesSpreadOverThreeZonesOfTheRegionInTurn(t *testing.T) {
	want := []string{
		"topology.kubernetes.io/region=westeurope,topology.kubernetes.io/zone=westeurope-1",
		"topology.kubernetes.io/region=westeurope,topology.kubernetes.io/zone=westeurope-2",
		"topology.kubernetes.io/region=westeurope,topology.kubernetes.io/zone=westeurope-3",
		"topology.kubernetes.io/region=westeurope,topology.kubernetes.io/zone=westeurope-1",
	}
	for i, w := range want {
		if got := nodeTopologyLabels(i); got != w {
			t.Errorf("node %d: labels %q, want %q", i, got, w)
		}
	}
}
