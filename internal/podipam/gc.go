package podipam

import (
	"net/netip"
	"path/filepath"
)

// Allocation is one attachment's record.
type Allocation struct {
	Key   Key
	Addrs []netip.Addr
}

// List returns every attachment that has a record or a reservation.
func (s *Store) List() ([]Allocation, error) {
	unlock, err := lock(s.lockPath())
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.list()
}

func (s *Store) list() ([]Allocation, error) {
	names, err := readNames(filepath.Join(s.dir, "pod"))
	if err != nil {
		return nil, err
	}
	seen := map[Key]bool{}
	var out []Allocation
	for _, n := range names {
		k, ok := s.recordKey(n)
		if !ok {
			continue
		}
		addrs, _, err := s.Lookup(k)
		if err != nil {
			return nil, err
		}
		seen[k] = true
		out = append(out, Allocation{Key: k, Addrs: addrs})
	}
	used, err := s.reserved()
	if err != nil {
		return nil, err
	}
	for a := range used {
		k, ok, err := s.owner(a)
		if err != nil {
			return nil, err
		}
		if ok && !seen[k] {
			seen[k] = true
			out = append(out, Allocation{Key: k, Addrs: []netip.Addr{a}})
		}
	}
	return out, nil
}

// GC releases every record and reservation whose attachment keep does not accept, and
// reservations that name no attachment (a plugin killed inside reserve). It returns the
// released attachments.
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
	allocs, err := s.list()
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
			owner, ok, err := s.owner(a)
			if err != nil {
				return released, err
			}
			if ok && owner == al.Key {
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
		_, ok, err := s.owner(a)
		if err != nil {
			return released, err
		}
		if !ok {
			if err := s.retire(s.ipPath(a)); err != nil {
				return released, err
			}
		}
	}
	return released, nil
}
