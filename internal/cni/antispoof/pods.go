package antispoof

import (
	"context"
	"fmt"
)

// Install registers the pod: from then on its port may send from its addresses. The first
// pod of a node (or the first after anyone removed the table) writes the ruleset first.
// Installing a pod twice is no error.
func Install(ctx context.Context, p Pod) error {
	elems, err := p.elements()
	if err != nil {
		return err
	}
	err = applyElements(addElements, elems)
	if !isNotFound(err) {
		return err
	}
	if err := Run(ctx, rulesetTransaction()); err != nil {
		return fmt.Errorf("write the anti-spoofing ruleset: %w", err)
	}
	return applyElements(addElements, elems)
}

// Retire unregisters the pod, without waiting: its elements expire within a clock tick
// (see the package comment). It is for DEL, which deletes the port too, so the pod cannot
// send meanwhile.
func Retire(p Pod) error {
	elems, err := p.elements()
	if err != nil {
		return err
	}
	err = applyElements(expireElements, elems)
	if isNotFound(err) { // no table: nothing was ever registered
		return nil
	}
	return err
}

// Remove deletes the pod's elements, waiting for the kernel to let go of them. Elements
// that are already gone (or were never there) are no error.
func Remove(p Pod) error {
	elems, err := p.elements()
	if err != nil {
		return err
	}
	err = applyElements(deleteElements, elems)
	if !isNotFound(err) {
		return err
	}
	// Some element was missing, which fails the whole batch (kernels before 6.3 have no
	// "destroy", which would not): remove them one by one.
	for _, s := range elems {
		for _, key := range s.keys {
			err := applyElements(deleteElements, []setKeys{{set: s.set, keys: [][]byte{key}}})
			if err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	return nil
}
