package cni_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"
)

// Runtimes do not always pass plugins a PATH. DEL of a pod whose namespace (and with it the
// veth) went first lists the anti-spoofing table through nft; it must still find nft, and
// release the address.
func TestDelWithoutPATHAfterTheNamespaceWentReleasesEverything(t *testing.T) {
	nw := newNetwork(t)
	p := nw.addPod("no-path")
	namespacesGone(t, p)

	cmd := exec.Command(filepath.Join(nw.bin, "dualnet"))
	cmd.Env = []string{"CNI_COMMAND=DEL", "CNI_CONTAINERID=" + p.rt.ContainerID, "CNI_NETNS=" + p.ns.Path, "CNI_IFNAME=eth0", "CNI_PATH=" + nw.bin}
	cmd.Stdin = bytes.NewReader(nw.pluginConf())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("DEL without PATH: %v: %s", err, out)
	}
	if left := nw.leftovers(); len(left) != 0 {
		t.Errorf("after DEL: %v", left)
	}
}
