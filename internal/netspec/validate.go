package netspec

import (
	"errors"
	"fmt"
	"net/netip"
)

// validate checks the rules that relate one field to another. The lists are already parsed
// and match the families in count and order.
func (s Spec) validate() error {
	var errs []error
	for _, f := range s.Families {
		if err := s.checkNodeMask(f); err != nil {
			errs = append(errs, err)
		}
		if err := s.checkServiceCIDR(f); err != nil {
			errs = append(errs, err)
		}
		if err := s.checkNodeSubnet(f); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, s.checkOverlaps(f)...)
	}
	return errors.Join(errs...)
}

// checkNodeMask: a node's pod CIDR must fit inside the cluster's more than once, and must
// leave room for the bridge gateway and at least one pod (so at most a /30 or a /126).
func (s Spec) checkNodeMask(f Family) error {
	flag := "--node-cidr-mask-size-" + string(f)
	pod, _ := s.PodCIDR(f)
	mask := s.NodeMaskSize(f)
	if mask <= pod.Bits() {
		return &FieldError{Flag: flag,
			Msg:  fmt.Sprintf("/%d is not longer than the %s pod CIDR %s, so a node's range would not fit inside it more than once", mask, f, pod),
			Hint: fmt.Sprintf("use a mask longer than %d (the default is /%d)", pod.Bits(), defaultNodeMask(f))}
	}
	if err := nodeMaskRoom(flag, fmt.Sprintf("/%d", mask), f, mask); err != nil {
		return err
	}
	return nil
}

func defaultNodeMask(f Family) int {
	if f == IPv6 {
		return DefaultNodeCIDRMaskSizeIPv6
	}
	return DefaultNodeCIDRMaskSizeIPv4
}

// checkServiceCIDR: AKS (and kube-apiserver's allocator) take an IPv6 service range of at
// most a /108; any service range must hold the kubernetes service IP and one more.
func (s Spec) checkServiceCIDR(f Family) error {
	svc, _ := s.ServiceCIDR(f)
	if f == IPv6 && svc.Bits() < MaxIPv6ServicePrefixBits {
		return &FieldError{Flag: "--service-cidrs",
			Msg:  fmt.Sprintf("%s is larger than /%d, the largest IPv6 service range", svc, MaxIPv6ServicePrefixBits),
			Hint: fmt.Sprintf("use a /%d or smaller, like %s", MaxIPv6ServicePrefixBits, netip.PrefixFrom(svc.Addr(), MaxIPv6ServicePrefixBits))}
	}
	if svc.Bits() > f.Bits()-2 {
		return &FieldError{Flag: "--service-cidrs",
			Msg:  fmt.Sprintf("%s is too small to hold the kubernetes service IP and a service", svc),
			Hint: fmt.Sprintf("use a /%d or larger", f.Bits()-2)}
	}
	return nil
}

// checkNodeSubnet: Azure hands out node addresses from .4 and keeps the last one, so a node
// subnet must have room past those.
func (s Spec) checkNodeSubnet(f Family) error {
	subnet, ok := s.NodeSubnet(f)
	if !ok {
		return nil
	}
	if subnet.Bits() > f.Bits()-3 {
		return &FieldError{Flag: "--node-subnets",
			Msg:  fmt.Sprintf("%s has no room for a node: Azure keeps the first four addresses and the last", subnet),
			Hint: fmt.Sprintf("use a /%d or larger", f.Bits()-3)}
	}
	return nil
}

// checkOverlaps: pod, service and node ranges of a family must be disjoint, or traffic for
// one would be routed as another.
func (s Spec) checkOverlaps(f Family) []error {
	type named struct {
		flag string
		p    netip.Prefix
		ok   bool
	}
	pod, podOK := s.PodCIDR(f)
	svc, svcOK := s.ServiceCIDR(f)
	node, nodeOK := s.NodeSubnet(f)
	ranges := []named{{"--pod-cidrs", pod, podOK}, {"--service-cidrs", svc, svcOK}, {"--node-subnets", node, nodeOK}}
	var errs []error
	for i := range ranges {
		for j := i + 1; j < len(ranges); j++ {
			a, b := ranges[i], ranges[j]
			if a.ok && b.ok && a.p.Overlaps(b.p) {
				errs = append(errs, &FieldError{Flag: b.flag,
					Msg:  fmt.Sprintf("%s overlaps %s %s", b.p, a.flag, a.p),
					Hint: "pod, service and node ranges must not overlap"})
			}
		}
	}
	return errs
}
