package podipam

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func spares(t *testing.T, s *Store) []string {
	t.Helper()
	names, err := readNames(s.spareDir())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func TestReleasedFilesAreReusedForTheNextAllocation(t *testing.T) {
	s := open(t, dual)
	a := Key{"a", "eth0"}
	mustAllocate(t, s, a)
	if err := s.Release(a); err != nil {
		t.Fatal(err)
	}
	if got := spares(t, s); len(got) != 3 {
		t.Fatalf("after a dual-stack release the pool holds %v, want the record and two reservations", got)
	}
	pool := map[uint64]bool{}
	for _, n := range spares(t, s) {
		pool[inode(t, filepath.Join(s.spareDir(), n))] = true
	}

	b := Key{"b", "eth0"}
	got := mustAllocate(t, s, b)
	if len(spares(t, s)) != 0 {
		t.Errorf("the allocation left spares %v unused", spares(t, s))
	}
	for _, path := range []string{s.podPath(b), s.ipPath(got[0]), s.ipPath(got[1])} {
		if !pool[inode(t, path)] {
			t.Errorf("%s is a new file, not a spare", path)
		}
	}
	// Reused files hold exactly their new content, not the old.
	if rec, _, err := s.Lookup(b); err != nil || !slices.Equal(rec, got) {
		t.Errorf("record of b: %v %v, want %v", rec, err, got)
	}
	for _, ip := range got {
		if owner, ok, err := s.owner(ip); err != nil || !ok || owner != b {
			t.Errorf("reservation %s: owner %v, want %v", ip, owner, b)
		}
	}
}

func TestWriteNewNeverReplacesAFile(t *testing.T) {
	s := open(t, dual)
	mustAllocate(t, s, Key{"a", "eth0"})
	if err := s.Release(Key{"a", "eth0"}); err != nil { // so that writeNew has spares
		t.Fatal(err)
	}
	path := s.ipPath(dual[0].Addr().Next().Next())
	if err := os.WriteFile(path, []byte("held:eth0"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, withSpare := range []bool{true, false} {
		if !withSpare {
			for _, n := range spares(t, s) {
				os.Remove(filepath.Join(s.spareDir(), n))
			}
		}
		if err := s.writeNew(path, []byte("thief:eth0")); !errors.Is(err, fs.ErrExist) {
			t.Errorf("spare %v: writeNew over a reservation: %v, want it to exist already", withSpare, err)
		}
		if owner, _, _ := s.owner(dual[0].Addr().Next().Next()); owner != (Key{"held", "eth0"}) {
			t.Errorf("spare %v: the reservation now names %v", withSpare, owner)
		}
	}
}
