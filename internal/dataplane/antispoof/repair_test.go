package antispoof

import (
	"context"
	"maps"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/nodeboot"
)

func nft(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("nft", args...).CombinedOutput(); err != nil {
		t.Fatalf("nft %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// repair runs Repair with live as the node's pods and checks whether it wrote.
func repair(t *testing.T, wantWrote bool, live ...Pod) {
	t.Helper()
	wrote, err := Repair(context.Background(), func() ([]Pod, error) { return live, nil })
	if err != nil {
		t.Fatal(err)
	}
	if wrote != wantWrote {
		t.Errorf("Repair wrote the table: %v, want %v", wrote, wantWrote)
	}
}

func TestRepairLeavesAnIntactTableAlone(t *testing.T) {
	freshTable(t)
	a := pod(1001, "10.244.1.2", "fd12:3456:789a:0:1::2")
	install(t, a)
	before := nftList(t)
	repair(t, false, a)
	if after := nftList(t); after != before {
		t.Errorf("Repair changed an intact table:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// A whole table can still lack a pod: a set flushed by hand, or a ruleset saved before the pod
// started and loaded again. The pod's port would send nothing; Repair registers it again.
func TestRepairAddsAgainThePodsAWholeTableLacks(t *testing.T) {
	a, b := pod(1001, "10.244.1.2", "fd12:3456:789a:0:1::2"), pod(1002, "10.244.1.3", "fd12:3456:789a:0:1::3")
	t.Run("set flushed", func(t *testing.T) {
		freshTable(t)
		install(t, a, b)
		want := nftList(t)
		nft(t, "flush", "set", "bridge", Table, ipv6Set)
		repair(t, true, a, b)
		if got := nftList(t); got != want {
			t.Errorf("after Repair:\n%s\nwant\n%s", got, want)
		}
		repair(t, false, a, b)
	})
	t.Run("ruleset saved before the pod started", func(t *testing.T) {
		freshTable(t)
		install(t, a)
		saved := nftList(t)
		install(t, b)
		want := nftList(t)
		nft(t, "delete", "table", "bridge", Table)
		cmd := exec.Command("nft", "-f", "-")
		cmd.Stdin = strings.NewReader(saved)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("load the saved ruleset: %v: %s", err, out)
		}
		repair(t, true, a, b)
		if got := nftList(t); got != want {
			t.Errorf("after Repair:\n%s\nwant\n%s", got, want)
		}
	})
}

// What a firewall reload or a hand leaves behind: each is written again, with the node's pods.
func TestRepairWritesAgainWhatIsGone(t *testing.T) {
	for name, breakIt := range map[string][]string{
		"table deleted":       {"delete", "table", "bridge", Table},
		"base chain flushed":  {"flush", "chain", "bridge", Table, baseChain},
		"IPv6 chain flushed":  {"flush", "chain", "bridge", Table, ipv6Chain},
		"NA targets set gone": {"delete", "set", "bridge", Table, naTargetsSet},
	} {
		t.Run(name, func(t *testing.T) {
			freshTable(t)
			a, b := pod(1001, "10.244.1.2", "fd12:3456:789a:0:1::2"), pod(1002, "10.244.1.3")
			install(t, a, b)
			want := nftList(t)
			if name == "NA targets set gone" { // a rule refers to the set: its chain goes first
				nft(t, "flush", "chain", "bridge", Table, naChain)
			}
			nft(t, breakIt...)
			repair(t, true, a, b)
			if got := nftList(t); got != want {
				t.Errorf("after Repair:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestRepairReplacesAnIncompatibleTable(t *testing.T) {
	freshTable(t)
	nft(t, "table bridge "+Table+" { map ports { type ifname : verdict; }; }")
	repair(t, true, pod(1002, "10.244.1.3"))
	if got := indexes(t); !slices.Equal(got, []int{1002}) {
		t.Errorf("registered ports %v, want [1002]", got)
	}
}

// A pod that registers while the table is being replaced (its veth exists by then, so the
// node's pods listed after the replace include it) keeps its registration.
func TestReplacingATableKeepsAPodThatRegisteredMeanwhile(t *testing.T) {
	freshTable(t)
	nft(t, "table bridge "+Table+" { map ports { type ifname : verdict; }; }")
	a, b := pod(1001, "10.244.1.2"), pod(1002, "10.244.1.3")
	calls := 0
	live := func() ([]Pod, error) { // b registers between the first listing and the replace
		if calls++; calls == 1 {
			return []Pod{a}, nil
		}
		return []Pod{a, b}, nil
	}
	if wrote, err := Repair(context.Background(), live); err != nil || !wrote {
		t.Fatalf("Repair: wrote %v, %v", wrote, err)
	}
	if got := indexes(t); !slices.Equal(got, []int{1001, 1002}) {
		t.Errorf("registered ports %v, want [1001 1002]", got)
	}
}

// A ruleset saved in another boot and loaded again (at boot, or by a firewall reload later in
// this one) holds that boot's pods under indexes this boot hands out again: here index 1001,
// now another pod's. Repair replaces it with the live pods, and only them; and so it does a
// table that names no boot (an earlier dualnet's, or one whose boot chain was deleted). A node
// that runs in a container gets a new network namespace, with indexes starting over, when it
// restarts, and the boot ID stays: a table of another namespace is another boot's too, and so
// is one that an earlier dualnet stamped with the boot alone.
func TestRepairReplacesATableOfAnotherBootOrOfNone(t *testing.T) {
	this := nodeboot.Now{Boot: "11111111-2222-4333-8444-555555555555", Netns: "8"}
	earlier := pod(1001, "10.244.1.2", "fd12:3456:789a:0:1::2")
	earlier.MAC = net.HardwareAddr{0x02, 0xee, 0, 0, 0, 1}
	now := pod(1001, "10.244.1.7", "fd12:3456:789a:0:1::7")
	for name, then := range map[string]nodeboot.Now{
		"another boot":                   {Boot: "00000000-0000-4000-8000-000000000000", Netns: "8"},
		"another namespace":              {Boot: this.Boot, Netns: "7"},
		"this boot, namespace not noted": {Boot: this.Boot},
		"no boot":                        {}, // cannot be told: no boot chain is written
	} {
		t.Run(name, func(t *testing.T) {
			freshTable(t)
			inBoot(t, then, func() { install(t, earlier, pod(1003, "10.244.1.4")) })
			inBoot(t, this, func() {
				repair(t, true, now)
				regs, err := Pods(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if got := slices.Sorted(maps.Keys(regs)); !slices.Equal(got, []int{1001}) {
					t.Errorf("registered ports %v, want only [1001], the live pod's", got)
				}
				if got := regs[1001]; !got.holds(now) || got.MAC.String() != now.MAC.String() || len(got.Addrs) != len(now.Sources()) {
					t.Errorf("port 1001 holds MAC %s and %v, want only the live pod's %s and %v", got.MAC, got.Addrs, now.MAC, now.Sources())
				}
				table := nftList(t)
				if strings.Count(table, "chain boot-") != 1 || strings.Count(table, "chain netns-") != 1 ||
					!strings.Contains(table, "chain boot-"+this.Boot+" ") || !strings.Contains(table, "chain netns-"+this.Netns+" ") {
					t.Errorf("the table names another boot or namespace than %+v, or several:\n%s", this, table)
				}
				repair(t, false, now)
			})
		})
	}
}

// A kernel without namespace cookies (before Linux 5.14) tells boots alone: the table gets no
// netns chain, and one of another boot is still replaced.
func TestRepairWithoutNamespaceCookiesTellsBootsAlone(t *testing.T) {
	this := nodeboot.Now{Boot: "11111111-2222-4333-8444-555555555555"}
	freshTable(t)
	inBoot(t, nodeboot.Now{Boot: "00000000-0000-4000-8000-000000000000"}, func() { install(t, pod(1001, "10.244.1.2")) })
	inBoot(t, this, func() {
		repair(t, true, pod(1002, "10.244.1.3"))
		if got := indexes(t); !slices.Equal(got, []int{1002}) {
			t.Errorf("registered ports %v, want [1002]", got)
		}
		table := nftList(t)
		if !strings.Contains(table, "chain boot-"+this.Boot+" ") || strings.Count(table, "chain boot-") != 1 || strings.Contains(table, "chain netns-") {
			t.Errorf("the table names another boot than %s, several, or a namespace:\n%s", this.Boot, table)
		}
		repair(t, false, pod(1002, "10.244.1.3"))
	})
}

// inBoot runs f as if nodeboot.Read returned now; a zero now cannot be told.
func inBoot(t *testing.T, now nodeboot.Now, f func()) {
	t.Helper()
	defer func(real func() (nodeboot.Now, bool)) { currentBoot = real }(currentBoot)
	currentBoot = func() (nodeboot.Now, bool) { return now, now.Boot != "" }
	f()
}
