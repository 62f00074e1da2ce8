package antispoof

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
)

// TestMain runs the package in a network namespace of its own: the tests below write the
// table into the kernel and read it back with nft. The interface indexes they register
// belong to no interface, so nft prints them as numbers.
func TestMain(m *testing.M) {
	if err := cnitest.RunInNodeNamespace(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func nftList(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("nft", "list", "table", "bridge", Table).CombinedOutput()
	if err != nil {
		t.Fatalf("nft list table: %v\n%s", err, out)
	}
	return string(out)
}

func freshTable(t *testing.T) {
	t.Helper()
	_ = exec.Command("nft", "delete", "table", "bridge", Table).Run()
	t.Cleanup(func() { _ = exec.Command("nft", "delete", "table", "bridge", Table).Run() })
}

// none is the live pods of a node that has no other pods.
func none() ([]Pod, error) { return nil, nil }

func install(t *testing.T, pods ...Pod) {
	t.Helper()
	for _, p := range pods {
		if err := Install(context.Background(), p, none); err != nil {
			t.Fatal(err)
		}
	}
}

func indexes(t *testing.T) []int {
	t.Helper()
	pods, err := Pods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(pods))
}
