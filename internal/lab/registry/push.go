package registry

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/dualnet/dualnet/internal/lab/images"
)

// PushOptions say how Push reaches the registry and reports.
type PushOptions struct {
	// Transport carries the requests, say one that dials in the registry's network namespace;
	// nil connects directly, never through a proxy from the environment.
	Transport http.RoundTripper
	// Progress, when set, gets one line per image pushed.
	Progress func(line string)
}

// Push uploads imgs to the registry at host (host:port, plain HTTP), each under every one of
// its tags at the path WriteMirrors has containerd pull it from (MirrorTag). A blob the
// registry holds already is not sent again, so a push after a restart of the registry on the
// same directory only sends manifests and configs.
func Push(ctx context.Context, host string, imgs []images.Image, opts PushOptions) error {
	transport := opts.Transport
	if transport == nil {
		direct := http.DefaultTransport.(*http.Transport).Clone()
		direct.Proxy = nil
		transport = direct
	}
	for _, img := range imgs {
		start := time.Now()
		for _, tag := range img.Tags {
			ref, err := MirrorTag(host, tag)
			if err != nil {
				return err
			}
			if err := remote.Write(ref, img.Image, remote.WithContext(ctx), remote.WithTransport(transport)); err != nil {
				return fmt.Errorf("push %s to %s: %w", tag, ref, err)
			}
		}
		if opts.Progress != nil {
			size, err := images.Size(img.Image)
			if err != nil {
				return err
			}
			opts.Progress(fmt.Sprintf("pushed %s: %.1f MB, %.2fs", img.Tags[0], float64(size)/1e6, time.Since(start).Seconds()))
		}
	}
	return nil
}
