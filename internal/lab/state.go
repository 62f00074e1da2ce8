package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/dualnet/dualnet/internal/atomicfile"
)

// DefaultStateRoot holds one directory per lab. It is on tmpfs, so a reboot (which also drops
// every namespace and process) drops the state with them.
const DefaultStateRoot = "/run/dualnet-lab"

// State is what a lab has made, saved after every step so that Down removes exactly that,
// even when Up failed half way or the machine running it was interrupted.
type State struct {
	Name       string            `json:"name"`
	Dir        string            `json:"dir"`
	Namespaces []string          `json:"namespaces,omitempty"`
	Processes  []Process         `json:"processes,omitempty"`
	Endpoints  map[string]string `json:"endpoints,omitempty"`
	// HostDirs are mount points the lab created on the machine for its nodes' paths
	// (nodeMachine); Down removes them when no other lab uses them.
	HostDirs []string `json:"hostDirs,omitempty"`
	Ready    bool     `json:"ready"`

	mu sync.Mutex // the supervisor's goroutines record restarts while it records endpoints
}

// Process is a process the lab started: its PID together with its start time, so that a
// recycled PID is never mistaken for it.
type Process struct {
	Name      string `json:"name"`
	PID       int    `json:"pid"`
	StartTime uint64 `json:"startTime"`
	Log       string `json:"log"`
}

func stateFile(dir string) string { return filepath.Join(dir, "state.json") }

// LoadState reads a lab's state; fs.ErrNotExist when there is no such lab.
func LoadState(dir string) (*State, error) {
	data, err := os.ReadFile(stateFile(dir))
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("read %s: %w", stateFile(dir), err)
	}
	return &s, nil
}

// save writes the state atomically: a crash leaves the old or the new file, never half.
func (s *State) save() error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(stateFile(s.Dir), data, 0o600); err != nil {
		return fmt.Errorf("save lab state: %w", err)
	}
	return nil
}

func (s *State) addNamespace(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.Namespaces, name) {
		s.Namespaces = append(s.Namespaces, name)
	}
	return s.save()
}

func (s *State) addHostDir(dir string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.HostDirs, dir) {
		s.HostDirs = append(s.HostDirs, dir)
	}
	return s.save()
}

func (s *State) addProcess(p Process) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setProcess(p)
	return s.save()
}

// setProcess records a process, replacing an earlier one of the same name (a restart).
func (s *State) setProcess(p Process) {
	for i := range s.Processes {
		if s.Processes[i].Name == p.Name {
			s.Processes[i] = p
			return
		}
	}
	s.Processes = append(s.Processes, p)
}

func (s *State) process(name string) (Process, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.Processes {
		if p.Name == name {
			return p, true
		}
	}
	return Process{}, false
}

func (s *State) setEndpoint(name, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Endpoints == nil {
		s.Endpoints = map[string]string{}
	}
	s.Endpoints[name] = value
	return s.save()
}

// newState creates the lab's directory; it refuses to overwrite a lab that exists.
func newState(root, name string) (*State, error) {
	dir := filepath.Join(root, name)
	if _, err := LoadState(dir); err == nil {
		return nil, fmt.Errorf("lab %q is already up (state in %s): run `dualnet lab down` first", name, dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the lab's state directory: %w", err)
	}
	s := &State{Name: name, Dir: dir}
	return s, s.save()
}

func (s *State) setReady() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Ready = true
	return s.save()
}
