package images_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"

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

// onTerminal runs argv in the container as root on a terminal of its own, as `kubectl exec
// -it` does (the terminal is its controlling one, TERM=xterm), types input on it, and returns
// what the terminal showed until argv ended.
func (c container) onTerminal(t *testing.T, input string, argv ...string) string {
	t.Helper()
	ptmx, pts := openPTY(t)
	defer ptmx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := c.command(ctx, "", argv...)
	cmd.Env = append(cmd.Env, "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pts, pts, pts
	cmd.SysProcAttr.Setsid, cmd.SysProcAttr.Setctty = true, true // the terminal is stdin
	err := cmd.Start()
	pts.Close()
	if err != nil {
		t.Fatal(err)
	}
	var shown bytes.Buffer
	copied := make(chan struct{})
	go func() {
		// Ends with EIO once no process has the terminal open.
		_, _ = io.Copy(&shown, ptmx)
		close(copied)
	}()
	if _, err := ptmx.WriteString(input); err != nil {
		t.Error(err)
	}
	err = cmd.Wait()
	<-copied
	if err != nil {
		t.Errorf("%q on a terminal: %v; it showed:\n%s", argv, err, &shown)
	}
	return shown.String()
}

// openPTY opens a new pseudo-terminal: its master, and the terminal a process runs on.
func openPTY(t *testing.T) (ptmx, pts *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fd := int(ptmx.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock %s: %v", ptmx.Name(), err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("number of %s: %v", ptmx.Name(), err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ptmx, pts
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
