package podipam

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

var dual = []netip.Prefix{netip.MustParsePrefix("10.244.1.0/24"), netip.MustParsePrefix("fd12:3456:789a:0:1::/80")}

func open(t *testing.T, ranges []netip.Prefix) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), ranges)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func mustAllocate(t *testing.T, s *Store, k Key) []netip.Addr {
	t.Helper()
	got, err := s.Allocate(k)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func equal(a, b []netip.Addr) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestAllocateHandsOutLowestAddressesFromTwoUpward(t *testing.T) {
	s := open(t, dual)
	if got, want := mustAllocate(t, s, Key{"a", "eth0"}), addrs("10.244.1.2", "fd12:3456:789a:0:1::2"); !equal(got, want) {
		t.Errorf("first = %v, want %v", got, want)
	}
	if got, want := mustAllocate(t, s, Key{"b", "eth0"}), addrs("10.244.1.3", "fd12:3456:789a:0:1::3"); !equal(got, want) {
		t.Errorf("second = %v, want %v", got, want)
	}
	if got, want := mustAllocate(t, s, Key{"a", "eth0"}), addrs("10.244.1.2", "fd12:3456:789a:0:1::2"); !equal(got, want) {
		t.Errorf("repeated ADD = %v, want the same %v", got, want)
	}
}

func TestReleaseFreesBothFamiliesAndIsIdempotent(t *testing.T) {
	s := open(t, dual)
	k := Key{"a", "eth0"}
	mustAllocate(t, s, k)
	for i := 0; i < 2; i++ {
		if err := s.Release(k); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _ := s.Lookup(k); ok {
		t.Error("record still there after Release")
	}
	if used, _ := s.reserved(); len(used) != 0 {
		t.Errorf("reservations after release: %v, want none", used)
	}
	// The released addresses come back only after the rest of the range (last.go).
	if got, want := mustAllocate(t, s, Key{"b", "eth0"}), addrs("10.244.1.3", "fd12:3456:789a:0:1::3"); !equal(got, want) {
		t.Errorf("after release = %v, want the next in turn %v", got, want)
	}
}

func TestAllocateReportsExhaustedRange(t *testing.T) {
	s := open(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/30")})
	mustAllocate(t, s, Key{"a", "eth0"}) // .2 is the only pod address of a /30
	_, err := s.Allocate(Key{"b", "eth0"})
	if !errors.Is(err, ErrExhausted) {
		t.Fatalf("Allocate = %v, want ErrExhausted", err)
	}
}

func TestConcurrentAllocationsAreDistinct(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	results := make([][]netip.Addr, 40)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(dir, dual) // one Store per "process"
			if err != nil {
				t.Error(err)
				return
			}
			results[i], err = s.Allocate(Key{fmt.Sprint("c", i), "eth0"})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	seen := map[netip.Addr]bool{}
	for _, r := range results {
		for _, a := range r {
			if seen[a] {
				t.Errorf("%s handed out twice", a)
			}
			seen[a] = true
		}
	}
	if len(seen) != 80 {
		t.Errorf("%d distinct addresses, want 80", len(seen))
	}
}

func TestGCReleasesInvalidAttachmentsAndOrphanReservations(t *testing.T) {
	s := open(t, dual)
	keep, drop := Key{"keep", "eth0"}, Key{"drop", "eth0"}
	mustAllocate(t, s, keep)
	mustAllocate(t, s, drop)
	// A plugin killed between creating a reservation and writing its owner.
	if err := os.WriteFile(filepath.Join(s.dir, "ip", "10.244.1.9"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A plugin killed after writing the record of an attachment, before its reservations.
	if err := os.WriteFile(s.podPath(Key{"half", "eth0"}), []byte("10.244.1.2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	released, err := s.GC(func(k Key) bool { return k == keep })
	if err != nil {
		t.Fatal(err)
	}
	if len(released) != 2 {
		t.Errorf("released %v, want drop and half", released)
	}
	left, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].Key != keep || !equal(left[0].Addrs, addrs("10.244.1.2", "fd12:3456:789a:0:1::2")) {
		t.Errorf("left after GC: %+v, want only keep with its addresses", left)
	}
	used, _ := s.reserved()
	if len(used) != 2 {
		t.Errorf("reservations after GC: %v, want keep's two", used)
	}
}

// A reservation the store cannot read may be a live pod's: GC keeps it and still does the
// rest, then says what it could not read; a release keeps it too, and succeeds, so that the
// runtime's DEL does not fail for good.
func TestAReservationThatCannotBeReadIsKept(t *testing.T) {
	s := open(t, dual)
	keep, drop, gone := Key{"keep", "eth0"}, Key{"drop", "eth0"}, Key{"gone", "eth0"}
	mustAllocate(t, s, keep)
	mustAllocate(t, s, drop)
	goneAddrs := mustAllocate(t, s, gone)
	// Directories in place of reservation files: reading them fails with EISDIR, an error
	// other than "not exist", as EIO would. One is an address of no record, one gone's IPv4.
	orphan := filepath.Join(s.dir, "ip", "10.244.1.9")
	gonesV4 := s.ipPath(goneAddrs[0])
	for _, path := range []string{orphan, gonesV4} {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Release(gone); err != nil {
		t.Errorf("release with an unreadable reservation: %v, want it done", err)
	}
	if _, recorded, _ := s.Lookup(gone); recorded {
		t.Errorf("%s still has a record after its release", gone)
	}
	released, err := s.GC(func(k Key) bool { return k == keep })
	if err == nil || !strings.Contains(err.Error(), "read reservation") {
		t.Errorf("GC over unreadable reservations: error %v, want one about reading them", err)
	}
	if len(released) != 1 || released[0] != drop {
		t.Errorf("GC released %v, want %v as if nothing were unreadable", released, drop)
	}
	for _, path := range []string{orphan, gonesV4} {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("the unreadable reservation %s is gone: %v", path, err)
		}
	}
	if held := reservationsOf(t, s, keep); len(held) != 2 {
		t.Errorf("%s holds reservations %v, want its two", keep, held)
	}
	if held := reservationsOf(t, s, drop); len(held) != 0 {
		t.Errorf("%s still holds reservations %v", drop, held)
	}
}

// reservationsOf lists the addresses reserved for k.
func reservationsOf(t *testing.T, s *Store, k Key) []netip.Addr {
	t.Helper()
	used, err := s.reserved()
	if err != nil {
		t.Fatal(err)
	}
	var out []netip.Addr
	for a := range used {
		if owner, ok, _ := s.owner(a); ok && owner == k {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}

func TestReallocationAfterThePodCIDRChangedFreesTheOldReservations(t *testing.T) {
	dir := t.TempDir()
	k := Key{"a", "eth0"}
	old, err := Open(dir, dual)
	if err != nil {
		t.Fatal(err)
	}
	mustAllocate(t, old, k)
	moved, err := Open(dir, []netip.Prefix{netip.MustParsePrefix("10.244.7.0/24"), dual[1]})
	if err != nil {
		t.Fatal(err)
	}
	got := mustAllocate(t, moved, k)
	if want := addrs("10.244.7.2", "fd12:3456:789a:0:1::3"); !equal(got, want) {
		t.Errorf("after the move = %v, want %v", got, want)
	}
	// The old record's 10.244.1.2 and ::2 must be free: k holds only its new record's.
	if held := reservationsOf(t, moved, k); !equal(held, got) {
		t.Errorf("%s holds reservations %v, want only its record's %v", k, held, got)
	}
}

func TestReallocationWhenAnAddressWasTakenFreesTheRestOfTheOldRecord(t *testing.T) {
	s := open(t, dual)
	k, thief := Key{"a", "eth0"}, Key{"thief", "eth0"}
	mustAllocate(t, s, k) // .2 and ::2
	// k's IPv6 reservation went missing and another attachment took ::2 meanwhile.
	v6 := netip.MustParseAddr("fd12:3456:789a:0:1::2")
	if err := os.Remove(s.ipPath(v6)); err != nil {
		t.Fatal(err)
	}
	if err := s.reserve(v6, thief); err != nil {
		t.Fatal(err)
	}
	got := mustAllocate(t, s, k)
	if want := addrs("10.244.1.3", "fd12:3456:789a:0:1::3"); !equal(got, want) {
		t.Errorf("reallocated = %v, want %v (the next in turn; .2 freed, ::2 left to the thief)", got, want)
	}
	if held := reservationsOf(t, s, k); !equal(held, got) {
		t.Errorf("%s holds reservations %v, want only its record's %v", k, held, got)
	}
	if owner, _, _ := s.owner(v6); owner != thief {
		t.Errorf("%s now belongs to %v, want it left to %v", v6, owner, thief)
	}
}

// A reservation the store cannot write (here ip/ is a read-only filesystem) fails the
// allocation and leaves no record behind: the record would name addresses nobody holds, and
// nothing would free it, since ADD tears down only what Allocate returned and a runtime need
// not send DEL for an ADD that failed.
func TestAFailedReservationLeavesNoRecord(t *testing.T) {
	s := open(t, dual)
	ipDir := filepath.Join(s.dir, "ip")
	if err := unix.Mount("dualnet-test-ro", ipDir, "tmpfs", unix.MS_RDONLY, ""); err != nil {
		t.Fatalf("mount a read-only tmpfs on %s: %v", ipDir, err)
	}
	mounted := true
	unmount := func() {
		if mounted {
			if err := unix.Unmount(ipDir, unix.MNT_DETACH); err != nil {
				t.Errorf("unmount %s: %v", ipDir, err)
			}
			mounted = false
		}
	}
	t.Cleanup(unmount)
	k := Key{ContainerID: "c1", IfName: "eth0"}
	if got, err := s.Allocate(k); !errors.Is(err, unix.EROFS) {
		t.Fatalf("Allocate with ip/ read-only = %v, %v; want EROFS", got, err)
	}
	if got, recorded, err := s.Lookup(k); err != nil || recorded {
		t.Errorf("after the failed allocation, the record holds %v (recorded %v, %v); want none", got, recorded, err)
	}
	unmount()
	if got, want := mustAllocate(t, s, k), addrs("10.244.1.2", "fd12:3456:789a:0:1::2"); !slices.Equal(got, want) {
		t.Errorf("once the store can write, Allocate = %v, want %v", got, want)
	}
}

// Allocate asks the disk about the few addresses after the last one handed out, and reads
// every reservation only when those are all held: either way it must take the first free
// address in turn.
func TestAllocateTakesTheFirstFreeAddressAfterTheLastNearOrFar(t *testing.T) {
	held := probeLimit + 4 // .2 up to .(held+1), ::2 up; then one in the middle is freed
	freed := Key{fmt.Sprintf("pod%d", held-2), "eth0"}
	want := addrs(fmt.Sprintf("10.244.1.%d", held), fmt.Sprintf("fd12:3456:789a:0:1::%x", held))
	for _, c := range []struct {
		name   string
		last   []netip.Addr
		probed bool // whether the freed address is among those probeFree asks about
	}{
		{"within the probed addresses", addrs(fmt.Sprintf("10.244.1.%d", held-3), fmt.Sprintf("fd12:3456:789a:0:1::%x", held-3)), true},
		{"past them", addrs("10.244.1.2", "fd12:3456:789a:0:1::2"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := open(t, dual)
			for i := range held {
				mustAllocate(t, s, Key{fmt.Sprintf("pod%d", i), "eth0"})
			}
			if err := s.Release(freed); err != nil {
				t.Fatal(err)
			}
			if err := s.writeLast(c.last); err != nil {
				t.Fatal(err)
			}
			ipDir, err := os.Open(s.ipDirPath())
			if err != nil {
				t.Fatal(err)
			}
			defer ipDir.Close()
			for i, r := range s.ranges {
				a, ok := probeFree(ipDir, r, c.last[i])
				if ok != c.probed || (ok && a != want[i]) {
					t.Errorf("probeFree(%s after %s) = %s, %v; want %v (%s)", r, c.last[i], a, ok, c.probed, want[i])
				}
			}
			if got := mustAllocate(t, s, Key{"new", "eth0"}); !equal(got, want) {
				t.Errorf("after %v, with all but %v held from .2 up: %v, want %v", c.last, want, got, want)
			}
		})
	}
}
