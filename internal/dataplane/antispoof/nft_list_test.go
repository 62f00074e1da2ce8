package antispoof

import (
	"reflect"
	"strings"
	"testing"
)

// listed is `nft --json list table` (nft 1.0.6) of a table with elements of each form: an
// interface's name, an index without an interface (as a string and as a number), a
// concatenation, one wrapped with its timeout and one with a comment, and a raw 128-bit
// value. Set ipv6 and chain pod-mac are missing.
const listed = `{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
{"table": {"family": "bridge", "name": "dualnet-antispoof", "handle": 1}},
{"set": {"family": "bridge", "name": "ports", "table": "dualnet-antispoof", "type": "iface_index", "flags": ["timeout"], "elem": ["dn-test0", "999", 1000]}},
{"set": {"family": "bridge", "name": "macs", "table": "dualnet-antispoof", "type": ["iface_index", "ether_addr"], "flags": ["timeout"],
  "elem": [{"concat": ["dn-test0", "02:00:00:00:00:01"]}, {"elem": {"val": {"concat": ["999", "02:00:00:00:00:02"]}, "timeout": 3600, "expires": 3599}}]}},
{"set": {"family": "bridge", "name": "ipv4", "table": "dualnet-antispoof", "type": ["iface_index", "ether_addr", "ipv4_addr"], "flags": ["timeout"]}},
{"set": {"family": "bridge", "name": "na-targets", "table": "dualnet-antispoof", "type": ["iface_index", "integer"], "flags": ["timeout"],
  "elem": [{"concat": ["dn-test0", "0xfe800000000000000000000000000001"]}, {"elem": {"val": {"concat": ["999", "0x20010db8000000000000000000000001"]}, "comment": "a hand-made element"}}]}},
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
			"ports":      {{"dn-test0"}, {"999"}, {"1000"}},
			"macs":       {{"dn-test0", "02:00:00:00:00:01"}, {"999", "02:00:00:00:00:02"}},
			"ipv4":       {},
			"na-targets": {{"dn-test0", "0xfe800000000000000000000000000001"}, {"999", "0x20010db8000000000000000000000001"}},
		},
		chains:     map[string]bool{"prerouting": true, "pod-na": true},
		rules:      map[string]int{"prerouting": 2},
		unreadable: map[string]error{},
	}
	if !reflect.DeepEqual(l, want) {
		t.Errorf("listing:\n got %+v\nwant %+v", l, want)
	}
	if got, want := l.damage(), "set ipv6 of table bridge dualnet-antispoof is missing"; got != want {
		t.Errorf("damage = %q, want %q", got, want)
	}
}

func TestListingRefusesWhatIsNotNftsJSON(t *testing.T) {
	for _, bad := range []string{``, `[]`, `{"nftables": [{"set": {"name": 1}}]}`} {
		if _, err := parseListing([]byte(bad)); err == nil {
			t.Errorf("parseListing(%q) = nil error", bad)
		}
	}
}

// An element this version cannot read (another version's table may hold forms it never
// writes) fails only the readers of its set: Damage still sees the table, so Repair can
// replace it.
func TestUnreadableElementFailsOnlyTheReadersOfItsSet(t *testing.T) {
	for _, elem := range []string{`true`, `null`, `{"range": ["1", "2"]}`, `{"concat": ["1", null]}`, `{"elem": {}}`} {
		inNA := `{"nftables": [{"set": {"name": "na-targets", "elem": [` + elem + `]}}, {"set": {"name": "macs", "elem": [{"concat": ["7", "02:00:00:00:00:07"]}]}}]}`
		l, err := parseListing([]byte(inNA))
		if err != nil {
			t.Fatalf("%s in na-targets: %v", elem, err)
		}
		if _, err := registrations(l); err != nil {
			t.Errorf("%s in na-targets: registrations: %v", elem, err)
		}
		inMacs := `{"nftables": [{"set": {"name": "ports", "elem": ["7"]}}, {"set": {"name": "macs", "elem": [` + elem + `]}}]}`
		if l, err = parseListing([]byte(inMacs)); err != nil {
			t.Fatalf("%s in macs: %v", elem, err)
		}
		if _, err := registrations(l); err == nil || !strings.Contains(err.Error(), "set bridge dualnet-antispoof macs: element") {
			t.Errorf("%s in macs: registrations = %v, want an error naming the set and the element", elem, err)
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
