// Package image builds container images from this machine's files, with no container engine
// and no base image: dualnet-image's image and the lab's own (internal/lab/images).
//
//   - A Layer is a list of entries (directories, host files, literal files, symlinks) written
//     as a tar in the order added, root-owned, every time set to Epoch, so the same inputs give
//     the same bytes and digests on any machine and day.
//   - RuntimeFiles finds what a dynamically linked executable loads (its PT_INTERP loader and
//     the DT_NEEDED closure, searched as glibc's loader does), so Layer.Executable can put a
//     Debian program in an image with exactly its loader and libraries.
//   - A Cache keeps each layer compressed on disk under the digest of its tar: building an
//     image again costs one read of its inputs, and its layers keep their digests.
//   - Build makes the image config (linux, this GOARCH, created at Epoch) over the layers.
//
// It only reads host files: it must not run what it puts in an image.
package image
