package podipam

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/utils"
)

// keyOfLength is an attachment whose readable record name, "<cid>:eth0", is n bytes long.
func keyOfLength(n int) Key {
	return Key{ContainerID: strings.Repeat("c", n-len(":eth0")), IfName: "eth0"}
}

// storeFiles lists the store's records and reservations.
func storeFiles(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{"pod", "ip"} {
		names, err := readNames(filepath.Join(s.dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			out = append(out, sub+"/"+n)
		}
	}
	return out
}

// CNI puts no limit on a container ID's length, and a file name holds 255 bytes: every
// attachment the plugin accepts is allocated, listed and released, whatever its length,
// including the lengths whose record name leaves no room for the spare pool's prefix.
func TestAttachmentsOfAnyIDLengthAllocateListAndRelease(t *testing.T) {
	for _, n := range []int{6, 250, 251, 252, 254, 255, 256, 300, 4000} {
		s := open(t, dual)
		k := keyOfLength(n)
		got := mustAllocate(t, s, k)
		if name := filepath.Base(s.podPath(k)); len(name) > maxName || (n <= maxName) != (name == k.String()) {
			t.Errorf("length %d: record name %q; want the readable name up to %d bytes, a hash beyond", n, name, maxName)
		}
		held, ok, err := s.Lookup(k)
		if err != nil || !ok || !equal(held, got) {
			t.Errorf("length %d: Lookup = %v, %v, %v; want %v", n, held, ok, err, got)
		}
		if keys := keys(t, s); len(keys) != 1 || keys[0] != k {
			t.Errorf("length %d: List = %d attachments, want only the one allocated", n, len(keys))
		}
		if again := mustAllocate(t, s, k); !equal(again, got) {
			t.Errorf("length %d: repeated allocation = %v, want %v", n, again, got)
		}
		if err := s.Release(k); err != nil {
			t.Fatalf("length %d: Release: %v", n, err)
		}
		if left := storeFiles(t, s); len(left) != 0 {
			t.Errorf("length %d: Release left %v", n, left)
		}
		if released, err := s.GC(func(Key) bool { return false }); err != nil || len(released) != 0 {
			t.Errorf("length %d: GC after Release = %v, %v; want nothing to release", n, released, err)
		}
	}
}

func TestReleaseOfAnAttachmentNeverAllocatedSucceeds(t *testing.T) {
	s := open(t, dual)
	for _, n := range []int{6, 253, 300} {
		if err := s.Release(keyOfLength(n)); err != nil {
			t.Errorf("Release of a never-allocated %d-byte attachment: %v", n, err)
		}
	}
	if left := storeFiles(t, s); len(left) != 0 {
		t.Errorf("Release of nothing left %v", left)
	}
}

// GC finds a hashed record's attachment in the record, and releases or keeps it by it.
func TestGCKnowsTheAttachmentOfAHashedRecord(t *testing.T) {
	s := open(t, dual)
	keep, drop := keyOfLength(300), Key{ContainerID: strings.Repeat("d", 300), IfName: "eth1"}
	held := mustAllocate(t, s, keep)
	mustAllocate(t, s, drop)
	released, err := s.GC(func(k Key) bool { return k == keep })
	if err != nil || len(released) != 1 || released[0] != drop {
		t.Fatalf("GC released %d attachments (%v), want only the one not kept", len(released), err)
	}
	if got, ok, _ := s.Lookup(keep); !ok || !equal(got, held) {
		t.Errorf("the kept attachment holds %v, want %v", got, held)
	}
}

// A store that an earlier dualnet wrote (records named after their attachment and holding
// only addresses, some names up to 255 bytes) works after an upgrade: its records are
// found, kept and released.
func TestAStoreWrittenByAnEarlierPluginIsFoundAfterTheUpgrade(t *testing.T) {
	dir := t.TempDir()
	old := []Key{{"short", "eth0"}, keyOfLength(254)}
	held := [][]string{{"10.244.1.2", "fd12:3456:789a:0:1::2"}, {"10.244.1.3", "fd12:3456:789a:0:1::3"}}
	for _, sub := range []string{"pod", "ip", "spare"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range old {
		write(t, filepath.Join(dir, "pod", k.String()), strings.Join(held[i], "\n")+"\n")
		for _, a := range held[i] {
			write(t, filepath.Join(dir, "ip", a), k.String())
		}
	}
	s, err := Open(dir, dual)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(t, s); len(got) != 2 {
		t.Errorf("List found %d of the earlier plugin's 2 records", len(got))
	}
	for i, k := range old {
		if got := mustAllocate(t, s, k); !equal(got, addrs(held[i]...)) {
			t.Errorf("allocation of %.20s... = %v, want the addresses it held, %v", k, got, held[i])
		}
	}
	if got := mustAllocate(t, s, Key{"new", "eth0"}); !equal(got, addrs("10.244.1.4", "fd12:3456:789a:0:1::4")) {
		t.Errorf("a new pod got %v, want the first free addresses", got)
	}
	for _, k := range old {
		if err := s.Release(k); err != nil {
			t.Errorf("Release of %.20s...: %v", k, err)
		}
	}
	if got := keys(t, s); len(got) != 1 || got[0] != (Key{"new", "eth0"}) {
		t.Errorf("after releasing the earlier plugin's records, List = %v, want only new:eth0", got)
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// FuzzStoreReleasesWhatItAllocated: for any attachment the CNI spec allows (any length),
// allocating, listing and releasing leave the store as it was, and a second release (a DEL
// repeated) succeeds.
func FuzzStoreReleasesWhatItAllocated(f *testing.F) {
	f.Add("c1", "eth0")
	f.Add(strings.Repeat("a", 246), "eth0") // a record name of 251 bytes
	f.Add(strings.Repeat("a", 250), "net1") // 255
	f.Add(strings.Repeat("b", 300), "eth0")
	f.Add("x.y_z-1", "e")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, cid, ifName string) {
		if utils.ValidateContainerID(cid) != nil || utils.ValidateInterfaceName(ifName) != nil || strings.ContainsRune(ifName, 0) {
			return // the plugin refuses these (cni.attachmentOf) before the store sees them
		}
		s, err := Open(dir, dual)
		if err != nil {
			t.Fatal(err)
		}
		k := Key{cid, ifName}
		got := mustAllocate(t, s, k)
		if len(got) != 2 {
			t.Fatalf("allocation of %q = %v, want one address per range", k, got)
		}
		if keys := keys(t, s); len(keys) != 1 || keys[0] != k {
			t.Fatalf("List after allocating %q = %q", k, keys)
		}
		for i := 0; i < 2; i++ {
			if err := s.Release(k); err != nil {
				t.Fatalf("Release #%d of %q: %v", i+1, k, err)
			}
		}
		if left := storeFiles(t, s); len(left) != 0 {
			t.Fatalf("after allocating and releasing %q the store holds %v", k, left)
		}
	})
}
