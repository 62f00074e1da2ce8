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
	"github.com/dualnet/dualnet/internal/cnicontract"
)

// WriteConfig writes the conflist into dir unless it already holds these bytes, and reports
// whether it wrote.
func WriteConfig(dir string, n Network) (bool, error) {
	data, err := n.Marshal()
	if err != nil {
		return false, err
	}
	return writeAtomic(ConfigPath(dir), bytes.NewReader(data), 0o644)
}

// InstallPlugin copies the plugin binary at src to dir/dualnet (the conflist's "type") unless
// an identical file is there, and reports whether it copied.
func InstallPlugin(src, dir string) (bool, error) {
	return installBinary("--cni-plugin", src, filepath.Join(dir, cnicontract.PluginType))
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

// RemoveConfig deletes the conflist, the dualnet plugin and dualnet's copies of the chained
// plugins; missing files are fine. The node's own (dir/portmap, dir/bandwidth) are not
// dualnet's.
func RemoveConfig(confDir, binDir string) error {
	paths := []string{ConfigPath(confDir), filepath.Join(binDir, cnicontract.PluginType)}
	for _, c := range []Chained{Bandwidth, Portmap} {
		paths = append(paths, filepath.Join(binDir, c.Type))
	}
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// ConfigPath is where WriteConfig puts the conflist.
func ConfigPath(dir string) string { return filepath.Join(dir, cnicontract.FileName) }

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
