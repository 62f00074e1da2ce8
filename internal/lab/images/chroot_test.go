package images_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/dualnet/dualnet/internal/image/imagetest"
	"github.com/dualnet/dualnet/internal/testutil/proc"
	"github.com/dualnet/dualnet/internal/testutil/syncbuf"
)

// container is an image unpacked into a directory, with what runs in it.
type container struct {
	root string
	env  []string
}

// unpack unpacks img, as a runtime prepares a container's root, with /dev and /proc to mount
// on.
func unpack(t *testing.T, img v1.Image) container {
	t.Helper()
	root := imagetest.RootFS(t, img)
	for _, dir := range []string{"dev", "proc"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return container{root: root, env: cfg.Config.Env}
}

// command is argv chrooted into the container as user ("" is root, else uid:gid), in a mount
// namespace of its own that has the host's /dev and a /proc mounted in the root, as a
// runtime gives a container; the mounts go with the namespace when the process ends. The
// process stays in this test binary's network namespace. The shell wrapper execs, so the
// process is argv itself: a signal to it reaches the program.
func (c container) command(ctx context.Context, user string, argv ...string) *exec.Cmd {
	chroot := []string{"chroot"}
	if user != "" {
		chroot = append(chroot, "--userspec="+user)
	}
	script := `mount --rbind /dev "$0/dev" && mount -t proc proc "$0/proc" && exec "$@"`
	args := append([]string{"--mount", "--propagation", "private", "sh", "-c", script, c.root}, chroot...)
	cmd := exec.CommandContext(ctx, "unshare", append(append(args, c.root), argv...)...)
	cmd.Env = c.env
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// output runs argv in the container as root and returns its stdout, or an error with its
// output.
func (c container) output(argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := c.command(ctx, "", argv...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%q in the image: %w\nstdout:\n%s\nstderr:\n%s", argv, err, &stdout, &stderr)
	}
	return stdout.String(), nil
}

// run is output, failing the test if argv fails.
func (c container) run(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := c.output(argv...)
	if err != nil {
		t.Error(err)
	}
	return out
}

// start starts argv in the container as user, in the background; the test stops it.
func (c container) start(t *testing.T, user string, argv ...string) (cmd *exec.Cmd, stdout, stderr *syncbuf.Buffer) {
	t.Helper()
	cmd = c.command(context.Background(), user, argv...)
	stdout, stderr = &syncbuf.Buffer{}, &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	proc.Start(t, cmd)
	return cmd, stdout, stderr
}

// stop sends sig to cmd, which must exit 0 by itself soon after.
func stop(t *testing.T, cmd *exec.Cmd, sig syscall.Signal, stderr *syncbuf.Buffer) {
	t.Helper()
	if err := proc.Stop(cmd, sig, 10*time.Second); err != nil {
		t.Errorf("%v\nstderr:\n%s", err, stderr)
	}
}

func contains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s printed %q, want %q in it", what, got, w)
		}
	}
}
