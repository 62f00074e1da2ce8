package sysctl

import "strings"

// Setting is one sysctl by its dotted name, e.g. net.ipv4.ip_forward.
type Setting struct {
	Name  string
	Value string
}

// path is where the setting lives under /proc/sys. Dots separate levels, so an interface
// name with a dot (eth0.100) is written with a slash in Name, as sysctl(8) accepts.
func (s Setting) path() string {
	return "/proc/sys/" + strings.ReplaceAll(s.Name, ".", "/")
}

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
			Setting{"net.ipv6.conf." + strings.ReplaceAll(uplink, ".", "/") + ".accept_ra", "2"},
			Setting{"net.ipv6.conf.all.forwarding", "1"},
			Setting{"net.bridge.bridge-nf-call-ip6tables", "1"})
	}
	return out
}
