package podipam

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
)

// A record is named after its attachment, "<cid>:<ifname>", so that a person (and a store
// written by an older dualnet) finds it by the container ID. A file name holds at most
// NAME_MAX (255) bytes, and CNI puts no limit on a container ID's length: a name that would
// be longer is a hash of the attachment instead, which the record's content names (its
// "attachment" line). Names of 255 bytes or less are the ones every earlier dualnet wrote,
// so an upgraded plugin finds their records where they are; no earlier dualnet could write
// a longer one.

// maxName is NAME_MAX, the longest file name Linux filesystems take.
const maxName = 255

// hashedPrefix starts a hashed record name; a readable name always holds a ':' and this
// does not.
const hashedPrefix = "sha256-"

// attachmentLine starts the record's line that names its attachment.
const attachmentLine = "attachment "

// fileName is the record's name in pod/.
func (k Key) fileName() string {
	if name := k.String(); len(name) <= maxName {
		return name
	}
	sum := sha256.Sum256([]byte(k.String()))
	return hashedPrefix + hex.EncodeToString(sum[:])
}

// recordKey is the attachment whose record is pod/<name>: the name itself, or for a hashed
// name the record's attachment line.
func (s *Store) recordKey(name string) (Key, bool) {
	if k, ok := parseKey(name); ok {
		return k, true
	}
	if !strings.HasPrefix(name, hashedPrefix) {
		return Key{}, false
	}
	data, err := os.ReadFile(filepath.Join(s.dir, "pod", name))
	if err != nil {
		return Key{}, false
	}
	_, k, ok := parseRecord(data)
	return k, ok
}
