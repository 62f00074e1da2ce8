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
//
// `lab up` and the supervisor both record into it, each from a copy of its own: every change
// is a read-modify-write of state.json under the state's lock (update), so that neither
// loses what the other recorded, and each copy is the file as saved after its last change.
type State struct {
	stateRecord
	mu sync.Mutex // the supervisor's goroutines record restarts while it records endpoints
}

// stateRecord is what state.json holds.
type stateRecord struct {
	Name       string            `json:"name"`
	Dir        string            `json:"dir"`
	Namespaces []string          `json:"namespaces,omitempty"`
	Processes  []Process         `json:"processes,omitempty"`
	Endpoints  map[string]string `json:"endpoints,omitempty"`
	// HostDirs are mount points the lab created on the machine for its nodes' paths
	// (nodeMachine); Down removes them when no other lab uses them.
	HostDirs []string `json:"hostDirs,omitempty"`
	Ready    bool     `json:"ready"`
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
// Only newState and update call it: anything else would overwrite others' records.
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

// update applies change to the state as it is on disk, under the state's lock, saves it and
// makes s that saved state. A state file that is gone is not recreated: `lab down` removed the
// lab (or someone its state), and whatever this process would record belongs to no lab.
func (s *State) update(change func(*State)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lockState(s.Dir)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := LoadState(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the lab's state %s is gone (was the lab taken down?): not recording into it", stateFile(s.Dir))
	}
	if err != nil {
		return err
	}
	change(cur)
	if err := cur.save(); err != nil {
		return err
	}
	s.stateRecord = cur.stateRecord
	return nil
}

func (s *State) addNamespace(name string) error {
	return s.update(func(cur *State) {
		if !slices.Contains(cur.Namespaces, name) {
			cur.Namespaces = append(cur.Namespaces, name)
		}
	})
}

func (s *State) addHostDir(dir string) error {
	return s.update(func(cur *State) {
		if !slices.Contains(cur.HostDirs, dir) {
			cur.HostDirs = append(cur.HostDirs, dir)
		}
	})
}

func (s *State) addProcess(p Process) error {
	return s.update(func(cur *State) { cur.setProcess(p) })
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
	return s.update(func(cur *State) {
		if cur.Endpoints == nil {
			cur.Endpoints = map[string]string{}
		}
		cur.Endpoints[name] = value
	})
}

// newState creates the lab's directory and its state file. It refuses a directory that is
// there already: whatever it holds belongs to a lab that `lab down` has not removed. The caller
// holds the lab's lock (checkNotRunning says what runs).
func newState(root, name string) (*State, error) {
	dir := filepath.Join(root, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lab %q is still there (its state directory %s exists): remove it with `%s`", name, dir, downCommand(root, name))
		}
		return nil, fmt.Errorf("create the lab's state directory: %w", err)
	}
	s := &State{stateRecord: stateRecord{Name: name, Dir: dir}}
	return s, s.save()
}

func (s *State) setReady() error {
	return s.update(func(cur *State) { cur.Ready = true })
}
