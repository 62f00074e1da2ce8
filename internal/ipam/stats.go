package ipam

import "github.com/dualnet/dualnet/internal/netspec"

// Stats is the allocator's state in numbers, as metrics show it.
type Stats struct {
	Allocated uint64 // live nodes holding blocks
	Held      uint64 // released nodes whose blocks wait for their routes to go
	Free      uint64 // nodes that can still be given blocks
	Capacity  uint64 // nodes the spec can hold
	Limit     netspec.Limit
}

// Stats counts the allocator's nodes and what is left.
func (a *Allocator) Stats() Stats {
	s := Stats{
		Allocated: uint64(len(a.nodes)),
		Held:      uint64(len(a.held)),
		Capacity:  a.capacity.Nodes,
		Limit:     a.capacity.Limit,
	}
	if used := a.used(); used < s.Capacity {
		s.Free = min(s.Capacity-used, a.free.size)
	}
	return s
}
