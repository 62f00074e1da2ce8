package cni_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/podveth"
)

// A firewall reload (`nft flush ruleset`) on a node where no pod starts afterwards: the
// agent's Repair, fed with the node's pods from the address store, gives every running pod
// its registration back, so CHECK (which compares the registration with the ADD result)
// passes again. (antispoof's own tests check that Repair writes the whole ruleset.)
func TestRepairWithTheStoresPodsRestoresEveryRunningPod(t *testing.T) {
	nw := newNetwork(t)
	a, b := nw.addPod("repair-a"), nw.addPod("repair-b")
	if out, err := exec.Command("nft", "delete", "table", "bridge", antispoof.Table).CombinedOutput(); err != nil {
		t.Fatalf("nft delete table: %v: %s", err, out)
	}
	if err := nw.drv.Check(context.Background(), a.rt); err == nil {
		t.Fatal("CHECK passed with the anti-spoofing table gone")
	}
	storeDir := filepath.Join(nw.dataDir, "dualnet")
	wrote, err := antispoof.Repair(context.Background(), func() ([]antispoof.Pod, error) { return podveth.NodePods(storeDir) })
	if err != nil || !wrote {
		t.Fatalf("Repair: wrote %v, %v; want the table written", wrote, err)
	}
	for _, p := range []*pod{a, b} {
		if err := nw.drv.Check(context.Background(), p.rt); err != nil {
			t.Errorf("CHECK %s after Repair: %v", p.rt.ContainerID, err)
		}
	}
	if got := len(registeredPorts(t)); got != 2 {
		t.Errorf("%d registered ports after Repair, want 2", got)
	}
}

// Elements without the rules that read them protect nothing: CHECK says which chain is empty.
func TestCheckFailsWhenAChainIsFlushed(t *testing.T) {
	nw := newNetwork(t)
	p := nw.addPod("flushed")
	if err := nw.drv.Check(context.Background(), p.rt); err != nil {
		t.Fatalf("CHECK of a healthy pod: %v", err)
	}
	if out, err := exec.Command("nft", "flush", "chain", "bridge", antispoof.Table, "pod-ipv4").CombinedOutput(); err != nil {
		t.Fatalf("nft flush chain: %v: %s", err, out)
	}
	t.Cleanup(func() {
		_, _ = antispoof.Repair(context.Background(), func() ([]antispoof.Pod, error) { return nil, nil })
	})
	err := nw.drv.Check(context.Background(), p.rt)
	if err == nil || !strings.Contains(err.Error(), "chain pod-ipv4") {
		t.Errorf("CHECK with chain pod-ipv4 flushed = %v, want an error naming the chain", err)
	}
}
