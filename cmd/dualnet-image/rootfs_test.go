package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// readImage reads the image tagged testTag back from the tarball, as docker load does.
func readImage(t *testing.T, path string) v1.Image {
	t.Helper()
	tag, err := name.NewTag(testTag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatalf("read %s as %s: %v", path, testTag, err)
	}
	return img
}

// rootFS unpacks the image's flattened file system into a new directory, the way a container
// runtime prepares a container's root.
func rootFS(t *testing.T, img v1.Image) string {
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
		mode := hdr.FileInfo().Mode()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
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
		default:
			return fmt.Errorf("%s: tar entry type %q: the image has only directories and files", hdr.Name, hdr.Typeflag)
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
