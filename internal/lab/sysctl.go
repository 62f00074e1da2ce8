package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dualnet/dualnet/internal/netns"
)

// setSysctls writes /proc/sys entries inside the named namespace; net.* sysctls are per
// namespace, so the host's own values are never touched.
func setSysctls(netnsName string, values map[string]string) error {
	return netns.Do(netnsName, func() error {
		for key, value := range values {
			path := filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
			if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
				return fmt.Errorf("sysctl %s=%s: %w", key, value, err)
			}
		}
		return nil
	})
}

// Every lab namespace skips IPv6 duplicate address detection: addresses are unique by
// construction, and DAD would hold each new address tentative (unusable) for a second or more.
var noDAD = map[string]string{
	"net.ipv6.conf.all.accept_dad":     "0",
	"net.ipv6.conf.default.accept_dad": "0",
}

// The vnet namespace is the virtual network's router. Its subnet is one bridge, so a packet
// for another node's pods leaves by the port it came in on; redirects would tell the sender
// to skip the route table, which Azure's fabric never does.
var routerSysctls = map[string]string{
	"net.ipv4.ip_forward":                    "1",
	"net.ipv6.conf.all.forwarding":           "1",
	"net.ipv4.conf.all.send_redirects":       "0",
	"net.ipv4.conf.default.send_redirects":   "0",
	"net.ipv6.conf.all.accept_dad":           "0",
	"net.ipv6.conf.default.accept_dad":       "0",
	"net.ipv6.conf.default.accept_redirects": "0",
}
