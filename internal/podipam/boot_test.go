package podipam

import (
	"errors"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/nodeboot"
	"github.com/dualnet/dualnet/internal/testutil/freshns"
)

// noteEarlierBoot makes the store look written in another boot: its boot file holds an ID the
// running kernel does not have.
func noteEarlierBoot(t *testing.T, s *Store) {
	t.Helper()
	if err := os.WriteFile(s.bootPath(), []byte("00000000-0000-4000-8000-000000000000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func keys(t *testing.T, s *Store) []Key {
	t.Helper()
	all, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var out []Key
	for _, a := range all {
		out = append(out, a.Key)
	}
	return out
}

func TestTheFirstAllocationAfterARebootReleasesThePodsOfTheEarlierBoot(t *testing.T) {
	// A /29 holds five pod addresses: the earlier boot's pods hold them all.
	s := open(t, []netip.Prefix{netip.MustParsePrefix("10.244.1.0/29")})
	s.Gone = func(Key) bool { return true } // the reboot took every interface
	for _, cid := range []string{"a", "b", "c", "d"} {
		mustAllocate(t, s, Key{cid, "eth0"})
	}
	// A plugin killed inside reserve leaves a reservation without a record.
	if err := s.reserve(addrs("10.244.1.6")[0], Key{"killed", "eth0"}); err != nil {
		t.Fatal(err)
	}
	noteEarlierBoot(t, s)

	got, err := s.Allocate(Key{"e", "eth0"})
	if err != nil {
		t.Fatalf("first ADD after the reboot: %v: the earlier boot's pods still hold the range", err)
	}
	if got := keys(t, s); len(got) != 1 || got[0] != (Key{"e", "eth0"}) {
		t.Errorf("attachments after the reboot = %v, want only e:eth0", got)
	}
	if used, _ := s.reserved(); len(used) != 1 || !used[got[0]] {
		t.Errorf("reservations after the reboot = %v, want only e's %v", used, got)
	}
	wantNoted(t, s, readNow(t))
}

func readNow(t *testing.T) nodeboot.Now {
	t.Helper()
	now, ok := nodeboot.Read()
	if !ok {
		t.Fatal("cannot read the kernel's boot ID and the namespace's cookie")
	}
	return now
}

// wantNoted checks that the store notes the boot now: the boot file as a dualnet that noted
// no namespace reads it, and the namespace in a file of its own.
func wantNoted(t *testing.T, s *Store, now nodeboot.Now) {
	t.Helper()
	if noted, err := os.ReadFile(s.bootPath()); err != nil || string(noted) != now.Boot+"\n" {
		t.Errorf("boot file = %q (%v), want the running boot's ID %q", noted, err, now.Boot)
	}
	if noted, err := os.ReadFile(s.netnsPath()); err != nil || string(noted) != now.Boot+" "+now.Netns+"\n" {
		t.Errorf("boot-netns file = %q (%v), want the boot and the namespace's cookie %q", noted, err, now.Boot+" "+now.Netns)
	}
}

// A node that runs in a container (kind's) gets a new network namespace, with interface
// indexes starting over, when it restarts; the kernel's boot ID stays. Its pods are gone as
// after a reboot, and the first allocation in the new namespace must release them.
func TestTheFirstAllocationInANewNodeNamespaceReleasesThePodsOfTheOldOne(t *testing.T) {
	s := open(t, dual)
	mustAllocate(t, s, Key{"a", "eth0"})
	mustAllocate(t, s, Key{"b", "eth0"})
	s.Gone = func(Key) bool { return true } // the old namespace took every interface

	// The restarted node.
	var now nodeboot.Now
	var after []Key
	err := freshns.Do(func() error {
		if _, err := s.Allocate(Key{"c", "eth0"}); err != nil {
			return err
		}
		all, err := s.List()
		for _, a := range all {
			after = append(after, a.Key)
		}
		now, _ = nodeboot.Read()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 1 || after[0] != (Key{"c", "eth0"}) {
		t.Errorf("attachments after the node's namespace was made anew = %v, want only c:eth0", after)
	}
	wantNoted(t, s, now)
}

// A dualnet that noted the boot ID alone wrote this boot's records: an upgrade keeps them and
// notes the namespace from then on. Its boot-netns file, from a boot before a rollback to
// such a dualnet, is no note at all.
func TestANoteOfThisBootWithoutTheNamespaceIsThisBoots(t *testing.T) {
	now := readNow(t)
	for name, netns := range map[string]string{
		"no namespace noted":             "",
		"a namespace of an earlier boot": "00000000-0000-4000-8000-000000000000 " + now.Netns + "1\n",
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t, dual)
			mustAllocate(t, s, Key{"a", "eth0"})
			if err := os.Remove(s.netnsPath()); err != nil {
				t.Fatal(err)
			}
			if netns != "" {
				if err := os.WriteFile(s.netnsPath(), []byte(netns), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s.Gone = func(Key) bool { return true }
			s.EarlierBoot = func() error { t.Error("EarlierBoot ran for a note of this boot"); return nil }
			mustAllocate(t, s, Key{"b", "eth0"})
			if got := keys(t, s); len(got) != 2 {
				t.Errorf("attachments = %v, want a and b: this boot's records must stay", got)
			}
			wantNoted(t, s, now)
		})
	}
}

// The previous release compares the boot file's bytes with the kernel's boot_id, and takes
// any difference for a reboot. Its plugin runs beside the new agent during an upgrade, and
// again after a rollback: the note must read to it as this boot's.
func TestTheBootFileIsWhatADualnetThatNotesNoNamespaceReads(t *testing.T) {
	s := open(t, dual)
	mustAllocate(t, s, Key{"a", "eth0"})
	kernel, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		t.Fatal(err)
	}
	if noted, err := os.ReadFile(s.bootPath()); err != nil || string(noted) != string(kernel) {
		t.Errorf("boot file = %q (%v), want the bytes of /proc/sys/kernel/random/boot_id, %q", noted, err, kernel)
	}
}

func TestAllocationsOfTheRunningBootStay(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, dual)
	if err != nil {
		t.Fatal(err)
	}
	mustAllocate(t, s, Key{"a", "eth0"})
	// Another plugin process, same boot.
	again, err := Open(dir, dual)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustAllocate(t, again, Key{"b", "eth0"}), addrs("10.244.1.3", "fd12:3456:789a:0:1::3"); !equal(got, want) {
		t.Errorf("second pod got %v, want %v", got, want)
	}
	if got := keys(t, again); len(got) != 2 {
		t.Errorf("attachments = %v, want a and b", got)
	}
}

// A store written by a dualnet that noted no boots cannot tell stale records from live ones,
// so it keeps them all.
func TestAStoreThatNotedNoBootKeepsItsRecords(t *testing.T) {
	s := open(t, dual)
	mustAllocate(t, s, Key{"a", "eth0"})
	if err := os.Remove(s.bootPath()); err != nil {
		t.Fatal(err)
	}
	if got, want := mustAllocate(t, s, Key{"b", "eth0"}), addrs("10.244.1.3", "fd12:3456:789a:0:1::3"); !equal(got, want) {
		t.Errorf("second pod got %v, want %v: a's record must stay", got, want)
	}
	if _, err := os.Stat(s.bootPath()); err != nil {
		t.Errorf("the boot is not noted after the allocation: %v", err)
	}
}

// After a rollback to a plugin that notes no boot, a reboot and the upgrade again, the store
// holds this boot's live pods under an earlier boot's note: only the records whose interface
// is gone are released.
func TestAnEarlierBootsRecordWhoseInterfaceLivesStays(t *testing.T) {
	s := open(t, dual)
	gone, live := Key{"gone", "eth0"}, Key{"live", "eth0"}
	mustAllocate(t, s, gone)
	held := mustAllocate(t, s, live)
	noteEarlierBoot(t, s)
	s.Gone = func(k Key) bool { return k != live }

	got := mustAllocate(t, s, Key{"new", "eth0"})
	if got := keys(t, s); len(got) != 2 || !slices.Contains(got, live) || slices.Contains(got, gone) {
		t.Errorf("attachments = %v, want live:eth0 and new:eth0", got)
	}
	if equal(got, held) {
		t.Errorf("the new pod got %v, the live pod's addresses", got)
	}
}

// A caller that cannot tell live records from stale ones (no Gone) keeps them all.
func TestWithoutGoneAnEarlierBootsRecordsStay(t *testing.T) {
	s := open(t, dual)
	mustAllocate(t, s, Key{"a", "eth0"})
	noteEarlierBoot(t, s)
	mustAllocate(t, s, Key{"b", "eth0"})
	if got := keys(t, s); len(got) != 2 {
		t.Errorf("attachments = %v, want a and b", got)
	}
}

// EarlierBoot is how the plugin clears the earlier boot's anti-spoofing elements: it must run
// once a boot, and a failure must leave the boot unnoted so that the next allocation retries.
func TestEarlierBootRunsUntilItSucceedsThenNotAgainThatBoot(t *testing.T) {
	s := open(t, dual)
	s.Gone = func(Key) bool { return true }
	mustAllocate(t, s, Key{"a", "eth0"})
	noteEarlierBoot(t, s)

	calls := 0
	s.EarlierBoot = func() error {
		calls++
		if calls == 1 {
			return errors.New("table busy")
		}
		return nil
	}
	if _, err := s.Allocate(Key{"b", "eth0"}); err == nil || !strings.Contains(err.Error(), "table busy") {
		t.Fatalf("allocation with EarlierBoot failing: error %v, want EarlierBoot's", err)
	}
	if got := keys(t, s); len(got) != 0 {
		t.Errorf("attachments after the failed allocation = %v, want none: a's was released, b's never made", got)
	}
	mustAllocate(t, s, Key{"b", "eth0"})
	mustAllocate(t, s, Key{"c", "eth0"})
	if calls != 2 {
		t.Errorf("EarlierBoot ran %d times, want 2: once failing, once succeeding, then not again in the same boot", calls)
	}
}
