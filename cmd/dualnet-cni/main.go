// The runtime's monitor would otherwise read the cgroup's CPU limit again as the plugin
// starts, to update GOMAXPROCS, which cni.Main sets to one anyway.
//
//go:debug updatemaxprocs=0

// Command dualnet-cni is the dualnet CNI plugin (`"type": "dualnet"`); container runtimes
// execute it once per verb with the network config on stdin. Run without CNI_COMMAND, it
// prints its version.
package main

import (
	"github.com/dualnet/dualnet/internal/cni"
	"github.com/dualnet/dualnet/internal/version"
)

func main() {
	cni.Main("dualnet-cni " + version.Version + ": dual-stack kubenet pod networking")
}
