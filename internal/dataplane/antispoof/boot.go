package antispoof

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// The elements are keyed by interface index, which the kernel never hands out twice in a boot
// but starts over after a reboot. A table that outlives its boot (a ruleset saved with it and
// loaded at boot, or by a firewall reload later) holds the earlier boot's pods under indexes
// this boot gives to other ports, and would let a new pod send as an old one. So the table
// notes its boot, as an empty chain named after the kernel's boot ID, and Repair replaces a
// table that names another boot, or none. (A table comment would read better, but nft 1.0.6,
// Debian 12's, neither lists it in JSON nor changes it on an existing table.)

// bootIDPath is the kernel's random ID of the running boot.
var bootIDPath = "/proc/sys/kernel/random/boot_id"

const bootChainPrefix = "boot-"

// bootIDForm is what the kernel writes: a UUID. Anything else is not put in a chain name.
var bootIDForm = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// bootChain is the chain that names the running boot, or "" when the boot ID cannot be read:
// then the table notes no boot, and no table counts as another boot's.
func bootChain() string {
	data, err := os.ReadFile(bootIDPath)
	id := strings.TrimSpace(string(data))
	if err != nil || !bootIDForm.MatchString(id) {
		return ""
	}
	return bootChainPrefix + id
}

// notThisBoots says why the listed table cannot be taken for this boot's, if it cannot: it
// names another boot, or it names none, which is a table of a dualnet that noted no boot (an
// upgrade replaces it once) or one whose boot chain was deleted. Either may hold another
// boot's elements. When the running boot's ID cannot be read, every table is taken as is.
func (l listing) notThisBoots(now string) (string, bool) {
	if now == "" {
		return "", false
	}
	for chain := range l.chains {
		if strings.HasPrefix(chain, bootChainPrefix) && chain != now {
			return fmt.Sprintf("table bridge %s was written in another boot (chain %s): its elements name interface indexes this boot hands out again", Table, chain), true
		}
	}
	if !l.chains[now] {
		return fmt.Sprintf("table bridge %s names no boot (no chain %s): its elements may be another boot's", Table, now), true
	}
	return "", false
}
