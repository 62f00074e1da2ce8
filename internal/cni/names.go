package cni

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"strings"

	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/podipam"
)

// hostVethName derives the host end's name from the attachment, so DEL and GC find it
// without any state: the port prefix ("dn") and 12 hex digits of a hash fit IFNAMSIZ (15).
func hostVethName(k podipam.Key) string {
	sum := sha256.Sum256([]byte(k.String()))
	return cnicontract.PortPrefix + hex.EncodeToString(sum[:6])
}

// isHostVethName tells dualnet's host veth names from everything else on the node.
func isHostVethName(name string) bool {
	hash, ok := strings.CutPrefix(name, cnicontract.PortPrefix)
	if !ok || len(hash) != 12 {
		return false
	}
	_, err := hex.DecodeString(hash)
	return err == nil
}

// hostVethMAC is a stable locally administered MAC for the host end, so that the result can
// report it without asking the kernel.
func hostVethMAC(k podipam.Key) net.HardwareAddr { return stableMAC("host/" + k.String()) }

// podVethMAC is the pod end's MAC, fixed by dualnet rather than random, so that the
// anti-spoofing rules can hold the pod to it and a table written again knows it without
// entering the pod's namespace.
func podVethMAC(k podipam.Key) net.HardwareAddr { return stableMAC("pod/" + k.String()) }

// stableMAC is a locally administered unicast MAC derived from seed.
func stableMAC(seed string) net.HardwareAddr {
	sum := sha256.Sum256([]byte(seed))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&^0x01 | 0x02
	return mac
}
