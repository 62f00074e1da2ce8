package netspec

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// maxConfigSize bounds what LoadConfig reads: a spec is a dozen lines, and --config pointed
// at /dev/zero or a log must fail, not fill memory.
const maxConfigSize = 1 << 20

// LoadConfig reads the config file at path (the value of --config) and parses it with
// ParseConfig. This is the package's one read of the outside world, kept apart so that
// everything else stays pure.
func LoadConfig(path string) (Spec, error) {
	data, err := readConfig(path)
	if err != nil {
		return Spec{}, err
	}
	return ParseConfig(path, data)
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
		return nil, &FieldError{Flag: "--config", Msg: fmt.Sprintf("%s is larger than %d bytes", path, maxConfigSize),
			Hint: "give the path of a " + ConfigKind + " file, a few lines long"}
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
		hint = "give the path of a " + ConfigKind + " file (deploy/dualnet.yaml mounts one at /etc/dualnet/network.yaml)"
	}
	return &FieldError{Flag: "--config", Msg: fmt.Sprintf("cannot read %s: %v", path, err), Hint: hint}
}
