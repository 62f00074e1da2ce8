package podipam

import (
	"errors"
	"net/netip"
	"testing"
)

func set(ss ...string) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	for _, a := range addrs(ss...) {
		out[a] = true
	}
	return out
}

func TestNextFreeGoesInTurnAndWrapsRound(t *testing.T) {
	v4, v6 := netip.MustParsePrefix("10.244.1.0/24"), netip.MustParsePrefix("fd00::/126")
	for _, c := range []struct {
		name  string
		r     netip.Prefix
		used  map[netip.Addr]bool
		last  string
		want  string
		error bool
	}{
		{name: "fresh range", r: v4, want: "10.244.1.2"},
		{name: "after the last, not the lowest free", r: v4, used: set("10.244.1.3"), last: "10.244.1.5", want: "10.244.1.6"},
		{name: "skips the used", r: v4, used: set("10.244.1.6", "10.244.1.7"), last: "10.244.1.5", want: "10.244.1.8"},
		{name: "wraps after the last pod address, never the broadcast", r: v4, last: "10.244.1.254", want: "10.244.1.2"},
		{name: "wraps past the used", r: v4, used: set("10.244.1.2", "10.244.1.3"), last: "10.244.1.254", want: "10.244.1.4"},
		{name: "the last itself when all else is used", r: netip.MustParsePrefix("10.0.0.0/29"), used: set("10.0.0.2", "10.0.0.3", "10.0.0.5", "10.0.0.6"), last: "10.0.0.4", want: "10.0.0.4"},
		{name: "a last outside the range starts at .2", r: v4, last: "10.244.7.9", want: "10.244.1.2"},
		{name: "a last below .2 starts at .2", r: v4, last: "10.244.1.1", want: "10.244.1.2"},
		{name: "IPv6 has no broadcast", r: v6, last: "fd00::2", want: "fd00::3"},
		{name: "IPv6 wraps after the end of the range", r: v6, last: "fd00::3", want: "fd00::2"},
		{name: "exhausted", r: netip.MustParsePrefix("10.0.0.0/30"), used: set("10.0.0.2"), last: "10.0.0.2", error: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var last netip.Addr
			if c.last != "" {
				last = netip.MustParseAddr(c.last)
			}
			got, err := nextFree(c.r, c.used, last)
			if c.error {
				if !errors.Is(err, ErrExhausted) {
					t.Fatalf("nextFree = %v, %v; want ErrExhausted", got, err)
				}
				return
			}
			if err != nil || got != netip.MustParseAddr(c.want) {
				t.Fatalf("nextFree = %v, %v; want %s", got, err, c.want)
			}
		})
	}
}

// FuzzNextFreeIsTheFirstFreePodAddressAfterTheLast checks nextFree against a plain walk of a
// small range: the answer is a free pod address, the first after last going round the range.
func FuzzNextFreeIsTheFirstFreePodAddressAfterTheLast(f *testing.F) {
	f.Add(uint8(24), uint8(0), uint64(0), false)
	f.Add(uint8(28), uint8(14), uint64(0b1011), false)
	f.Add(uint8(124), uint8(3), uint64(0xffff), true)
	f.Fuzz(func(t *testing.T, bits, lastOffset uint8, usedMask uint64, v6 bool) {
		base, max := netip.MustParseAddr("10.244.1.0"), 32
		if v6 {
			base, max = netip.MustParseAddr("fd12::"), 128
		}
		b := max - int(bits)%7 // ranges of 1 to 64 addresses, so the model stays small
		r := netip.PrefixFrom(base, b)
		var all, pods []netip.Addr
		for a := base; r.Contains(a); a = a.Next() {
			all = append(all, a)
		}
		for i, a := range all {
			if i >= 2 && !(a.Is4() && i == len(all)-1) {
				pods = append(pods, a)
			}
		}
		used := map[netip.Addr]bool{}
		for i, a := range pods {
			if i < 64 && usedMask&(1<<i) != 0 {
				used[a] = true
			}
		}
		last := all[int(lastOffset)%len(all)]
		// The model: the pod addresses in the order the allocator must try them.
		start := 0
		for i, a := range pods {
			if a.Compare(last) <= 0 {
				start = i + 1
			}
		}
		var want netip.Addr
		for i := range pods {
			if a := pods[(start+i)%len(pods)]; !used[a] {
				want = a
				break
			}
		}
		got, err := nextFree(r, used, last)
		if !want.IsValid() {
			if !errors.Is(err, ErrExhausted) {
				t.Fatalf("%s, last %s, used %v: got %v, %v; want ErrExhausted", r, last, used, got, err)
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("%s, last %s, used %v: got %v, %v; want %s", r, last, used, got, err, want)
		}
	})
}
