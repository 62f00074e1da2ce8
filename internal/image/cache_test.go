package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func contentLayer(t *testing.T, content string) *Layer {
	t.Helper()
	l := NewLayer()
	if err := l.Content("/etc/content", []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return l
}

// The cache names a layer by the digest of its tar: the same content written again is read
// from the file compressed the first time (same digest, file untouched); other content gets a
// file of its own; the layer's DiffID is the tar's digest and it uncompresses to that tar.
func TestCacheReusesTheCompressedLayerOfTheSameContent(t *testing.T) {
	c := Cache{Dir: filepath.Join(t.TempDir(), "layers")}
	first, err := c.Layer(contentLayer(t, "a"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(c.Dir, "*"))
	if len(files) != 1 {
		t.Fatalf("cache holds %q, want one file", files)
	}
	before, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// Any rewrite would get a later modification time than this.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(files[0], old, old); err != nil {
		t.Fatal(err)
	}

	again, err := c.Layer(contentLayer(t, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if d1, d2 := digest(t, first), digest(t, again); d1 != d2 {
		t.Errorf("the same content got digests %s and %s", d1, d2)
	}
	after, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(old) || !os.SameFile(before, after) {
		t.Errorf("%s was written again (modified %s, want %s)", files[0], after.ModTime(), old)
	}

	other, err := c.Layer(contentLayer(t, "b"))
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, other) == digest(t, first) {
		t.Error("other content got the same digest")
	}
	if files, _ := filepath.Glob(filepath.Join(c.Dir, "*")); len(files) != 2 {
		t.Errorf("cache holds %q, want two files", files)
	}

	var tarball bytes.Buffer
	if err := contentLayer(t, "a").WriteTar(&tarball); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(tarball.Bytes())
	diffID, err := first.DiffID()
	if err != nil || diffID.Hex != hex.EncodeToString(sum[:]) {
		t.Errorf("DiffID %s, %v; want the tar's sha256:%x", diffID, err, sum)
	}
	rc, err := first.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, tarball.Bytes()) {
		t.Errorf("the cached layer uncompresses to %d bytes (%v), want the %d-byte tar", len(got), err, tarball.Len())
	}
}

func digest(t *testing.T, l v1.Layer) v1.Hash {
	t.Helper()
	d, err := l.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
