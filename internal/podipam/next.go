package podipam

import (
	"errors"
	"fmt"
	"iter"
	"net/netip"
)

// ErrExhausted says a pod CIDR has no free address left.
var ErrExhausted = errors.New("no free address")

// nextFree returns the first free address of r after last, wrapping round to the first pod
// address, .2 / ::2 (.0 is the network, .1 / ::1 the gateway on the bridge, and the last IPv4
// address the broadcast). An invalid last, or one outside r, starts at the first (last.go says
// why the addresses go in turn).
func nextFree(r netip.Prefix, used map[netip.Addr]bool, last netip.Addr) (netip.Addr, error) {
	for a := range inTurn(r, last) {
		if !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("pod CIDR %s: %w: every address from %s up is held by a pod", r, ErrExhausted, r.Addr().Next().Next())
}

// inTurn yields r's pod addresses in the order nextFree tries them: from after last to the
// end of the range, then from the first up to last.
func inTurn(r netip.Prefix, last netip.Addr) iter.Seq[netip.Addr] {
	return func(yield func(netip.Addr) bool) {
		first := r.Addr().Next().Next()
		if !podAddress(r, last) {
			last = first.Prev()
		}
		for a := last.Next(); podAddress(r, a); a = a.Next() {
			if !yield(a) {
				return
			}
		}
		for a := first; podAddress(r, a) && a.Compare(last) <= 0; a = a.Next() {
			if !yield(a) {
				return
			}
		}
	}
}

// podAddress says whether a is one of the addresses of r the allocator hands out: from .2 /
// ::2 up, never the IPv4 broadcast.
func podAddress(r netip.Prefix, a netip.Addr) bool {
	if !a.IsValid() || !r.Contains(a) || a.Less(r.Addr().Next().Next()) {
		return false
	}
	return !a.Is4() || r.Contains(a.Next())
}
