package image

import (
	"debug/elf"
	"fmt"
	"runtime"
)

// goArchMachine is the ELF machine of each GOARCH an image can be built for.
var goArchMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// Machine is the ELF machine of this GOARCH: the executables an image for this machine holds
// must be built for it.
func Machine() (elf.Machine, error) {
	machine, ok := goArchMachine[runtime.GOARCH]
	if !ok {
		return 0, fmt.Errorf("GOARCH %s: no image for it (known: amd64, arm64)", runtime.GOARCH)
	}
	return machine, nil
}

// CheckELF fails unless path is an ELF executable for machine.
func CheckELF(path string, machine elf.Machine) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("not an ELF executable: %w", err)
	}
	defer f.Close()
	if f.Machine != machine {
		return fmt.Errorf("built for %s, not %s (%s)", f.Machine, machine, runtime.GOARCH)
	}
	return nil
}

// CheckStatic fails unless path is a statically linked executable for machine: one that runs
// in an image with no libc, and on a node whatever its libc.
func CheckStatic(path string, machine elf.Machine) error {
	if err := CheckELF(path, machine); err != nil {
		return err
	}
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	interp, err := interpreter(f)
	if err != nil {
		return err
	}
	if interp != "" {
		return fmt.Errorf("dynamically linked (loader %s): build it with CGO_ENABLED=0 (make build)", interp)
	}
	return nil
}
