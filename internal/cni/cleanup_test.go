package cni_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/dualnet/dualnet/internal/cni"
)

func TestFailedAddCleansUpEvenWhenItsDeadlineHasPassed(t *testing.T) {
	nw := newNetwork(t, 17, "dnbr17")
	p := nw.addPod("deadline-passed")
	// What ADD holds when the failure was its own timeout: a context that is already over.
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	conf := map[string]any{"cniVersion": "1.1.0", "name": "dualnet"}
	for k, v := range nw.conf {
		conf[k] = v
	}
	data, err := json.Marshal(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := cni.CleanupFailedAdd(ctx, data, p.rt.ContainerID, p.rt.IfName); err != nil {
		t.Fatalf("cleanup after the deadline: %v", err)
	}
	if left := nw.leftovers(); len(left) != 0 {
		t.Errorf("cleanup after the deadline left %v", left)
	}
}
