package antispoof

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Install registers the pod: from then on its port may send from its MAC and addresses.
// When the table is missing, or is not the one this package writes, it writes the table
// with the elements of every pod live returns (the node's pods, from the address store) and
// p, in one transaction, so that the pods registered before are not cut off. Installing a
// pod twice is no error.
func Install(ctx context.Context, p Pod, live func() ([]Pod, error)) error {
	if len(p.MAC) == 0 {
		return fmt.Errorf("anti-spoofing: port %d: the pod's MAC is missing", p.Index)
	}
	elems, err := p.elements()
	if err != nil {
		return err
	}
	err = applyElements(addElements, elems)
	incompatible := errors.Is(err, unix.EINVAL) // a set with other key types: another dualnet's table
	if err == nil || !isNotFound(err) && !incompatible {
		return err
	}
	pods, lerr := live()
	if lerr != nil {
		return fmt.Errorf("%w; and listing the node's pods to write the table again: %w", err, lerr)
	}
	if incompatible {
		return replaceTable(ctx, pods, live, p)
	}
	if err := run(ctx, rebuildTransaction(append(pods, p), false)); err != nil {
		return fmt.Errorf("write table bridge %s: %w", Table, err)
	}
	return nil
}

// Retire unregisters the pod, without waiting: its elements expire within a clock tick
// (see the package comment). It is for DEL, which deletes the port too, so the pod cannot
// send meanwhile.
func Retire(p Pod) error {
	return changeEach(expireElements, p)
}

// Remove deletes the pod's elements, waiting for the kernel to let go of them.
func Remove(p Pod) error {
	return changeEach(deleteElements, p)
}

// changeEach applies op to the pod's elements in one batch. A missing table, set or
// element (ENOENT) fails the whole batch, so it then goes set by set and element by
// element, and what is missing is no error.
func changeEach(op elementOp, p Pod) error {
	elems, err := p.elements()
	if err != nil {
		return err
	}
	err = applyElements(op, elems)
	if !isNotFound(err) {
		return err
	}
	for _, s := range elems {
		for _, key := range s.keys {
			err := applyElements(op, []setKeys{{set: s.set, keys: [][]byte{key}}})
			if err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	return nil
}
