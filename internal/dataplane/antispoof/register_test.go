package antispoof

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/testutil/poll"
)

func TestInstallWritesTheRulesetAndElementsNftReadsBack(t *testing.T) {
	freshTable(t)
	a := pod(1001, "10.244.1.2", "fd12:3456:789a:0:1::2")
	install(t, a, a, pod(1002, "10.244.1.3")) // a twice: a retried ADD
	dump := nftList(t)
	for _, want := range []string{
		"1001 . 02:00:00:00:03:e9 . 10.244.1.2",
		"1001 . 02:00:00:00:03:e9",
		"1002 . 02:00:00:00:03:ea . 10.244.1.3",
		"1001 . 02:00:00:00:03:e9 . fd12:3456:789a:0:1::2",
		"1001 . 02:00:00:00:03:e9 . fe80::ff:fe00:3e9",
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
	for _, want := range []string{"1002 . 02:00:00:00:03:ea . 10.244.1.3", "1002 . 02:00:00:00:03:ea . fd12:3456:789a:0:1::3", "1002 . 0xfd123456789a00000001000000000003"} {
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
	if out, err := exec.Command("nft", "delete", "element", "bridge", Table, ipv4Set, "{ 1001 . 02:00:00:00:03:e9 . 10.244.1.2 }").CombinedOutput(); err != nil {
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
