// Command vethonly is one of the benchmark's floors: a CNI plugin (`"type": "vethonly"`) that
// does the least any veth plugin does and nothing else. ADD creates a veth pair, the peer
// named CNI_IFNAME in the pod's namespace, down, without addresses; DEL deletes it from the
// host end, as dualnet-cni does. Through libcni, its latency is what a plugin that makes a
// veth cannot go below: the no-op plugin's exec and start, and the kernel's creation and
// deletion of the pair, charged to a process that has just started.
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func main() {
	runtime.GOMAXPROCS(1) // as dualnet-cni runs (cni.Main)
	if err := run(os.Getenv("CNI_COMMAND")); err != nil {
		fmt.Printf(`{"cniVersion":"1.1.0","code":999,"msg":%q}`, err.Error())
		os.Exit(1)
	}
}

func run(command string) error {
	// The benchmark's container IDs are bench-<n>: the host end is dn-bench-o<n>.
	host := "dn-bench-o" + strings.TrimPrefix(os.Getenv("CNI_CONTAINERID"), "bench-")
	switch command {
	case "ADD":
		podNS, err := os.Open(os.Getenv("CNI_NETNS"))
		if err != nil {
			return err
		}
		defer podNS.Close()
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: host}, PeerName: os.Getenv("CNI_IFNAME"),
			PeerNamespace: netlink.NsFd(podNS.Fd())}
		if err := netlink.LinkAdd(veth); err != nil {
			return fmt.Errorf("create %s: %w", host, err)
		}
		fmt.Printf(`{"cniVersion":"1.1.0","interfaces":[{"name":%q}]}`, host)
	case "DEL":
		link, err := netlink.LinkByName(host)
		if errors.As(err, &netlink.LinkNotFoundError{}) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := netlink.LinkDel(link); err != nil && !errors.Is(err, unix.ENODEV) {
			return fmt.Errorf("delete %s: %w", host, err)
		}
	}
	return nil
}
