package image

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ldSoConf is where glibc's ldconfig reads the library directories from; the loader searches
// them (through ld.so.cache) before its built-in ones, so RuntimeFiles does the same.
const ldSoConf = "/etc/ld.so.conf"

// defaultLibDirs are the loader's built-in directories, searched after ld.so.conf's.
var defaultLibDirs = []string{"/lib64", "/usr/lib64", "/lib", "/usr/lib"}

// RuntimeFiles are the host files a dynamically linked executable needs to start: its
// dynamic loader (PT_INTERP) and every shared library in the closure of DT_NEEDED, each at
// the path where the loader finds it. A static executable needs none.
func RuntimeFiles(exe string) ([]string, error) {
	f, err := elf.Open(exe)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	interp, err := interpreter(f)
	if err != nil || interp == "" {
		return nil, err
	}
	dirs, err := ldSoConfDirs(ldSoConf)
	if err != nil {
		return nil, err
	}
	dirs = append(dirs, defaultLibDirs...)

	files := []string{interp}
	// libc needs the loader by its soname; the loader answers to it itself, already loaded,
	// and searches no directory for it (ldd lists it once, at the PT_INTERP path).
	loaded := map[string]bool{filepath.Base(interp): true}
	queue := []string{exe}
	for len(queue) > 0 {
		object := queue[0]
		queue = queue[1:]
		needed, runpath, err := dynamicDeps(object)
		if err != nil {
			return nil, err
		}
		for _, name := range needed {
			if loaded[name] {
				continue
			}
			lib, err := findLibrary(name, append(runpath, dirs...), f.Class, f.Machine)
			if err != nil {
				return nil, fmt.Errorf("%s (needed by %s): %w", name, object, err)
			}
			loaded[name] = true
			files = append(files, lib)
			queue = append(queue, lib)
		}
	}
	return files, nil
}

// interpreter is the PT_INTERP path of f, "" for a static executable.
func interpreter(f *elf.File) (string, error) {
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			return "", fmt.Errorf("read PT_INTERP: %w", err)
		}
		return strings.TrimRight(string(b), "\x00"), nil
	}
	return "", nil
}

// dynamicDeps are the DT_NEEDED names of the object at path and its DT_RUNPATH (or the older
// DT_RPATH) directories, $ORIGIN expanded.
func dynamicDeps(path string) (needed, runpath []string, err error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if needed, err = f.ImportedLibraries(); err != nil {
		return nil, nil, fmt.Errorf("%s: DT_NEEDED: %w", path, err)
	}
	paths, err := f.DynString(elf.DT_RUNPATH)
	if err == nil && len(paths) == 0 {
		paths, err = f.DynString(elf.DT_RPATH)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: DT_RUNPATH: %w", path, err)
	}
	for _, p := range paths {
		for _, dir := range filepath.SplitList(p) {
			runpath = append(runpath, strings.ReplaceAll(dir, "$ORIGIN", filepath.Dir(path)))
		}
	}
	return needed, runpath, nil
}

// findLibrary is the first file called name in dirs that is an ELF object of the executable's
// class and machine: the loader skips the others (an i386 libc in /usr/lib, say).
func findLibrary(name string, dirs []string, class elf.Class, machine elf.Machine) (string, error) {
	for _, dir := range dirs {
		path := filepath.Join(dir, name)
		f, err := elf.Open(path)
		if err != nil {
			continue
		}
		ok := f.Class == class && f.Machine == machine
		f.Close()
		if ok {
			return path, nil
		}
	}
	return "", fmt.Errorf("no %s %s library in %s", class, machine, strings.Join(dirs, ":"))
}

// ldSoConfDirs are the directories listed in an ld.so.conf, following its include lines
// (glob patterns, relative to the including file's directory).
func ldSoConfDirs(conf string) ([]string, error) {
	f, err := os.Open(conf)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var dirs []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		line, _, _ := strings.Cut(s.Text(), "#")
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case fields[0] == "include":
			for _, pattern := range fields[1:] {
				if !filepath.IsAbs(pattern) {
					pattern = filepath.Join(filepath.Dir(conf), pattern)
				}
				matches, err := filepath.Glob(pattern)
				if err != nil {
					return nil, fmt.Errorf("%s: include %s: %w", conf, pattern, err)
				}
				for _, m := range matches {
					more, err := ldSoConfDirs(m)
					if err != nil {
						return nil, err
					}
					dirs = append(dirs, more...)
				}
			}
		default:
			dirs = append(dirs, fields...)
		}
	}
	return dirs, s.Err()
}
