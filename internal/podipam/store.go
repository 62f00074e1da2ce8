// Package podipam is the per-node pod address store of the dualnet CNI plugin: one address
// per pod CIDR for each attachment (container ID + interface), kept on disk so that every
// plugin process on the node sees the same allocations.
//
// Layout under the store directory:
//
//	lock                 flock(2) held while allocations change
//	pod/<cid>:<ifname>   the attachment's addresses, one a line, and a line naming it
//	                     (written first); a hash when the name would be too long (names.go)
//	ip/<address>         the reservation, holding "<cid>:<ifname>" (like host-local); the
//	                     address as netip.Addr.String writes it, the one name probeFree asks about
//	spare/               released files, kept for reuse (recycle.go)
//	boot                 the kernel's boot ID when the records were written (boot.go)
//	boot-netns           a boot's ID and the cookie of the node's network namespace then
//
// The pod record is written before the reservations and before the caller configures any
// interface, so a plugin killed at any point leaves a record that Release or GC finds.
// Reservations are created with O_EXCL, and removed only by the attachment they name, so a
// stale record can never free an address that another pod holds.
//
// The store survives process crashes (the page cache outlives a SIGKILL); it does not fsync,
// because after a node crash every pod is gone, and the first allocation of the next boot
// releases what they held (boot.go).
// It must not touch the network: the plugin does that.
package podipam

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Key names one attachment, as the CNI runtime does.
type Key struct {
	ContainerID string
	IfName      string
}

// String is the key's file name. ':' cannot appear in a container ID or an interface name
// (the CNI spec's rules), so the name splits back unambiguously.
func (k Key) String() string { return k.ContainerID + ":" + k.IfName }

func parseKey(s string) (Key, bool) {
	cid, ifname, ok := strings.Cut(s, ":")
	if !ok || cid == "" || ifname == "" {
		return Key{}, false
	}
	return Key{ContainerID: cid, IfName: ifname}, true
}

// Store allocates addresses from the node's pod CIDRs (at most one per family).
type Store struct {
	dir    string
	ranges []netip.Prefix
	// Gone says whether the attachment's interface is gone, so that the first allocation
	// after a reboot may release its record (boot.go). The store must not touch the network,
	// so the caller answers; without Gone, every record of an earlier boot stays.
	Gone func(Key) bool
	// EarlierBoot, when set, runs when the store finds its boot note is an earlier boot's
	// (and Gone is set: without it nothing of that boot is released), under the lock, after
	// the records of gone pods are released and before this boot is noted: the caller's
	// chance to clear node state of the earlier boot that this boot would misread (boot.go).
	// Its error fails the allocation and leaves the note, so the next allocation runs it
	// again. A store without a note (new, or written by a dualnet that noted none) never
	// runs it.
	EarlierBoot func() error
}

// Open prepares the store directory for the given ranges.
func Open(dir string, ranges []netip.Prefix) (*Store, error) {
	for _, sub := range []string{"ip", "pod", "spare"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("address store %s: %w", dir, err)
		}
	}
	return &Store{dir: dir, ranges: ranges}, nil
}

func (s *Store) podPath(k Key) string                  { return filepath.Join(s.dir, "pod", k.fileName()) }
func (s *Store) ipDirPath() string                     { return filepath.Join(s.dir, "ip") }
func (s *Store) ipPath(a netip.Addr) string            { return filepath.Join(s.ipDirPath(), a.String()) }
func (s *Store) lockPath() string                      { return filepath.Join(s.dir, "lock") }
func (s *Store) owner(a netip.Addr) (Key, bool, error) { return readOwner(s.ipPath(a)) }

// Lookup returns the addresses recorded for k, IPv4 first. It takes no lock: records are
// written in one write(2) and a reader that races a writer sees the old or the new record.
func (s *Store) Lookup(k Key) ([]netip.Addr, bool, error) {
	data, err := os.ReadFile(s.podPath(k))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read address record of %s: %w", k, err)
	}
	addrs, _, _ := parseRecord(data)
	return addrs, true, nil
}

// Allocate returns one address per range for k, IPv4 first. It is idempotent: an
// attachment that already holds addresses gets the same ones again. It must run in the node's
// network namespace, which the store notes with the boot (boot.go).
func (s *Store) Allocate(k Key) ([]netip.Addr, error) {
	unlock, err := lock(s.lockPath())
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := s.forgetEarlierBoot(); err != nil {
		return nil, err
	}

	if addrs, ok, err := s.Lookup(k); err != nil {
		return nil, err
	} else if ok {
		if s.fits(addrs) && s.reclaim(k, addrs) {
			return addrs, nil
		}
		// The record is about to be replaced: free what it holds first (reclaim may just
		// have re-created some of it), or those reservations would outlive the record that
		// names them and stay taken until GC.
		if err := s.release(k); err != nil {
			return nil, err
		}
	}
	addrs, err := s.nextAddrs(s.readLast())
	if err != nil {
		return nil, err
	}
	// The record first: whatever happens next, Release and GC can find these addresses.
	if err := s.writeNew(s.podPath(k), formatRecord(k, addrs)); err != nil {
		return nil, fmt.Errorf("write address record of %s: %w", k, err)
	}
	for _, a := range addrs {
		if err := s.reserve(a, k); err != nil {
			// Leave nothing behind: the caller gets no addresses, so no teardown of its
			// own frees them, and a runtime need not send DEL for an ADD that failed.
			return nil, errors.Join(err, s.release(k))
		}
	}
	// Only a hint for the next allocation: failing to note it must not fail a pod whose
	// addresses are already recorded (the next allocation then starts lower, and skips
	// every address in use anyway).
	_ = s.writeLast(addrs)
	return addrs, nil
}

// Release frees k's addresses and record. Releasing an unknown attachment is not an error.
func (s *Store) Release(k Key) error {
	unlock, err := lock(s.lockPath())
	if err != nil {
		return err
	}
	defer unlock()
	return s.release(k)
}

func (s *Store) release(k Key) error {
	addrs, _, err := s.Lookup(k)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		// A reservation that cannot be read stays: it may be another pod's. A GC that
		// reads it later frees it if it is k's.
		if owner, ok, _ := s.owner(a); ok && owner == k {
			if err := s.retire(s.ipPath(a)); err != nil {
				return err
			}
		}
	}
	return s.retire(s.podPath(k))
}

// fits says whether a record has exactly one address inside each configured range.
func (s *Store) fits(addrs []netip.Addr) bool {
	if len(addrs) != len(s.ranges) {
		return false
	}
	for i, r := range s.ranges {
		if !r.Contains(addrs[i]) {
			return false
		}
	}
	return true
}

// reclaim re-creates missing reservations of an existing record; false when another
// attachment took one of them meanwhile.
func (s *Store) reclaim(k Key, addrs []netip.Addr) bool {
	for _, a := range addrs {
		owner, ok, err := s.owner(a)
		if err != nil {
			return false
		}
		if ok {
			if owner != k {
				return false
			}
			continue
		}
		if s.reserve(a, k) != nil {
			return false
		}
	}
	return true
}

func (s *Store) reserve(a netip.Addr, k Key) error {
	if err := s.writeNew(s.ipPath(a), []byte(k.String())); err != nil {
		return fmt.Errorf("reserve %s for %s: %w", a, k, err)
	}
	return nil
}

// nextAddrs returns the next address in turn of each range after last: probed when it can
// be (probeFree), taken from every reservation when it cannot.
func (s *Store) nextAddrs(last map[netip.Prefix]netip.Addr) ([]netip.Addr, error) {
	ipDir, err := os.Open(s.ipDirPath())
	if err == nil {
		defer ipDir.Close()
	}
	addrs := make([]netip.Addr, 0, len(s.ranges))
	var used map[netip.Addr]bool // every reservation, read once the first probe finds nothing
	for _, r := range s.ranges {
		if used == nil && ipDir != nil {
			if a, ok := probeFree(ipDir, r, last[r]); ok {
				addrs = append(addrs, a)
				continue
			}
		}
		if used == nil {
			if used, err = s.reserved(); err != nil {
				return nil, err
			}
		}
		a, err := nextFree(r, used, last[r])
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, a)
	}
	return addrs, nil
}

// probeLimit is how many addresses probeFree asks the disk about before it gives up.
const probeLimit = 8

// probeFree looks for nextFree's answer without reading every reservation: it asks ipDir,
// in nextFree's order, whether each of the first probeLimit addresses after last is reserved,
// and returns the first that is not. Addresses go in turn (last.go), so the one after last
// is almost always free, and an ADD then costs the same on a node with 200 pods as on an
// empty one; the reservations directory of a busy node is hundreds of names to read and
// parse. false when every address probed is reserved, or the directory gave any answer but
// "no such file": then the caller reads every reservation, which reports what is wrong. The
// store's lock keeps the answer true until the reservation is made.
func probeFree(ipDir *os.File, r netip.Prefix, last netip.Addr) (netip.Addr, bool) {
	tried := 0
	for a := range inTurn(r, last) {
		if tried == probeLimit {
			break
		}
		tried++
		var st unix.Stat_t
		err := unix.Fstatat(int(ipDir.Fd()), a.String(), &st, unix.AT_SYMLINK_NOFOLLOW)
		if errors.Is(err, unix.ENOENT) {
			return a, true
		}
		if err != nil {
			break
		}
	}
	return netip.Addr{}, false
}

// reserved lists every reserved address.
func (s *Store) reserved() (map[netip.Addr]bool, error) {
	names, err := readNames(s.ipDirPath())
	if err != nil {
		return nil, err
	}
	used := make(map[netip.Addr]bool, len(names))
	for _, n := range names {
		if a, err := netip.ParseAddr(n); err == nil {
			used[a] = true
		}
	}
	return used, nil
}
