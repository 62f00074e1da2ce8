package antispoof

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
	"github.com/dualnet/dualnet/internal/testutil/poll"
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

func TestInstallWritesTheRulesetAndElementsNftReadsBack(t *testing.T) {
	freshTable(t)
	a := pod(1001, "10.244.1.2", "fd12:3456:789a:0:1::2")
	install(t, a, a, pod(1002, "10.244.1.3")) // a twice: a retried ADD
	dump := nftList(t)
	for _, want := range []string{
		"1001 . 10.244.1.2",
		"1001 . 02:00:00:00:03:e9",
		"1002 . 10.244.1.3",
		"1001 . fd12:3456:789a:0:1::2",
		"1001 . fe80::ff:fe00:3e9",
		"1001 . 0xfd123456789a00000001000000000002",
		"1001 . 0xfe80000000000000000000fffe0003e9",
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("want %q in\n%s", want, dump)
		}
	}
	pods, err := Pods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 2 {
		t.Errorf("Pods: %v, want 1001 and 1002", pods)
	}
	if !pods[1001].Port || pods[1001].MAC.String() != "02:00:00:00:03:e9" {
		t.Errorf("Pods: 1001 is %+v, want its port and MAC registered", pods[1001])
	}
	if got := fmt.Sprint(pods[1001].Addrs); got != "[10.244.1.2 fd12:3456:789a:0:1::2 fe80::ff:fe00:3e9]" {
		t.Errorf("Pods: 1001 has %v", got)
	}
}

func TestRetireTakesOnlyThatPodAndToleratesWhatIsGone(t *testing.T) {
	freshTable(t)
	a, b := pod(1001, "10.244.1.2", "fd12:3456:789a:0:1::2"), pod(1002, "10.244.1.3", "fd12:3456:789a:0:1::3")
	if err := Retire(a); err != nil { // DEL before the node's first ADD: no table yet
		t.Fatalf("Retire without a table: %v", err)
	}
	install(t, a, b)
	for range 2 { // DEL is idempotent
		if err := Retire(a); err != nil {
			t.Fatal(err)
		}
	}
	poll.Eventually(t, 2*time.Second, "pod 1001's elements expire", func() error {
		if got := indexes(t); !slices.Equal(got, []int{1002}) {
			return fmt.Errorf("registered ports %v, want [1002]", got)
		}
		return nil
	})
	dump := nftList(t)
	for _, want := range []string{"1002 . 10.244.1.3", "1002 . fd12:3456:789a:0:1::3", "1002 . 0xfd123456789a00000001000000000003"} {
		if !strings.Contains(dump, want) {
			t.Errorf("pod 1002's %q went away with 1001:\n%s", want, dump)
		}
	}
}

func TestRemoveTakesOnlyThatPodAndToleratesWhatIsGone(t *testing.T) {
	freshTable(t)
	a, b := pod(1001, "10.244.1.2", "fd12:3456:789a:0:1::2"), pod(1002, "10.244.1.3")
	if err := Remove(a); err != nil {
		t.Fatalf("Remove without a table: %v", err)
	}
	install(t, a, b)
	// Half gone (an operator deleted one element): the rest still goes.
	if out, err := exec.Command("nft", "delete", "element", "bridge", Table, ipv4Set, "{ 1001 . 10.244.1.2 }").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for range 2 {
		if err := Remove(a); err != nil {
			t.Fatal(err)
		}
	}
	if got := indexes(t); !slices.Equal(got, []int{1002}) {
		t.Errorf("after Remove: registered ports %v, want [1002]", got)
	}
	if dump := nftList(t); strings.Contains(dump, "0xfd123456789a00000001000000000002") {
		t.Errorf("Remove left 1001's NA target:\n%s", dump)
	}
}

func TestGCRemovesExactlyThePodsNotKept(t *testing.T) {
	freshTable(t)
	for i := range 3 {
		install(t, pod(1001+i, fmt.Sprintf("10.244.1.%d", i+2), fmt.Sprintf("fd12:3456:789a:0:1::%d", i+2)))
	}
	removed, err := GC(context.Background(), func(index int) bool { return index == 1002 })
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if !slices.Equal(removed, []int{1001, 1003}) {
		t.Errorf("GC removed %v, want [1001 1003]", removed)
	}
	if got := indexes(t); !slices.Equal(got, []int{1002}) {
		t.Errorf("after GC: registered ports %v, want [1002]", got)
	}
}

// A firewall reload (nft flush ruleset) takes the table away; the next ADD writes it again
// with every pod the node has, not just its own.
func TestTableWrittenAgainKeepsTheNodesOtherPods(t *testing.T) {
	freshTable(t)
	a, b := pod(1001, "10.244.1.2", "fd12:3456:789a:0:1::2"), pod(1002, "10.244.1.3")
	install(t, a, b)
	if out, err := exec.Command("nft", "delete", "table", "bridge", Table).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	c := pod(1003, "10.244.1.4")
	live := func() ([]Pod, error) { return []Pod{a, b}, nil }
	if err := Install(context.Background(), c, live); err != nil {
		t.Fatal(err)
	}
	if got := indexes(t); !slices.Equal(got, []int{1001, 1002, 1003}) {
		t.Errorf("registered ports %v, want [1001 1002 1003]", got)
	}
	if dump := nftList(t); !strings.Contains(dump, "1001 . 0xfd123456789a00000001000000000002") {
		t.Errorf("pod 1001's NA target is missing:\n%s", dump)
	}
}

// A table with the same name and other set types (another dualnet version's) gives way.
func TestIncompatibleTableIsReplaced(t *testing.T) {
	freshTable(t)
	old := "table bridge " + Table + " { map ports { type ifname : verdict; }; }"
	if out, err := exec.Command("nft", old).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	a := pod(1001, "10.244.1.2")
	live := func() ([]Pod, error) { return []Pod{pod(1002, "10.244.1.3")}, nil }
	if err := Install(context.Background(), a, live); err != nil {
		t.Fatal(err)
	}
	if got := indexes(t); !slices.Equal(got, []int{1001, 1002}) {
		t.Errorf("registered ports %v, want [1001 1002]", got)
	}
}

func TestInstallNeedsTheMAC(t *testing.T) {
	p := pod(1001, "10.244.1.2")
	p.MAC = nil
	if err := Install(context.Background(), p, none); err == nil || !strings.Contains(err.Error(), "MAC") {
		t.Errorf("Install without a MAC: %v, want an error about the MAC", err)
	}
}

// A missing set fails a whole batch; Retire still retires what the other sets hold.
func TestRetireWithASetMissingRetiresTheRest(t *testing.T) {
	freshTable(t)
	a := pod(1001, "10.244.1.2", "fd12:3456:789a:0:1::2")
	install(t, a)
	for _, cmd := range [][]string{{"flush", "chain", "bridge", Table, naChain}, {"delete", "set", "bridge", Table, naTargetsSet}} {
		if out, err := exec.Command("nft", cmd...).CombinedOutput(); err != nil {
			t.Fatalf("nft %v: %v: %s", cmd, err, out)
		}
	}
	if err := Retire(a); err != nil {
		t.Fatal(err)
	}
	poll.Eventually(t, 2*time.Second, "the retired elements expire", func() error {
		if got := indexes(t); len(got) != 0 {
			return fmt.Errorf("registered ports %v, want none", got)
		}
		return nil
	})
}

// GC deletes in a few transactions (each waits for the kernel once), more pods than one
// batch holds, and a pod with some elements already gone fails the batch it is in but
// not the GC.
func TestGCRemovesMorePodsThanABatchEvenWithSomeElementsGone(t *testing.T) {
	freshTable(t)
	n := removeBatch*2 + 10
	for i := range n {
		install(t, pod(1001+i, fmt.Sprintf("10.244.%d.%d", 1+i/250, 2+i%250), fmt.Sprintf("fd12:3456:789a:0:1::%x", 2+i)))
	}
	partly := pod(1001, "10.244.1.2") // its port and IPv4 elements go; its MAC and IPv6 ones stay
	partly.MAC = nil
	if err := Remove(partly); err != nil {
		t.Fatal(err)
	}
	removed, err := GC(context.Background(), func(int) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != n {
		t.Errorf("GC removed %d ports, want %d", len(removed), n)
	}
	if got := indexes(t); len(got) != 0 {
		t.Errorf("after GC: %d ports still registered", len(got))
	}
}
