package podipam

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// Addresses are handed out in turn, as host-local (the IPAM of AKS's kubenet) does: each
// allocation takes the first free address after the one handed out last, wrapping round to
// .2 / ::2 at the end of the range. Taking the lowest free address instead would give a
// deleted pod's address to the next pod at once, while other nodes' kube-proxies, Endpoints
// watchers and DNS caches still send the old pod's traffic there: the new pod, maybe another
// application's, would receive it. In turn, an address comes back only after the rest of the
// range has been used (a /24 holds 253 pod addresses, a node at most a few hundred pods).

// lastSize is the fixed size of the file: it is overwritten in place, never truncated, so
// noting the last addresses frees no blocks and makes no inode (see recycle.go for what those
// cost). Two "<range> <address>" lines of IPv6 fit in well under half of it.
const lastSize = 256

func (s *Store) lastPath() string { return filepath.Join(s.dir, "last") }

// readLast returns the address handed out last in each range the file names. A missing or
// unreadable file means none: the ranges start again at .2 / ::2.
func (s *Store) readLast() map[netip.Prefix]netip.Addr {
	last := map[netip.Prefix]netip.Addr{}
	f, err := os.Open(s.lastPath())
	if err != nil {
		return last
	}
	defer f.Close()
	buf := make([]byte, lastSize)
	n, _ := io.ReadFull(f, buf)
	for _, line := range strings.Split(string(buf[:n]), "\n") {
		r, a, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		prefix, perr := netip.ParsePrefix(r)
		addr, aerr := netip.ParseAddr(a)
		if perr == nil && aerr == nil && prefix.Contains(addr) {
			last[prefix] = addr
		}
	}
	return last
}

// writeLast notes addrs, one per range, as the last handed out. A plugin killed halfway
// leaves a file readLast reads in part or not at all: the next allocation then starts lower,
// and still skips every address in use.
func (s *Store) writeLast(addrs []netip.Addr) error {
	var b strings.Builder
	for i, r := range s.ranges {
		fmt.Fprintf(&b, "%s %s\n", r, addrs[i])
	}
	if b.Len() > lastSize {
		return fmt.Errorf("address store %s: %d bytes of last addresses do not fit in %d", s.dir, b.Len(), lastSize)
	}
	data := []byte(b.String() + strings.Repeat(" ", lastSize-b.Len()))
	f, err := os.OpenFile(s.lastPath(), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("address store %s: %w", s.dir, err)
	}
	_, werr := f.WriteAt(data, 0)
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		return fmt.Errorf("address store %s: note the last addresses: %w", s.dir, werr)
	}
	return nil
}
