package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// epoch is the time of every file, layer and the image: a fixed one, so that the same inputs
// give the same bytes and the same digests whenever and wherever the image is built.
var epoch = time.Unix(0, 0).UTC()

// layerWriter writes one layer's tar in memory: entries in the order added, root-owned, at
// epoch, each parent directory once before its children (as `docker save` writes them).
type layerWriter struct {
	buf  bytes.Buffer
	tw   *tar.Writer
	dirs map[string]bool
}

func newLayerWriter() *layerWriter {
	l := &layerWriter{dirs: map[string]bool{}}
	l.tw = tar.NewWriter(&l.buf)
	return l
}

// dir adds the directory at the absolute image path dir, and its missing parents with mode
// 0755.
func (l *layerWriter) dir(dir string, mode int64) error {
	name := strings.TrimPrefix(path.Clean(dir), "/")
	if name == "" || name == "." || l.dirs[name] {
		return nil
	}
	if err := l.dir(path.Dir("/"+name), 0o755); err != nil {
		return err
	}
	l.dirs[name] = true
	return l.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: epoch})
}

// file adds the content of the host file from (symlinks followed) at the absolute image path
// to, with mode.
func (l *layerWriter) file(to, from string, mode int64) error {
	content, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := l.dir(path.Dir(to), 0o755); err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(path.Clean(to), "/"),
		Mode: mode, Size: int64(len(content)), ModTime: epoch}
	if err := l.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("%s: %w", to, err)
	}
	_, err = l.tw.Write(content)
	return err
}

// layer ends the tar and makes it an image layer (gzip, Docker media type).
func (l *layerWriter) layer() (v1.Layer, error) {
	if err := l.tw.Close(); err != nil {
		return nil, err
	}
	content := l.buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	})
}
