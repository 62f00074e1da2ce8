package cni

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/plugins/pkg/ns"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/podipam"
)

// attachmentOf checks CNI_CONTAINERID and CNI_IFNAME by the CNI spec's rules and returns
// the attachment they name. The store's file names and the pod's interface come from them,
// so every verb checks them, whoever calls it.
func attachmentOf(args *Args) (podipam.Key, error) {
	const idRule = "the CNI spec allows letters, digits, '_', '.' and '-', starting with a letter or digit"
	if args.ContainerID == "" {
		return podipam.Key{}, types.NewError(types.ErrUnknownContainer, fmt.Sprintf("CNI_CONTAINERID %q: missing containerID; %s", args.ContainerID, idRule), "")
	}
	if !config.ValidName(args.ContainerID) {
		return podipam.Key{}, types.NewError(types.ErrInvalidEnvironmentVariables, fmt.Sprintf("CNI_CONTAINERID %q: invalid characters in containerID; %s", args.ContainerID, idRule), "")
	}
	if problem := config.IfNameProblem(args.IfName); problem != "" {
		return podipam.Key{}, types.NewError(types.ErrInvalidEnvironmentVariables,
			fmt.Sprintf("CNI_IFNAME %q: %s; an interface name has 1 to %d bytes, is not . or .., and holds no '/', ':', whitespace or NUL", args.IfName, problem, config.MaxIfName), "")
	}
	return podipam.Key{ContainerID: args.ContainerID, IfName: args.IfName}, nil
}

// openPodNS opens CNI_NETNS, refusing the plugin's own network namespace: that is the
// node's, and configuring a pod's interface there would put the node's gateway route on it
// (skel checks this too, but only after ADD has run).
func openPodNS(path string) (ns.NetNS, error) {
	podNS, err := ns.GetNS(path)
	if err != nil {
		return nil, types.NewError(types.ErrInvalidNetNS, fmt.Sprintf("CNI_NETNS %q: %v", path, err), "")
	}
	var pod, own unix.Stat_t
	if err := unix.Fstat(int(podNS.Fd()), &pod); err != nil {
		podNS.Close()
		return nil, types.NewError(types.ErrInvalidNetNS, fmt.Sprintf("CNI_NETNS %q: %v", path, err), "")
	}
	if err := unix.Stat("/proc/thread-self/ns/net", &own); err == nil && pod.Dev == own.Dev && pod.Ino == own.Ino {
		podNS.Close()
		return nil, types.NewError(types.ErrInvalidNetNS,
			fmt.Sprintf("CNI_NETNS %q is the plugin's own network namespace, the node's: a pod needs a namespace of its own (the runtime passed the wrong path)", path), "")
	}
	return podNS, nil
}

// inPodNS runs f in the pod's namespace; an error says which namespace and what was being
// done there.
//
// As ns.Do does, f runs on a goroutine of its own, locked to its thread, so that a thread
// that cannot switch back dies with that goroutine rather than run the rest of the call in
// the pod's namespace. ns.Do also opens the caller's namespace, which the plugin never uses,
// and the thread's, each through a path it formats, an open, an fstatfs and a NetNS around
// it; this opens the thread's namespace once, by its /proc/thread-self name.
func inPodNS(podNS ns.NetNS, doing string, f func() error) error {
	done := make(chan error, 1)
	go func() {
		err := errors.New("the goroutine ended before f returned")
		defer func() { done <- err }() // sent even if f ends the goroutine (runtime.Goexit)
		runtime.LockOSThread()
		err = switchAndRun(int(podNS.Fd()), f)
	}()
	if err := <-done; err != nil {
		return fmt.Errorf("in the pod's network namespace %s (CNI_NETNS), %s: %w", podNS.Path(), doing, err)
	}
	return nil
}

// switchAndRun moves the calling thread, which the caller has locked, into the network
// namespace podNS, runs f and moves it back. It unlocks the thread only once it is back.
func switchAndRun(podNS int, f func() error) (err error) {
	own, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open the node's network namespace: %w", err)
	}
	defer unix.Close(own)
	if err := unix.Setns(podNS, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("enter it: %w", err)
	}
	defer func() {
		if berr := unix.Setns(own, unix.CLONE_NEWNET); berr != nil {
			// The thread stays locked: the runtime ends it with the goroutine.
			err = errors.Join(err, fmt.Errorf("return to the node's network namespace: %w", berr))
			return
		}
		runtime.UnlockOSThread()
	}()
	return f()
}
