package image

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/dualnet/dualnet/internal/atomicfile"
)

// Cache keeps layers gzip-compressed in a directory, each in <DiffID hex>.tar.gz, the digest
// of its tar: a layer written again with the same content is read from there instead of
// being compressed again, and keeps its digest. Files are written whole or not at all
// (atomicfile), so several builds may share the directory.
type Cache struct {
	Dir string
}

// Layer is l as an image layer kept in the cache: its tar is written once to hash it and,
// when the cache does not hold it yet, once more to compress it into the cache.
func (c Cache) Layer(l *Layer) (v1.Layer, error) {
	h := sha256.New()
	if err := l.WriteTar(h); err != nil {
		return nil, err
	}
	diffID := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	path := filepath.Join(c.Dir, diffID.Hex+".tar.gz")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := c.compress(l, path); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	digest, size, err := v1.SHA256(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return partial.CompressedToLayer(&cachedLayer{path: path, diffID: diffID, digest: digest, size: size})
}

// compress writes l's tar gzipped to path. BestSpeed: the layers only ever travel between
// processes on this machine, so time matters more than bytes.
func (c Cache) compress(l *Layer, path string) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFrom(path, 0o644, func(w io.Writer) error {
		gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
		if err != nil {
			return err
		}
		if err := l.WriteTar(gz); err != nil {
			return err
		}
		return gz.Close()
	})
}

// cachedLayer is a compressed layer file in the cache with its digests known; go-containerregistry
// fills in the uncompressed side (partial.CompressedToLayer).
type cachedLayer struct {
	path           string
	diffID, digest v1.Hash
	size           int64
}

func (c *cachedLayer) Digest() (v1.Hash, error)            { return c.digest, nil }
func (c *cachedLayer) DiffID() (v1.Hash, error)            { return c.diffID, nil }
func (c *cachedLayer) Size() (int64, error)                { return c.size, nil }
func (c *cachedLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }
func (c *cachedLayer) Compressed() (io.ReadCloser, error)  { return os.Open(c.path) }
