package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"k8s.io/klog/v2"
)

// The watches start a sync (or the anti-spoofing sweep) as soon as node state that these put
// in place changes, instead of at the next --resync (or --antispoof-sweep): netlink updates of links, addresses and
// routes (watch_links.go), nftables notifications (watch_nftables.go) and inotify events of
// the CNI directories (watch_files.go). Each ignores what comes and goes with pods.

// watchRetry is the pause before a watch starts again after it failed or ended (a socket
// buffer overrun, ENOBUFS, ends a netlink subscription).
const watchRetry = time.Second

// keepWatching runs watch until ctx ends, starting it again after watchRetry whenever it
// returns, with a resync, as changes may have been missed meanwhile. The watches make
// repairs prompt; the periodic resync stays the backstop.
func keepWatching(ctx context.Context, what string, watch func(context.Context) error, resync func()) {
	logger := klog.FromContext(ctx)
	for {
		err := watch(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errNoDirYet) {
			continue
		}
		logger.Error(err, "Watch ended; starting it again", "watch", what, "after", watchRetry)
		resync()
		select {
		case <-ctx.Done():
			return
		case <-time.After(watchRetry):
		}
	}
}

// readUntilDone reads fd (non-blocking: the reads wait in Go's poller) and hands each read to
// handle until ctx ends (nil) or handle returns an error; it closes fd.
func readUntilDone(ctx context.Context, fd int, name string, handle func([]byte, error) error) error {
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	stop := context.AfterFunc(ctx, func() { f.Close() }) // wakes the read
	defer stop()
	buf := make([]byte, 1<<16)
	for {
		n, err := f.Read(buf)
		if ctx.Err() != nil {
			return nil
		}
		if err := handle(buf[:n], err); err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
}
