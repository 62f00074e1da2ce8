package image

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Epoch is the time of every file, layer and image: a fixed one, so that the same inputs give
// the same bytes and the same digests whenever and wherever an image is built.
var Epoch = time.Unix(0, 0).UTC()

// Layer is the content of one image layer: entries in the order added, root-owned, at Epoch,
// each parent directory once before its children (as `docker save` writes them). Host files
// are read when the tar is written, so a layer costs no memory for its content until then.
type Layer struct {
	entries []entry
	// byName is the index in entries of each tar name (no leading slash).
	byName map[string]int
}

// entry is one tar header and where its content comes from: a host file or bytes.
type entry struct {
	hdr     tar.Header
	from    string
	content []byte
}

// NewLayer is an empty layer.
func NewLayer() *Layer {
	return &Layer{byName: map[string]int{}}
}

// Dir adds the directory at the absolute image path dir, and its missing parents with mode
// 0755.
func (l *Layer) Dir(dir string, mode int64) error {
	name := tarName(dir)
	if name == "" || name == "." {
		return nil
	}
	if i, ok := l.byName[name+"/"]; ok {
		if l.entries[i].hdr.Mode != mode {
			return fmt.Errorf("%s: in the layer with mode %#o, not %#o", dir, l.entries[i].hdr.Mode, mode)
		}
		return nil
	}
	if err := l.parents(name); err != nil {
		return err
	}
	return l.add(entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: Epoch}})
}

// File adds the content of the host file from (symlinks followed) at the absolute image path
// to, with mode. Adding the same file at the same path again changes nothing, so executables
// can share libraries.
func (l *Layer) File(to, from string, mode int64) error {
	f, err := os.Open(from)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	f.Close()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", from)
	}
	name := tarName(to)
	if i, ok := l.byName[name]; ok {
		if e := l.entries[i]; e.from != from || e.hdr.Mode != mode {
			return fmt.Errorf("%s: in the layer already (from %s, mode %#o)", to, e.from, e.hdr.Mode)
		}
		return nil
	}
	if err := l.parents(name); err != nil {
		return err
	}
	return l.add(entry{from: from,
		hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: st.Size(), ModTime: Epoch}})
}

// Content adds a file holding content at the absolute image path to, with mode.
func (l *Layer) Content(to string, content []byte, mode int64) error {
	name := tarName(to)
	if err := l.parents(name); err != nil {
		return err
	}
	return l.add(entry{content: content,
		hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(content)), ModTime: Epoch}})
}

// Symlink adds a symbolic link at the absolute image path to, pointing at target.
func (l *Layer) Symlink(to, target string) error {
	name := tarName(to)
	if err := l.parents(name); err != nil {
		return err
	}
	return l.add(entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: Epoch}})
}

// Executable adds the host executable from at the absolute image path to (0755), and the
// loader and libraries it loads at the paths where the loader finds them on this machine
// (RuntimeFiles), with their modes. It returns those runtime files.
func (l *Layer) Executable(to, from string, machine elf.Machine) ([]string, error) {
	if err := CheckELF(from, machine); err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	files, err := RuntimeFiles(from)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	if err := l.File(to, from, 0o755); err != nil {
		return nil, err
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		if err := l.File(f, f, int64(st.Mode().Perm())); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// parents adds the missing parent directories of the tar name, with mode 0755.
func (l *Layer) parents(name string) error {
	return l.Dir(path.Dir("/"+name), 0o755)
}

func (l *Layer) add(e entry) error {
	if _, ok := l.byName[e.hdr.Name]; ok {
		return fmt.Errorf("/%s: in the layer already", strings.TrimSuffix(e.hdr.Name, "/"))
	}
	l.byName[e.hdr.Name] = len(l.entries)
	l.entries = append(l.entries, e)
	return nil
}

func tarName(imagePath string) string {
	return strings.TrimPrefix(path.Clean(imagePath), "/")
}

// WriteTar writes the layer's tar to w, reading the host files now.
func (l *Layer) WriteTar(w io.Writer) error {
	tw := tar.NewWriter(w)
	for _, e := range l.entries {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			return fmt.Errorf("/%s: %w", hdr.Name, err)
		}
		if err := e.writeContent(tw); err != nil {
			return fmt.Errorf("/%s: %w", hdr.Name, err)
		}
	}
	return tw.Close()
}

// writeContent writes the entry's content, which must still be the size it had when added.
func (e entry) writeContent(w io.Writer) error {
	if e.from == "" {
		_, err := w.Write(e.content)
		return err
	}
	f, err := os.Open(e.from)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err == nil && n != e.hdr.Size {
		err = fmt.Errorf("%s changed while the layer was written (%d bytes, was %d)", e.from, n, e.hdr.Size)
	}
	return err
}

// Layer is the layer as an image layer held in memory (gzip, Docker media type); Cache.Layer
// keeps it on disk instead.
func (l *Layer) Layer() (v1.Layer, error) {
	var buf bytes.Buffer
	if err := l.WriteTar(&buf); err != nil {
		return nil, err
	}
	content := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	})
}
