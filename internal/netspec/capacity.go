package netspec

import "fmt"

// Limit is one of the things that cap how many nodes a cluster can have.
type Limit int

const (
	// LimitRouteTable: the route table holds one route per node and family
	// (--max-routes / number of families).
	LimitRouteTable Limit = iota
	// LimitIPv4Blocks: the IPv4 pod CIDR holds that many node pod CIDRs.
	LimitIPv4Blocks
	// LimitIPv6Blocks: the IPv6 pod CIDR holds that many node pod CIDRs.
	LimitIPv6Blocks
	// LimitNodeSubnet: the node subnet of some family has that many node addresses.
	LimitNodeSubnet
)

// String is the limit's name, as events, metrics and `dualnet plan` show it.
func (l Limit) String() string {
	switch l {
	case LimitRouteTable:
		return "route table"
	case LimitIPv4Blocks:
		return "IPv4 blocks"
	case LimitIPv6Blocks:
		return "IPv6 blocks"
	case LimitNodeSubnet:
		return "node subnet"
	}
	return fmt.Sprintf("Limit(%d)", int(l))
}

// flagsToRaise says which flags lift the limit.
func (l Limit) flagsToRaise() string {
	switch l {
	case LimitRouteTable:
		return "raise --max-routes if your route table allows more routes (Azure allows 1000 per table today)"
	case LimitIPv4Blocks:
		return "use a larger IPv4 range in --pod-cidrs or a longer --node-cidr-mask-size-ipv4"
	case LimitIPv6Blocks:
		return "use a larger IPv6 range in --pod-cidrs or a longer --node-cidr-mask-size-ipv6"
	case LimitNodeSubnet:
		return "use larger --node-subnets"
	}
	return ""
}

// Bound is how many nodes one limit allows, and why.
type Bound struct {
	Limit  Limit
	Nodes  uint64
	Detail string // the figures it comes from: "400 routes, 2 route(s) per node"
	Raise  string // what lifts it, in the spec's own terms (Setting): "raise --max-routes if ..."
}

// Capacity is how many nodes the spec can hold and which limit binds.
type Capacity struct {
	Nodes  uint64
	Limit  Limit
	Bounds []Bound // every limit that applies, the binding one among them
}

// Binding is the bound of the binding limit.
func (c Capacity) Binding() Bound {
	for _, b := range c.Bounds {
		if b.Limit == c.Limit {
			return b
		}
	}
	return Bound{}
}

// Capacity works out the number of nodes the spec can hold. Node i takes block i of every
// family, so the smallest block count binds, and so does the route table. On a tie the route
// table is named, since it is the limit users most often raise.
func (s Spec) Capacity() Capacity {
	bounds := []Bound{{
		Limit:  LimitRouteTable,
		Nodes:  uint64(s.MaxRoutes / s.RoutesPerNode()),
		Detail: fmt.Sprintf("%d routes, %d route(s) per node", s.MaxRoutes, s.RoutesPerNode()),
	}}
	for _, f := range s.Families {
		pod, _ := s.PodCIDR(f)
		limit := LimitIPv4Blocks
		if f == IPv6 {
			limit = LimitIPv6Blocks
		}
		bounds = append(bounds, Bound{Limit: limit, Nodes: s.Blocks(f),
			Detail: fmt.Sprintf("%s in /%d blocks", pod, s.NodeMaskSize(f))})
	}
	for _, f := range s.Families {
		if subnet, ok := s.NodeSubnet(f); ok {
			bounds = append(bounds, Bound{Limit: LimitNodeSubnet, Nodes: NodeSubnetCapacity(subnet),
				Detail: fmt.Sprintf("%s node addresses in %s", f, subnet)})
		}
	}
	for i := range bounds {
		bounds[i].Raise = s.howToRaise(bounds[i].Limit)
	}
	c := Capacity{Nodes: bounds[0].Nodes, Limit: bounds[0].Limit, Bounds: bounds}
	for _, b := range bounds[1:] {
		if b.Nodes < c.Nodes {
			c.Nodes, c.Limit = b.Nodes, b.Limit
		}
	}
	return c
}

// CheckNodes says whether n nodes fit, naming the binding limit and its fix when they don't.
func (s Spec) CheckNodes(n uint64) error {
	c := s.Capacity()
	if n <= c.Nodes {
		return nil
	}
	b := c.Binding()
	return fmt.Errorf("%d nodes do not fit: the %s limit allows %d (%s): %s", n, b.Limit, b.Nodes, b.Detail, b.Raise)
}

// howToRaise says what lifts limit l, in the spec's own terms (Setting): a spec from a
// config file names the file once, and its fields.
func (s Spec) howToRaise(l Limit) string {
	if s.File == "" {
		return l.flagsToRaise()
	}
	return "in " + s.File + ", " + flagsToFields.Replace(l.flagsToRaise())
}
