package ipam

import (
	"fmt"

	"github.com/dualnet/dualnet/internal/netspec"
)

// FullError: no node pod CIDR may be handed out now. It names the binding limit and how to
// raise it, since that is what the user has to act on.
type FullError struct {
	Capacity  netspec.Capacity
	Allocated uint64
	Held      uint64 // released nodes whose routes are not reported gone yet
}

func (e *FullError) Error() string {
	b := e.Capacity.Binding()
	msg := fmt.Sprintf("no pod CIDR available: %d node(s) hold pod CIDRs", e.Allocated)
	if e.Held > 0 {
		msg += fmt.Sprintf(" and %d released node(s) wait for their routes to be removed", e.Held)
	}
	if e.Allocated+e.Held >= e.Capacity.Nodes {
		return msg + fmt.Sprintf("; the %s limit allows %d (%s): %s", b.Limit, b.Nodes, b.Detail, b.Raise)
	}
	// Below the capacity but no block free: adopted CIDRs cover the rest of the range.
	return msg + fmt.Sprintf("; the remaining blocks are covered by CIDRs nodes already had (the %s limit allows %d)", b.Limit, b.Nodes)
}
