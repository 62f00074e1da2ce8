package antispoof

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// run applies the script with a single `nft -f -` in the caller's network namespace.
func run(ctx context.Context, s *script) error {
	if _, stderr, err := execNft(ctx, s.String(), "-f", "-"); err != nil {
		return fmt.Errorf("nft table bridge %s: %w: %s", Table, err, stderr)
	}
	return nil
}

// execNft runs nft with args and stdin in the caller's network namespace, and returns what it
// printed.
//
// nft reads and writes memory-backed files, not pipes: given a reader or a buffer, os/exec
// copies through goroutines, and the CNI plugin runs with one P (cni.Main), which stays with
// the thread blocked waiting for nft until the Go runtime's monitor takes it back, up to
// one of its 10 ms ticks later; until then nft waits for its input.
func execNft(ctx context.Context, stdin string, args ...string) (stdout []byte, stderr string, err error) {
	path, err := nftPath()
	if err != nil {
		return nil, "", err
	}
	in, err := memFile("nft-stdin", stdin)
	if err != nil {
		return nil, "", err
	}
	defer in.Close()
	out, err := memFile("nft-stdout", "")
	if err != nil {
		return nil, "", err
	}
	defer out.Close()
	errOut, err := memFile("nft-stderr", "")
	if err != nil {
		return nil, "", err
	}
	defer errOut.Close()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, errOut
	// If the plugin is killed (a runtime timeout), nft goes too rather than commit rules
	// after a GC that already ran.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Run()
	// nft shares the files' offsets: read them back from the start.
	stdout, rerr := readAll(out)
	if err == nil {
		err = rerr
	}
	e, _ := readAll(errOut)
	return stdout, strings.TrimSpace(string(e)), err
}

// memFile is an anonymous file in memory holding content, its offset at the start.
func memFile(name, content string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd for %s: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), name)
	// WriteAt leaves the offset at the start, where the reader begins.
	if _, err := f.WriteAt([]byte(content), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	return f, nil
}

// readAll reads f from its start.
func readAll(f *os.File) ([]byte, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind %s: %w", f.Name(), err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return b, nil
}

// nftPath finds nft; runtimes do not always pass a PATH to plugins.
func nftPath() (string, error) {
	if p, err := exec.LookPath("nft"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"} {
		if _, err := exec.LookPath(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("nft not found in PATH or /usr/sbin, /sbin, /usr/bin: install nftables")
}
