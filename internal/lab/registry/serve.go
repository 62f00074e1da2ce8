package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Serve serves the registry on l until ctx ends, then stops it and returns nil. Blobs are
// files in dir (sha256/<hex>), kept for the next Serve; manifests live in memory, so the
// caller pushes after each start (Push skips the blobs dir already holds).
func Serve(ctx context.Context, l net.Listener, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("registry blob directory: %w", err)
	}
	// An upload cut short by an earlier registry's end leaves its temporary file behind.
	leftovers, _ := filepath.Glob(filepath.Join(dir, "upload-*"))
	for _, f := range leftovers {
		_ = os.Remove(f)
	}
	srv := &http.Server{
		Handler: registry.New(
			registry.WithBlobHandler(registry.NewDiskBlobHandler(dir)),
			// It logs every request; a failed pull shows in containerd's log instead.
			registry.Logger(log.New(io.Discard, "", 0)),
		),
		ReadHeaderTimeout: 30 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		return fmt.Errorf("registry on %s: %w", l.Addr(), err)
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(stop); err != nil {
		_ = srv.Close() // a pull still running: cut it
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("registry on %s: %w", l.Addr(), err)
	}
	return nil
}
