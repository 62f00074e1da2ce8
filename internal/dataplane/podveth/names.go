package podveth

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"strings"

	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/podipam"
)

// HostName is the host end's name: the port prefix ("dn") and 12 hex digits of a hash of
// the attachment fit IFNAMSIZ (15), so DEL and GC find the port without any state.
func HostName(k podipam.Key) string {
	sum := sha256.Sum256([]byte(k.String()))
	return cnicontract.PortPrefix + hex.EncodeToString(sum[:6])
}

// IsHostName tells dualnet's host veth names from everything else on the node.
func IsHostName(name string) bool {
	hash, ok := strings.CutPrefix(name, cnicontract.PortPrefix)
	if !ok || len(hash) != 12 {
		return false
	}
	_, err := hex.DecodeString(hash)
	return err == nil
}

// HostMAC is the host end's MAC, stable so that the plugin's result can report it without
// asking the kernel.
func HostMAC(k podipam.Key) net.HardwareAddr { return bridge.StableMAC("host/" + k.String()) }

// PodMAC is the pod end's MAC, fixed by dualnet rather than random, so that the
// anti-spoofing rules can hold the pod to it and a table written again knows it without
// entering the pod's namespace.
func PodMAC(k podipam.Key) net.HardwareAddr { return bridge.StableMAC("pod/" + k.String()) }
