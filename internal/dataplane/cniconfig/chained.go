package cniconfig

import (
	"os"
	"path/filepath"
)

// Chained is an upstream plugin (containernetworking/plugins) that the conflist chains after
// dualnet. The agent installs it under a name of its own (Type), so that it never replaces
// (or, at clean-up, removes) the node's plugin of upstream's name, which other networks may
// use at another version.
type Chained struct {
	Flag   string // the agent's flag naming the binary to install
	Binary string // upstream's name, as `make build` and the image have it
	Type   string // the conflist's "type": the file a runtime runs from its CNI bin dir
}

// The chained plugins, in the order of the conflist (conflist.go says why).
var (
	Bandwidth = Chained{Flag: "--cni-bandwidth-plugin", Binary: "bandwidth", Type: "dualnet-bandwidth"}
	Portmap   = Chained{Flag: "--cni-portmap-plugin", Binary: "portmap", Type: "dualnet-portmap"}
)

// Install copies the plugin binary at src to dir/<Type> unless an identical file is there,
// and reports whether it copied. A missing src is an error that matches fs.ErrNotExist and
// names the flag.
func (c Chained) Install(src, dir string) (bool, error) {
	return installBinary(c.Flag, src, filepath.Join(dir, c.Type))
}

// Installed says whether dir holds the copy Install makes.
func (c Chained) Installed(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, c.Type))
	return err == nil
}
