// Command dualnet-pause is the pod sandbox ("pause") program of the lab's image
// registry.k8s.io/pause:3.10.2 (internal/lab/images): the first process of every pod, which
// holds the pod's namespaces while its containers come and go. It does what Kubernetes'
// build/pause/linux/pause.c does: it blocks until SIGINT or SIGTERM and then exits 0, and it
// reaps every child that exits, since as PID 1 of a pod that shares its PID namespace it
// inherits the orphans of the pod's containers.
//
// It must stay static (make build builds it with CGO_ENABLED=0): the image has nothing else.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/dualnet/dualnet/internal/version"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-v" {
		fmt.Printf("dualnet-pause %s\n", version.Version)
		return
	}
	if len(os.Args) > 1 {
		fmt.Fprintf(os.Stderr, "dualnet-pause takes no arguments but -v (version), not %q\n", os.Args[1:])
		os.Exit(1)
	}
	// Buffered: a signal that arrives while a reap runs is not lost, and one reap collects
	// every exited child, however many SIGCHLDs the kernel merged.
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	// After Notify: once this is printed, SIGTERM and SIGINT end pause with status 0.
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "Warning: pause should be the first process")
	}
	reap()
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		fmt.Fprintf(os.Stderr, "Shutting down, got signal: %v\n", sig)
		os.Exit(0)
	}
}

// reap waits for every child that has exited, without blocking on those still running.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
