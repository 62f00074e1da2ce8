package image

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nft's runtime files are its PT_INTERP loader first, then libnftables and the libraries
// below it, each once, each an ELF object of nft's machine.
func TestRuntimeFilesOfNftAreItsLoaderAndEachLibraryOnce(t *testing.T) {
	files, err := RuntimeFiles("/usr/sbin/nft")
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open("/usr/sbin/nft")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	interp, err := interpreter(f)
	if err != nil || interp == "" {
		t.Fatalf("nft's PT_INTERP: %q, %v", interp, err)
	}
	if len(files) == 0 || files[0] != interp {
		t.Fatalf("runtime files %q, want the loader %s first", files, interp)
	}
	seen := map[string]bool{}
	for _, file := range files {
		base := filepath.Base(file)
		if seen[base] {
			t.Errorf("%s twice in %q", base, files)
		}
		seen[base] = true
		lib, err := elf.Open(file)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if lib.Machine != f.Machine || lib.Class != f.Class {
			t.Errorf("%s is %s %s, nft %s %s", file, lib.Class, lib.Machine, f.Class, f.Machine)
		}
		lib.Close()
	}
	for _, want := range []string{"libnftables.so.1", "libc.so.6"} {
		if !seen[want] {
			t.Errorf("%s missing from %q", want, files)
		}
	}
	t.Logf("nft loads %s", strings.Join(files, " "))
}

// ld.so.conf's include lines are globs relative to the including file, read in order.
func TestLdSoConfDirsFollowsIncludes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ld.so.conf", "/first\ninclude ld.so.conf.d/*.conf\n# a comment\n/last # trailing comment\n")
	write("ld.so.conf.d/a.conf", "/a1\n/a2\n")
	write("ld.so.conf.d/b.conf", "/b\n")
	write("ld.so.conf.d/ignored.txt", "/not-read\n")
	dirs, err := ldSoConfDirs(filepath.Join(dir, "ld.so.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(dirs, " "), "/first /a1 /a2 /b /last"; got != want {
		t.Errorf("dirs %q, want %q", got, want)
	}
}
