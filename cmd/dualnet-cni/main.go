// Command dualnet-cni is the dualnet CNI plugin (`"type": "dualnet"`); container runtimes
// execute it once per verb with the network config on stdin.
package main

import (
	"github.com/containernetworking/cni/pkg/skel"

	"github.com/dualnet/dualnet/internal/cni"
)

func main() {
	skel.PluginMainFuncs(cni.Funcs(), cni.VersionInfo(), "dualnet-cni: dual-stack kubenet pod networking")
}
