package podipam

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrExhausted says a pod CIDR has no free address left.
var ErrExhausted = errors.New("no free address")

// lowestFree returns the lowest free address of r from .2 / ::2 upward (.0 is the network,
// .1 / ::1 the gateway on the bridge, and the last IPv4 address the broadcast).
func lowestFree(r netip.Prefix, used map[netip.Addr]bool) (netip.Addr, error) {
	first := r.Addr().Next().Next()
	for a := first; a.IsValid() && r.Contains(a); a = a.Next() {
		if a.Is4() && !r.Contains(a.Next()) {
			break // broadcast
		}
		if !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("pod CIDR %s: %w: every address from %s up is held by a pod", r, ErrExhausted, first)
}
