// Package freshns runs test code in a network namespace of its own, unnamed, as a node that
// was made anew sees the world: a new namespace under the same kernel boot.
package freshns

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Do runs fn on a thread moved into a new network namespace and returns fn's error. The
// thread stays locked, so Go ends it when fn returns, and the namespace goes with it (unless
// something fn made holds it). fn runs on another goroutine than the caller's: it must not
// call t.Fatal.
func Do(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("unshare a network namespace: %w", err)
			return
		}
		done <- fn()
	}()
	return <-done
}
