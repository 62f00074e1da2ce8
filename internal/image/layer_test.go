package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entries reads a layer's tar back as "name type mode [-> target] [content]" lines.
func entries(t *testing.T, l *Layer) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := l.WriteTar(&buf); err != nil {
		t.Fatal(err)
	}
	var got []string
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Uid != 0 || hdr.Gid != 0 || !hdr.ModTime.Equal(Epoch) {
			t.Errorf("%s: uid %d gid %d time %s, want root's at %s", hdr.Name, hdr.Uid, hdr.Gid, hdr.ModTime, Epoch)
		}
		line := fmt.Sprintf("%s %c %o", hdr.Name, hdr.Typeflag, hdr.Mode)
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			line += " -> " + hdr.Linkname
		case tar.TypeReg:
			b, _ := io.ReadAll(tr)
			line += " " + string(b)
		}
		got = append(got, line)
	}
}

// A layer lists each parent directory once, before its children, then the entries in the
// order added: host files read when written, literal files and symlinks.
func TestLayerWritesParentsOnceThenEntriesInOrder(t *testing.T) {
	host := filepath.Join(t.TempDir(), "hello")
	if err := os.WriteFile(host, []byte("from the host"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := NewLayer()
	for _, err := range []error{
		l.Dir("/tmp", 0o1777),
		l.File("/usr/bin/hello", host, 0o755),
		l.Content("/etc/motd", []byte("literal"), 0o644),
		l.Symlink("/usr/bin/hi", "hello"),
		l.Content("/usr/share/doc/x", []byte("deep"), 0o644),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"tmp/ 5 1777",
		"usr/ 5 755",
		"usr/bin/ 5 755",
		"usr/bin/hello 0 755 from the host",
		"etc/ 5 755",
		"etc/motd 0 644 literal",
		"usr/bin/hi 2 777 -> hello",
		"usr/share/ 5 755",
		"usr/share/doc/ 5 755",
		"usr/share/doc/x 0 644 deep",
	}
	if got := entries(t, l); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("layer entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Two executables that load the same library put it in the layer once; a path taken by
// other content, or a directory asked for with another mode, is an error naming the path.
func TestLayerSharesALibraryAndRefusesAConflict(t *testing.T) {
	machine, err := Machine()
	if err != nil {
		t.Fatal(err)
	}
	l := NewLayer()
	nftLibs, err := l.Executable("/usr/sbin/nft", "/usr/sbin/nft", machine)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Executable("/bin/ip", "/usr/bin/ip", machine); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, line := range entries(t, l) {
		seen[strings.Fields(line)[0]]++
	}
	for _, lib := range nftLibs {
		if n := seen[strings.TrimPrefix(lib, "/")]; n != 1 {
			t.Errorf("%s %d times in the layer, want once", lib, n)
		}
	}
	if err := l.Content("/usr/sbin/nft", []byte("other"), 0o755); err == nil || !strings.Contains(err.Error(), "/usr/sbin/nft") {
		t.Errorf("Content over /usr/sbin/nft = %v, want an error naming the path", err)
	}
	if err := l.Dir("/usr", 0o700); err == nil || !strings.Contains(err.Error(), "/usr") {
		t.Errorf("Dir /usr 0700 after 0755 = %v, want an error naming the path", err)
	}
}
