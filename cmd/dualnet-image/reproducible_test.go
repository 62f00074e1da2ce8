package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The same binaries give the same tarball, byte for byte, and so the same digests.
func TestImageIsTheSameWhenBuiltTwice(t *testing.T) {
	binDir, first := builtImage(t)
	second := filepath.Join(t.TempDir(), "again.tar")
	summary, err := writeImage(binDir, second)
	if err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("two builds of the same binaries differ: %d and %d bytes", len(a), len(b))
	}
	digests := regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	if d1, d2 := digests.FindAllString(built.summary, -1), digests.FindAllString(summary, -1); len(d1) != 2 || strings.Join(d1, " ") != strings.Join(d2, " ") {
		t.Errorf("digests differ or are missing:\n%s\n%s", built.summary, summary)
	}
	t.Logf("%s", summary)
}
