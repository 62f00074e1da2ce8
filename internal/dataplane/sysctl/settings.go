package sysctl

import "strings"

// Setting is one sysctl by its dotted name, e.g. net.ipv4.ip_forward.
type Setting struct {
	Name  string
	Value string
}

// path is where the setting lives under /proc/sys. Dots separate levels in Name, so a dot
// inside one level (the VLAN interface eth0.100) is written as a slash, and path swaps the two
// back, as sysctl(8) does: net.ipv6.conf.eth0/100.accept_ra is
// /proc/sys/net/ipv6/conf/eth0.100/accept_ra.
func (s Setting) path() string {
	return "/proc/sys/" + swapDotsAndSlashes.Replace(s.Name)
}

// swapDotsAndSlashes turns each '.' into '/' and each '/' into '.' in one pass.
var swapDotsAndSlashes = strings.NewReplacer(".", "/", "/", ".")

// level writes one level of a dotted name (an interface name) in sysctl(8)'s form.
func level(name string) string { return strings.ReplaceAll(name, ".", "/") }

// ForNode lists what a node of the given families needs; uplink is the interface that holds
// the node's InternalIP.
func ForNode(ipv4, ipv6 bool, uplink string) []Setting {
	var out []Setting
	if ipv4 {
		out = append(out,
			Setting{"net.ipv4.ip_forward", "1"},
			Setting{"net.bridge.bridge-nf-call-iptables", "1"})
	}
	if ipv6 {
		out = append(out,
			Setting{"net.ipv6.conf." + level(uplink) + ".accept_ra", "2"},
			Setting{"net.ipv6.conf.all.forwarding", "1"},
			Setting{"net.bridge.bridge-nf-call-ip6tables", "1"})
	}
	return out
}
