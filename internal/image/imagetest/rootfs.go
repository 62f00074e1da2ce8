// Package imagetest is test support for images: it unpacks an image's file system into a
// directory, as a container runtime prepares a container's root, so a test can look at the
// files or chroot into them. Only tests import it.
package imagetest

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// RootFS unpacks the image's flattened file system (later layers over earlier ones) into a
// new directory that the test removes.
func RootFS(t testing.TB, img v1.Image) string {
	t.Helper()
	root := t.TempDir()
	flat := mutate.Extract(img)
	defer flat.Close()
	if err := untar(root, tar.NewReader(flat)); err != nil {
		t.Fatalf("unpack the image into %s: %v", root, err)
	}
	return root
}

func untar(root string, tr *tar.Reader) error {
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(hdr.Name)
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("%q is outside the root", hdr.Name)
		}
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		mode := hdr.FileInfo().Mode()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if closeErr := f.Close(); err == nil {
				err = closeErr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			// Left as written: it points into the image once the root is chrooted into.
			if err := os.Symlink(hdr.Linkname, path); err != nil {
				return err
			}
			if err := os.Lchown(path, hdr.Uid, hdr.Gid); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("%s: tar entry type %q: images here hold only directories, files and symlinks", hdr.Name, hdr.Typeflag)
		}
		// Modes after creation: the umask does not apply to chmod.
		if err := os.Chmod(path, mode.Perm()|mode&(os.ModeSticky|os.ModeSetuid|os.ModeSetgid)); err != nil {
			return err
		}
		if err := os.Lchown(path, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
	}
}
