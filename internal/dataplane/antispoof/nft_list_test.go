package antispoof

import (
	"reflect"
	"testing"
)

// listed is `nft --json list table` (nft 1.0.6) of a table with elements of each form: an
// interface's name, an index without an interface (as a string and as a number), a
// concatenation, and one wrapped with its timeout. Set ipv6 and chain pod-mac are missing.
const listed = `{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
{"table": {"family": "bridge", "name": "dualnet-antispoof", "handle": 1}},
{"set": {"family": "bridge", "name": "ports", "table": "dualnet-antispoof", "type": "iface_index", "flags": ["timeout"], "elem": ["dn-test0", "999", 1000]}},
{"set": {"family": "bridge", "name": "macs", "table": "dualnet-antispoof", "type": ["iface_index", "ether_addr"], "flags": ["timeout"],
  "elem": [{"concat": ["dn-test0", "02:00:00:00:00:01"]}, {"elem": {"val": {"concat": ["999", "02:00:00:00:00:02"]}, "timeout": 3600, "expires": 3599}}]}},
{"set": {"family": "bridge", "name": "ipv4", "table": "dualnet-antispoof", "type": ["iface_index", "ether_addr", "ipv4_addr"], "flags": ["timeout"]}},
{"chain": {"family": "bridge", "table": "dualnet-antispoof", "name": "prerouting", "handle": 7, "type": "filter", "hook": "prerouting", "prio": -200, "policy": "accept"}},
{"chain": {"family": "bridge", "table": "dualnet-antispoof", "name": "pod-na", "handle": 6}},
{"rule": {"family": "bridge", "table": "dualnet-antispoof", "chain": "prerouting", "handle": 20, "expr": [{"accept": null}]}},
{"rule": {"family": "bridge", "table": "dualnet-antispoof", "chain": "prerouting", "handle": 21, "expr": [{"drop": null}]}}]}`

func TestListingReadsEveryElementFormAndCountsRules(t *testing.T) {
	l, err := parseListing([]byte(listed))
	if err != nil {
		t.Fatal(err)
	}
	want := listing{
		elements: map[string][][]string{
			"ports": {{"dn-test0"}, {"999"}, {"1000"}},
			"macs":  {{"dn-test0", "02:00:00:00:00:01"}, {"999", "02:00:00:00:00:02"}},
			"ipv4":  {},
		},
		chains: map[string]bool{"prerouting": true, "pod-na": true},
		rules:  map[string]int{"prerouting": 2},
	}
	if !reflect.DeepEqual(l, want) {
		t.Errorf("listing:\n got %+v\nwant %+v", l, want)
	}
	if got, want := l.damage(), "set ipv6 of table bridge dualnet-antispoof is missing"; got != want {
		t.Errorf("damage = %q, want %q", got, want)
	}
}

func TestListingRefusesWhatIsNotNftsJSON(t *testing.T) {
	for _, bad := range []string{
		``, `{"nftables": [{"set": {"name": "ports", "elem": [true]}}]}`,
		`{"nftables": [{"set": {"name": "ports", "elem": [{"range": ["1", "2"]}]}}]}`,
		`{"nftables": [{"set": {"name": "macs", "elem": [{"concat": ["1", null]}]}}]}`,
	} {
		if _, err := parseListing([]byte(bad)); err == nil {
			t.Errorf("parseListing(%q) = nil error", bad)
		}
	}
}

func FuzzParseListing(f *testing.F) {
	f.Add([]byte(listed))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := parseListing(data)
		if err == nil {
			_, _ = registrations(l)
			_ = l.damage()
		}
	})
}
