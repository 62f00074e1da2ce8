package podipam

import (
	"errors"
	"io/fs"
	"math"
	"net/netip"
	"path/filepath"
)

// Usage says how full one pod CIDR is: InUse addresses of it are reserved, out of Capacity
// that the allocator can hand out.
type Usage struct {
	Range    netip.Prefix
	InUse    uint64
	Capacity uint64
}

// ReadUsage counts the reservations (ip/<address>) of the store in dir that fall in each of
// ranges, in the order of ranges. It only lists one directory and takes no lock, so it never
// waits for an ADD or DEL nor makes one wait, and it may be called as often as a metrics
// scrape comes. Without the lock it sees the store as of some moment during the listing: an
// allocation or release racing it may or may not be counted. A store not created yet (the
// plugin opens it at a node's first pod) holds no reservations.
func ReadUsage(dir string, ranges []netip.Prefix) ([]Usage, error) {
	names, err := readNames(filepath.Join(dir, "ip"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// A set: a directory listing racing a rename may return a name twice.
	reserved := make(map[netip.Addr]bool, len(names))
	for _, n := range names {
		if a, err := netip.ParseAddr(n); err == nil {
			reserved[a] = true
		}
	}
	out := make([]Usage, len(ranges))
	for i, r := range ranges {
		r = r.Masked()
		out[i] = Usage{Range: r, Capacity: Capacity(r)}
		for a := range reserved {
			if podAddress(r, a) { // a stray name (the gateway, an older range) never counts
				out[i].InUse++
			}
		}
	}
	return out, nil
}

// Capacity is how many addresses of r Allocate can hand out: all but the network address
// and the gateway (.0 and .1, ::0 and ::1), and for IPv4 the broadcast
// address. It is math.MaxUint64 when the count does not fit (an IPv6 range of /64 or larger
// holds 2^64-2 or more).
func Capacity(r netip.Prefix) uint64 {
	hostBits := r.Addr().BitLen() - r.Bits()
	reserved := uint64(2)
	if r.Addr().Is4() {
		reserved = 3
	}
	if hostBits > 64 {
		return math.MaxUint64
	}
	if hostBits == 64 {
		return math.MaxUint64 - (reserved - 1) // 2^64 - reserved
	}
	if size := uint64(1) << hostBits; size > reserved {
		return size - reserved
	}
	return 0
}
