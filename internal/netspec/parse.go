package netspec

import (
	"errors"
	"fmt"
	"net/netip"
)

// Input is the spec as a user writes it: flag values, before defaults and rules.
// Empty CIDR lists take the defaults of the chosen families.
type Input struct {
	IPFamilies           string
	PodCIDRs             string
	ServiceCIDRs         string
	NodeSubnets          string
	NodeCIDRMaskSizeIPv4 int
	NodeCIDRMaskSizeIPv6 int
	MaxRoutes            int
}

// DefaultInput is what the flags hold when a user sets none.
func DefaultInput() Input {
	return Input{
		IPFamilies:           DefaultIPFamilies,
		NodeCIDRMaskSizeIPv4: DefaultNodeCIDRMaskSizeIPv4,
		NodeCIDRMaskSizeIPv6: DefaultNodeCIDRMaskSizeIPv6,
		MaxRoutes:            DefaultMaxRoutes,
	}
}

// Parse turns flag values into a Spec, applying AKS's defaults and rules. Every broken rule
// is reported (joined), each as a *FieldError naming its flag.
func Parse(in Input) (Spec, error) {
	families, err := parseFamilies(in.IPFamilies)
	if err != nil {
		return Spec{}, err
	}
	spec := Spec{
		Families:         families,
		NodeMaskSizeIPv4: in.NodeCIDRMaskSizeIPv4,
		NodeMaskSizeIPv6: in.NodeCIDRMaskSizeIPv6,
		MaxRoutes:        in.MaxRoutes,
	}
	var errs []error
	keep := func(list []netip.Prefix, err error) []netip.Prefix {
		if err != nil {
			errs = append(errs, err)
		}
		return list
	}
	spec.PodCIDRs = keep(parseCIDRList("--pod-cidrs", orDefault(in.PodCIDRs, families, defaultPodCIDRs), families))
	spec.ServiceCIDRs = keep(parseCIDRList("--service-cidrs", orDefault(in.ServiceCIDRs, families, defaultServiceCIDRs), families))
	if in.NodeSubnets != "" {
		spec.NodeSubnets = keep(parseCIDRList("--node-subnets", in.NodeSubnets, families))
	}
	if in.MaxRoutes < len(families) {
		errs = append(errs, &FieldError{Flag: "--max-routes",
			Msg:  fmt.Sprintf("%d leaves no room for a node: each node needs %d route(s), one per family", in.MaxRoutes, len(families)),
			Hint: fmt.Sprintf("use at least %d (the default is %d)", len(families), DefaultMaxRoutes)})
	}
	if len(errs) > 0 {
		return Spec{}, errors.Join(errs...)
	}
	if err := spec.validate(); err != nil {
		return Spec{}, err
	}
	return spec, nil
}

var (
	defaultPodCIDRs     = map[Family]string{IPv4: DefaultPodCIDRIPv4, IPv6: DefaultPodCIDRIPv6}
	defaultServiceCIDRs = map[Family]string{IPv4: DefaultServiceCIDRIPv4, IPv6: DefaultServiceCIDRIPv6}
)

// orDefault picks the default ranges of the chosen families when a list is not given.
func orDefault(value string, families []Family, defaults map[Family]string) string {
	if value != "" {
		return value
	}
	for i, f := range families {
		if i > 0 {
			value += ","
		}
		value += defaults[f]
	}
	return value
}
