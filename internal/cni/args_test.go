package cni_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/vishvananda/netlink"
)

// A runtime that hands the plugin the node's own namespace as the pod's used to get code
// 999 "default route via fd12:…::1 in the pod: invalid argument".
func TestAddIntoTheNodesOwnNamespaceFailsSayingSo(t *testing.T) {
	nw := newNetwork(t)
	node := fmt.Sprintf("/proc/%d/ns/net", os.Getpid())
	err := nw.exec("ADD", "own-netns", node)
	code, msg := cniCode(err)
	if code != types.ErrInvalidNetNS || !strings.Contains(msg, fmt.Sprintf("CNI_NETNS %q", node)) || !strings.Contains(msg, "own network namespace, the node's") {
		t.Errorf("ADD into the node's namespace = %v (code %d), want code %d naming CNI_NETNS as the node's own namespace", err, code, types.ErrInvalidNetNS)
	}
	if left := nw.leftovers(); len(left) != 0 {
		t.Errorf("the refused ADD left %v", left)
	}
	if _, err := netlink.LinkByName(nw.bridge); err == nil {
		t.Error("the refused ADD created the bridge")
	}
}

func TestAnErrorInsideThePodNamespaceNamesItAndWhatWasBeingDone(t *testing.T) {
	nw := newNetwork(t)
	sandbox := newSandbox(t)
	// The pod holds the IPv6 gateway's address itself: the kernel refuses an IPv6 route via
	// a local address, as it did in the node's namespace.
	gw := nw.gateway(1).String()
	inPod(t, sandbox, "ip", "addr", "add", gw+"/128", "dev", "lo")
	err := nw.exec("ADD", "bad-pod-netns", sandbox.Path)
	t.Cleanup(func() { _ = nw.exec("DEL", "bad-pod-netns", sandbox.Path) })
	if err == nil {
		t.Fatal("ADD succeeded; want the default route to fail")
	}
	for _, want := range []string{"in the pod's network namespace " + sandbox.Path + " (CNI_NETNS)", "configuring eth0", "add the default route via " + gw} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ADD error %q does not say %q", err, want)
		}
	}
	if left := nw.leftovers(); len(left) != 0 {
		t.Errorf("the failed ADD left %v", left)
	}
}

// CNI puts no limit on a container ID. The store names its records within the file-name
// limit for every ID, including those (251 to 254 bytes with ":eth0") that DEL used to fail
// on forever with "file name too long".
func TestLongContainerIDsAddAndDelLeaveNothingBehind(t *testing.T) {
	nw := newNetwork(t)
	sandbox := newSandbox(t)
	for _, n := range []int{246, 247, 249, 250, 251, 300, 1000} {
		id := strings.Repeat("a", n)
		if err := nw.exec("ADD", id, sandbox.Path); err != nil {
			t.Fatalf("ADD of a %d-byte container ID: %v", n, err)
		}
		if err := nw.exec("DEL", id, sandbox.Path); err != nil {
			t.Fatalf("DEL of a %d-byte container ID: %v", n, err)
		}
		if left := nw.leftovers(); len(left) != 0 {
			t.Fatalf("ADD and DEL of a %d-byte container ID left %v", n, left)
		}
	}
}

func TestDelOfAnAttachmentNeverAddedSucceeds(t *testing.T) {
	nw := newNetwork(t)
	nw.addPod("present")
	before := nw.leftovers()
	for _, n := range []int{8, 250, 300} {
		if err := nw.exec("DEL", strings.Repeat("b", n), "/nonexistent/netns"); err != nil {
			t.Errorf("DEL of a never-added %d-byte container ID: %v", n, err)
		}
	}
	if after := nw.leftovers(); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("DEL of never-added attachments changed the network from %v to %v", before, after)
	}
}
