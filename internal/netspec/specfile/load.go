package specfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/dualnet/dualnet/internal/netspec"
)

// maxConfigSize bounds what Load reads: a spec is a dozen lines, and --config pointed
// at /dev/zero or a log must fail, not fill memory.
const maxConfigSize = 1 << 20

// Load reads the config file at path (the value of --config) and parses it with
// Parse. This is the package's one read of the outside world, kept apart so that
// everything else stays pure.
func Load(path string) (netspec.Spec, error) {
	data, err := readConfig(path)
	if err != nil {
		return netspec.Spec{}, err
	}
	return Parse(path, data)
}

func readConfig(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, configReadError(path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, configReadError(path, err)
	}
	if len(data) > maxConfigSize {
		return nil, &netspec.FieldError{Flag: "--config", Msg: fmt.Sprintf("%s is larger than %d bytes", path, maxConfigSize),
			Hint: "give the path of a " + Kind + " file, a few lines long"}
	}
	return data, nil
}

// configReadError names the flag and the path, and says why the file cannot be read in
// the words of the system ("no such file or directory", "permission denied").
func configReadError(path string, err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		err = pathErr.Err
	}
	hint := ""
	if errors.Is(err, fs.ErrNotExist) {
		hint = "give the path of a " + Kind + " file (deploy/dualnet.yaml mounts one at /etc/dualnet/network.yaml)"
	}
	return &netspec.FieldError{Flag: "--config", Msg: fmt.Sprintf("cannot read %s: %v", path, err), Hint: hint}
}
