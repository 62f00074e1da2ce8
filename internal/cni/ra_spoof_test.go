package cni_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// A pod that advertises itself as a router would become the other pods' IPv6 default
// route. Its advertisements are dropped at the bridge, even for a pod that would listen.
func TestRouterAdvertisementFromAPodIsDropped(t *testing.T) {
	nw := newNetwork(t)
	victim, forger := nw.addPod("ra-victim"), nw.addPod("ra-forger")
	// ADD turns accept_ra off in every pod; this victim turns it back on, so that only the
	// bridge stands between it and the forger.
	inPod(t, victim.ns, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_ra=1")

	before := raDropped(t)
	// Router Advertisement: hop limit 64, preference high, router lifetime 1800 s.
	ra := []byte{134, 0, 0, 0, 64, 0x08, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0}
	poll.Eventually(t, 5*time.Second, "the router advertisement drop rule counts the forged ones", func() error {
		if raDropped(t) > before {
			return nil
		}
		sendNeighborDiscovery(t, forger, ra)
		return fmt.Errorf("it still counts %d packets", before)
	})
	if out := inPod(t, victim.ns, "ip", "-6", "route", "show", "default"); strings.Contains(out, "proto ra") {
		t.Errorf("the victim took the forger as a router:\n%s", out)
	}
	mustReach(t, victim, victim.addr(1), nw.gateway(1))
}

func raDropped(t *testing.T) int {
	t.Helper()
	out := nftTable(t)
	m := regexp.MustCompile(`icmpv6 type \{ nd-router-advert, nd-redirect \} counter packets (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no router advertisement drop rule in\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
