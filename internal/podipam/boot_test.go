package podipam

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
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
	now, err := os.ReadFile(bootIDPath)
	if err != nil {
		t.Fatal(err)
	}
	if noted, err := os.ReadFile(s.bootPath()); err != nil || !bytes.Equal(noted, now) {
		t.Errorf("boot file = %q (%v), want the running boot's ID %q", noted, err, now)
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
