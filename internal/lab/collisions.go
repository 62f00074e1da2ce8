package lab

import (
	"errors"
	"fmt"
	"net/netip"
)

// Range is an address range the lab uses, with the flag that set it, so a collision error
// tells the user what to change.
type Range struct {
	Flag   string
	Prefix netip.Prefix
}

// CheckHostRoutes refuses lab ranges that overlap a route of the host. The lab needs no host
// route itself, but a user who runs kubectl or curl against a lab address from the host must
// not silently reach a real network instead, and a lab address that shadows a real one
// confuses everyone reading the output. Default routes overlap everything and are ignored.
func CheckHostRoutes(lab []Range, hostRoutes []netip.Prefix) error {
	var errs []error
	for _, r := range lab {
		for _, h := range hostRoutes {
			if h.Bits() == 0 || !r.Prefix.Overlaps(h) {
				continue
			}
			errs = append(errs, fmt.Errorf("%s: %s overlaps the host route %s; choose a range the host does not use", r.Flag, r.Prefix, h))
		}
	}
	return errors.Join(errs...)
}
