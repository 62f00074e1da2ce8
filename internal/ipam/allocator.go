package ipam

import (
	"net/netip"
	"time"

	"github.com/dualnet/dualnet/internal/netspec"
)

// Options tune an Allocator.
type Options struct {
	// HoldDown is how long a released block waits for its routes to be reported gone before
	// it is handed out again anyway. Zero: only Reclaim frees it.
	HoldDown time.Duration
	// Now is the clock (time.Now when nil); tests inject one.
	Now func() time.Time
}

// Allocator numbers nodes: node i gets block i of every family of the spec.
type Allocator struct {
	spec       netspec.Spec
	capacity   netspec.Capacity
	blockLimit uint64 // block numbers below this exist in every family
	holdDown   time.Duration
	now        func() time.Time

	free  spanSet          // numbers below blockLimit that nobody holds
	nodes map[string]*node // live nodes with at least one block in the cluster range
	held  []*Released      // released blocks whose routes may still exist, oldest first
	// pastHoldDown: free numbers the hold-down period freed, whose routes may still be
	// there. Handed out anyway (PastHoldDown), as the period promises.
	pastHoldDown spanSet
}

// node is what a live node holds.
type node struct {
	cidrs  []netip.Prefix
	blocks spanSet
	// shared: some of the node's blocks are also another node's (adopted conflicts), so a
	// release must not free the blocks the other node still holds.
	shared bool
	// pastHoldDown: the node's block was freed by the hold-down period, not by its routes
	// going.
	pastHoldDown bool
}

// Released is a released node's blocks, held back until its routes are gone.
type Released struct {
	Node  string
	CIDRs []netip.Prefix
	At    time.Time
	// blocks: the numbers to free; adopting a block of a held node takes it out of here.
	blocks spanSet
}

// New returns an allocator for the spec with every block free.
func New(spec netspec.Spec, opts Options) *Allocator {
	a := &Allocator{
		spec:       spec,
		capacity:   spec.Capacity(),
		blockLimit: ^uint64(0),
		holdDown:   opts.HoldDown,
		now:        opts.Now,
		nodes:      map[string]*node{},
	}
	if a.now == nil {
		a.now = time.Now
	}
	for _, f := range spec.Families {
		a.blockLimit = min(a.blockLimit, spec.Blocks(f))
	}
	a.free.add(span{0, a.blockLimit})
	return a
}

// Spec is the spec the allocator numbers blocks of.
func (a *Allocator) Spec() netspec.Spec { return a.spec }

// CIDRs are the pod CIDRs the allocator holds for a live node.
func (a *Allocator) CIDRs(name string) ([]netip.Prefix, bool) {
	n, ok := a.nodes[name]
	if !ok {
		return nil, false
	}
	return n.cidrs, true
}

// Allocate gives the node the lowest free block number: block i of every family, IPv4 first.
// A node that holds CIDRs already gets them back. When no block may be handed out the error
// is a *FullError naming the binding limit.
func (a *Allocator) Allocate(name string) ([]netip.Prefix, error) {
	if n, ok := a.nodes[name]; ok {
		return n.cidrs, nil
	}
	a.expireHoldDown()
	if a.used() >= a.capacity.Nodes {
		return nil, a.fullError()
	}
	i, ok := a.free.takeLowest()
	if !ok {
		return nil, a.fullError()
	}
	n := &node{cidrs: a.spec.NodeCIDRs(i), pastHoldDown: a.pastHoldDown.remove(span{i, i + 1}) > 0}
	n.blocks.add(span{i, i + 1})
	a.nodes[name] = n
	return n.cidrs, nil
}

// PastHoldDown says whether the live node's block was freed because the hold-down period
// passed, not because its routes were reported gone: a caller that checks a block for routes
// left behind before handing it out takes this one as it is, or the period would never end.
func (a *Allocator) PastHoldDown(name string) bool {
	n, ok := a.nodes[name]
	return ok && n.pastHoldDown
}

// used is how many nodes count against the capacity: live ones and released ones whose
// routes may still be in the route table.
func (a *Allocator) used() uint64 { return uint64(len(a.nodes) + len(a.held)) }

func (a *Allocator) fullError() *FullError {
	return &FullError{Capacity: a.capacity, Allocated: uint64(len(a.nodes)), Held: uint64(len(a.held))}
}
