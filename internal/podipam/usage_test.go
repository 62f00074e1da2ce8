package podipam_test

import (
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/dualnet/dualnet/internal/podipam"
)

func TestUsageCountsTheStoreReservationsOfEachRange(t *testing.T) {
	dir := t.TempDir()
	ranges := []netip.Prefix{netip.MustParsePrefix("10.244.1.0/24"), netip.MustParsePrefix("fd12:3456:789a:0:1::/80")}
	store, err := podipam.Open(dir, ranges)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := store.Allocate(podipam.Key{ContainerID: fmt.Sprintf("c%d", i), IfName: "eth0"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Release(podipam.Key{ContainerID: "c2", IfName: "eth0"}); err != nil {
		t.Fatal(err)
	}
	// A reservation of the node's previous range: the allocator can no longer hand it out.
	if err := os.WriteFile(filepath.Join(dir, "ip", "10.244.9.2"), []byte("old:eth0"), 0o600); err != nil {
		t.Fatal(err)
	}

	got, err := podipam.ReadUsage(dir, ranges)
	if err != nil {
		t.Fatal(err)
	}
	want := []podipam.Usage{
		{Range: ranges[0], InUse: 4, Capacity: 253},
		{Range: ranges[1], InUse: 4, Capacity: 1<<48 - 2},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ReadUsage = %v, want %v", got, want)
	}
}

// TestUsageCapacityIsWhatTheAllocatorHandsOut fills a small range with the real allocator:
// the count it reaches before ErrExhausted is the capacity.
func TestUsageCapacityIsWhatTheAllocatorHandsOut(t *testing.T) {
	for _, r := range []string{"10.0.0.0/28", "10.0.0.0/30", "10.0.0.0/31", "fd00::/124", "fd00::/127"} {
		t.Run(r, func(t *testing.T) {
			p := netip.MustParsePrefix(r)
			dir := t.TempDir()
			store, err := podipam.Open(dir, []netip.Prefix{p})
			if err != nil {
				t.Fatal(err)
			}
			var handedOut uint64
			for ; ; handedOut++ {
				if _, err := store.Allocate(podipam.Key{ContainerID: fmt.Sprintf("c%d", handedOut), IfName: "eth0"}); err != nil {
					break
				}
			}
			if c := podipam.Capacity(p); c != handedOut {
				t.Errorf("Capacity(%s) = %d, the allocator handed out %d", p, c, handedOut)
			}
			got, err := podipam.ReadUsage(dir, []netip.Prefix{p})
			if err != nil {
				t.Fatal(err)
			}
			if got[0].InUse != handedOut || got[0].Capacity != handedOut {
				t.Errorf("ReadUsage of a full range = %+v, want %d of %d in use", got[0], handedOut, handedOut)
			}
		})
	}
}

func TestUsageCapacityOfLargeRanges(t *testing.T) {
	for r, want := range map[string]uint64{
		"10.244.0.0/16":       1<<16 - 3,
		"fd12:3456:789a::/80": 1<<48 - 2,
		"fd12:3456:789a::/64": math.MaxUint64 - 1,
		"fd12:3456:789a::/48": math.MaxUint64,
	} {
		if got := podipam.Capacity(netip.MustParsePrefix(r)); got != want {
			t.Errorf("Capacity(%s) = %d, want %d", r, got, want)
		}
	}
}

// TestUsageDoesNotWaitForTheStoreLock reads while another process (here: this test) holds
// the store's flock, as a plugin in the middle of an ADD does.
func TestUsageDoesNotWaitForTheStoreLock(t *testing.T) {
	dir := t.TempDir()
	r := netip.MustParsePrefix("10.244.1.0/24")
	store, err := podipam.Open(dir, []netip.Prefix{r})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Allocate(podipam.Key{ContainerID: "c", IfName: "eth0"}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	// ReadUsage returning at all is the check: had it taken the lock, the test would hang
	// until go test's timeout names it.
	got, err := podipam.ReadUsage(dir, []netip.Prefix{r})
	if err != nil || got[0].InUse != 1 {
		t.Errorf("ReadUsage under the lock = %v, %v, want 1 in use", got, err)
	}
}

func TestUsageOfAStoreNotCreatedYetIsZero(t *testing.T) {
	r := netip.MustParsePrefix("10.244.1.0/24")
	got, err := podipam.ReadUsage(filepath.Join(t.TempDir(), "none"), []netip.Prefix{r})
	if err != nil || len(got) != 1 || got[0].InUse != 0 || got[0].Capacity != 253 {
		t.Errorf("ReadUsage of a store the plugin has not created = %v, %v, want 0 of 253 in use", got, err)
	}
}

func TestUsageOfAnUnreadableStoreIsAnError(t *testing.T) {
	dir := t.TempDir()
	// ip is a file, not a directory: listing it fails with something other than "not exist".
	if err := os.WriteFile(filepath.Join(dir, "ip"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := podipam.ReadUsage(dir, nil); err == nil {
		t.Error("ReadUsage of a store whose ip is not a directory: no error")
	}
}
