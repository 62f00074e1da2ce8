package podipam

import (
	"errors"
	"net/netip"
	"path/filepath"
)

// Allocation is one attachment's record.
type Allocation struct {
	Key   Key
	Addrs []netip.Addr
}

// List returns every attachment that has a record or a reservation (but a reservation it
// cannot read, whose attachment it cannot tell).
func (s *Store) List() ([]Allocation, error) {
	unlock, err := lock(s.lockPath())
	if err != nil {
		return nil, err
	}
	defer unlock()
	allocs, _, err := s.list()
	return allocs, err
}

// list is List's work, under the lock; unreadable holds the errors of the reservations it
// could not read.
func (s *Store) list() (allocs []Allocation, unreadable []error, err error) {
	names, err := readNames(filepath.Join(s.dir, "pod"))
	if err != nil {
		return nil, nil, err
	}
	seen := map[Key]bool{}
	for _, n := range names {
		k, ok := s.recordKey(n)
		if !ok {
			continue
		}
		addrs, _, err := s.Lookup(k)
		if err != nil {
			return nil, nil, err
		}
		seen[k] = true
		allocs = append(allocs, Allocation{Key: k, Addrs: addrs})
	}
	used, err := s.reserved()
	if err != nil {
		return nil, nil, err
	}
	for a := range used {
		k, ok, err := s.owner(a)
		if err != nil {
			unreadable = append(unreadable, err)
			continue
		}
		if ok && !seen[k] {
			seen[k] = true
			allocs = append(allocs, Allocation{Key: k, Addrs: []netip.Addr{a}})
		}
	}
	return allocs, unreadable, nil
}

// GC releases every record and reservation whose attachment keep does not accept, and
// reservations that name no attachment (a plugin killed inside reserve). It returns the
// released attachments. A reservation it cannot read may be a live pod's: GC keeps it, does
// the rest, and returns the read's error.
func (s *Store) GC(keep func(Key) bool) ([]Key, error) {
	unlock, err := lock(s.lockPath())
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.gc(keep)
}

// gc is GC's work, under the lock.
func (s *Store) gc(keep func(Key) bool) ([]Key, error) {
	allocs, unreadable, err := s.list()
	if err != nil {
		return nil, err
	}
	var released []Key
	for _, al := range allocs {
		if keep(al.Key) {
			continue
		}
		if err := s.release(al.Key); err != nil {
			return released, err
		}
		for _, a := range al.Addrs { // reservations without a record
			if owner, ok, _ := s.owner(a); ok && owner == al.Key {
				if err := s.retire(s.ipPath(a)); err != nil {
					return released, err
				}
			}
		}
		released = append(released, al.Key)
	}
	used, err := s.reserved()
	if err != nil {
		return released, err
	}
	for a := range used {
		// Unreadable ones (listed in unreadable already) stay: only a reservation read
		// and found to name no attachment is garbage.
		if _, ok, err := s.owner(a); err == nil && !ok {
			if err := s.retire(s.ipPath(a)); err != nil {
				return released, err
			}
		}
	}
	return released, errors.Join(unreadable...)
}
