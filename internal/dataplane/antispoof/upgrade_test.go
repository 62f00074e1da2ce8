package antispoof

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// previousTable is the table as dualnet wrote it before the address sets took the MAC into
// their keys (one lookup per field), with pod 1002 registered.
const previousTable = `table bridge ` + Table + ` {
	set ports { type iface_index; flags timeout; elements = { 1002 } }
	set macs { type iface_index . ether_addr; flags timeout; elements = { 1002 . 02:00:00:00:03:ea } }
	set ipv4 { type iface_index . ipv4_addr; flags timeout; elements = { 1002 . 10.244.1.3 } }
	set ipv6 { type iface_index . ipv6_addr; flags timeout; }
	set na-targets { typeof iif . @th,64,128; flags timeout; }
	chain pod-ipv4 { iif . ip saddr @ipv4 accept; counter drop; }
	chain prerouting {
		type filter hook prerouting priority -200;
		iifname != "dn*" accept
		iif != @ports counter drop
		iif . ether saddr != @macs counter drop
		ether type vmap { ip : jump pod-ipv4 }
		counter drop
	}
}`

// A node upgraded from that layout gets this one at its first ADD, keeping its pods.
func TestInstallReplacesThePreviousLayoutKeepingThePods(t *testing.T) {
	freshTable(t)
	nft(t, previousTable)
	live := func() ([]Pod, error) { return []Pod{pod(1002, "10.244.1.3")}, nil }
	if err := Install(context.Background(), pod(1001, "10.244.1.2"), live); err != nil {
		t.Fatal(err)
	}
	checkUpgraded(t)
}

// And, where no pod starts, at the agent's next Repair.
func TestRepairReplacesThePreviousLayoutKeepingThePods(t *testing.T) {
	freshTable(t)
	nft(t, previousTable)
	repair(t, true, pod(1001, "10.244.1.2"), pod(1002, "10.244.1.3"))
	checkUpgraded(t)
}

func checkUpgraded(t *testing.T) {
	t.Helper()
	if got := indexes(t); !slices.Equal(got, []int{1001, 1002}) {
		t.Errorf("registered ports %v, want [1001 1002]", got)
	}
	dump := nftList(t)
	for _, want := range []string{"1001 . 02:00:00:00:03:e9 . 10.244.1.2", "1002 . 02:00:00:00:03:ea . 10.244.1.3", "iif . ether saddr . ip saddr @ipv4 accept"} {
		if !strings.Contains(dump, want) {
			t.Errorf("want %q in\n%s", want, dump)
		}
	}
	if strings.Contains(dump, "iif != @ports") {
		t.Errorf("the previous layout's rules are left:\n%s", dump)
	}
}
