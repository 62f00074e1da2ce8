package ipam

// Release takes a deleted node's blocks back. They are held, and count against the capacity,
// until Reclaim is told the node's routes are gone or the hold-down period passes: a block
// handed out while a route still sends its traffic to the dead node would black-hole the new
// node's pods. Releasing an unknown node does nothing and returns false.
func (a *Allocator) Release(name string) bool {
	n, ok := a.nodes[name]
	if !ok {
		return false
	}
	delete(a.nodes, name)
	r := &Released{Node: name, CIDRs: n.cidrs, At: a.now()}
	n.blocks.each(func(x span) { r.blocks.add(x) })
	if n.shared {
		for _, other := range a.nodes {
			other.blocks.each(func(x span) { r.blocks.remove(x) })
		}
	}
	a.held = append(a.held, r)
	return true
}

// Reclaim frees the held blocks of every released node for which gone says its routes are
// gone, and of those held longer than the hold-down period, and returns how many nodes'
// blocks were freed.
func (a *Allocator) Reclaim(gone func(Released) bool) int {
	freed := a.expireHoldDown()
	kept := a.held[:0]
	for _, r := range a.held {
		if gone(*r) {
			a.freeHeld(r, false)
			freed++
			continue
		}
		kept = append(kept, r)
	}
	clear(a.held[len(kept):])
	a.held = kept
	return freed
}

// expireHoldDown frees the blocks held longer than the hold-down period. Released nodes are
// held in release order, so the expired ones are a prefix.
func (a *Allocator) expireHoldDown() int {
	if a.holdDown <= 0 {
		return 0
	}
	now := a.now()
	expired := 0
	for _, r := range a.held {
		if now.Sub(r.At) < a.holdDown {
			break
		}
		a.freeHeld(r, true)
		expired++
	}
	if expired > 0 {
		clear(a.held[:expired])
		a.held = a.held[expired:]
	}
	return expired
}

// freeHeld frees a released node's blocks; byHoldDown marks them freed by the hold-down
// period (PastHoldDown).
func (a *Allocator) freeHeld(r *Released, byHoldDown bool) {
	r.blocks.each(func(x span) {
		if x.lo >= a.blockLimit {
			return
		}
		x.hi = min(x.hi, a.blockLimit)
		a.free.add(x)
		if byHoldDown {
			a.pastHoldDown.add(x)
		}
	})
}
