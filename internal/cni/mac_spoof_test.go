package cni_test

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/testutil/poll"
)

// A pod that takes another pod's MAC would make the bridge switch that pod's traffic to it.
// Its frames are dropped before the bridge learns from them; with its own MAC back, it works.
func TestForgedSourceMACIsDroppedAndTheBridgeDoesNotLearnIt(t *testing.T) {
	nw := newNetwork(t)
	honest, forger := nw.addPod("mac-honest"), nw.addPod("mac-forger")
	honestMAC, ownMAC := honest.result.Interfaces[2].Mac, forger.result.Interfaces[2].Mac
	mustReach(t, forger, forger.addr(0), nw.gateway(0))

	before := droppedIn(t, "pod-mac")
	setMAC(t, forger, honestMAC)
	if err := ping(forger, forger.addr(0), nw.gateway(0)); err == nil {
		t.Error("a pod sending from another pod's MAC reached the gateway")
	}
	if after := droppedIn(t, "pod-mac"); after <= before {
		t.Errorf("the MAC drop rule counted %d packets before and %d after", before, after)
	}
	if port := fdbPort(t, honestMAC); port != "" && port != honest.result.Interfaces[1].Name {
		t.Errorf("the bridge learned the honest pod's MAC %s on %s", honestMAC, port)
	}
	setMAC(t, forger, ownMAC)
	mustReach(t, forger, forger.addr(0), nw.gateway(0))
	mustReach(t, honest, honest.addr(0), nw.gateway(0))
}

// setMAC gives the pod's eth0 the MAC mac, and waits until the bridge forwards from the pod's
// port again. Taking eth0 down takes the carrier of the host end, and the bridge disables that
// port; it takes the port back only when the kernel's link watcher, a work item that needs the
// RTNL lock, has seen the carrier return: on a loaded machine, more than a second after eth0
// is up. Until then the bridge drops every frame from the port before its prerouting hook, so
// the anti-spoofing rules never see (nor count) them.
func setMAC(t *testing.T, p *pod, mac string) {
	t.Helper()
	inPod(t, p.ns, "ip", "link", "set", "eth0", "down")
	inPod(t, p.ns, "ip", "link", "set", "eth0", "address", mac)
	inPod(t, p.ns, "ip", "link", "set", "eth0", "up")
	port := p.result.Interfaces[1].Name
	poll.Eventually(t, 10*time.Second, "the bridge forwards from port "+port+" again", func() error {
		state, err := portState(port)
		if err != nil {
			return err
		}
		return poll.Met(state == "forwarding", "its state is "+state)
	})
}

// portState is the state of the bridge port port in the node's bridge: "forwarding",
// "disabled"...
func portState(port string) (string, error) {
	out, err := exec.Command("bridge", "-j", "link", "show", "dev", port).CombinedOutput() // the test runs in the node namespace
	if err != nil {
		return "", fmt.Errorf("bridge link show dev %s: %v: %s", port, err, out)
	}
	var ports []struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(out, &ports); err != nil || len(ports) != 1 {
		return "", fmt.Errorf("bridge link show dev %s: not one port in %q", port, out)
	}
	return ports[0].State, nil
}

// fdbPort is the bridge port the node's bridge has learned mac on, "" if none.
func fdbPort(t *testing.T, mac string) string {
	t.Helper()
	out, err := exec.Command("bridge", "fdb", "show").CombinedOutput() // the test runs in the node namespace
	if err != nil {
		t.Fatalf("bridge fdb show: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(mac) + ` dev (\S+)`).FindStringSubmatch(string(out))
	if m == nil {
		return ""
	}
	return m[1]
}
