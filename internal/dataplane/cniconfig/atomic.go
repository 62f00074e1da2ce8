package cniconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dualnet/dualnet/internal/atomicfile"
)

// WriteConfig writes the conflist into dir unless it already holds these bytes, and reports
// whether it wrote.
func WriteConfig(dir string, n Network) (bool, error) {
	data, err := n.Marshal()
	if err != nil {
		return false, err
	}
	return writeAtomic(filepath.Join(dir, FileName), bytes.NewReader(data), 0o644)
}

// InstallPlugin copies the plugin binary at src to dir/dualnet (the conflist's "type") unless
// an identical file is there, and reports whether it copied.
func InstallPlugin(src, dir string) (bool, error) {
	return installBinary("--cni-plugin", src, filepath.Join(dir, "dualnet"))
}

// InstallPortmap copies the portmap plugin binary at src to dir/dualnet-portmap (the
// conflist's type) unless an identical file is there, and reports whether it copied. A
// missing src is an error that matches fs.ErrNotExist.
func InstallPortmap(src, dir string) (bool, error) {
	return installBinary("--cni-portmap-plugin", src, filepath.Join(dir, PortmapType))
}

// installBinary copies the executable src (given by flag) to dst.
func installBinary(flag, src, dst string) (bool, error) {
	f, err := os.Open(src)
	if err != nil {
		return false, fmt.Errorf("%s %s: %w", flag, src, err)
	}
	defer f.Close()
	return writeAtomic(dst, f, 0o755)
}

// PortmapInstalled says whether dir holds the portmap plugin InstallPortmap installs.
func PortmapInstalled(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, PortmapType))
	return err == nil
}

// RemoveConfig deletes the conflist, the dualnet plugin and dualnet's copy of portmap;
// missing files are fine. A portmap of the node's own (dir/portmap) is not dualnet's.
func RemoveConfig(confDir, binDir string) error {
	for _, p := range []string{filepath.Join(confDir, FileName), filepath.Join(binDir, "dualnet"), filepath.Join(binDir, PortmapType)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// ConfigPath is where WriteConfig puts the conflist.
func ConfigPath(dir string) string { return filepath.Join(dir, FileName) }

func writeAtomic(path string, src io.Reader, mode os.FileMode) (bool, error) {
	data, err := io.ReadAll(src)
	if err != nil {
		return false, err
	}
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, data) {
		if st, err := os.Stat(path); err == nil && st.Mode().Perm() == mode {
			return false, nil
		}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := atomicfile.Write(path, data, mode); err != nil {
		return false, err
	}
	return true, nil
}
