package armemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/dualnet/dualnet/internal/atomicfile"
)

// savedState is what Options.StateFile holds: the resource groups and route tables, so that a
// restarted endpoint answers with the tables it had, as Azure would.
type savedState struct {
	Groups []savedGroup `json:"groups"`
	Tables []savedTable `json:"tables"`
}

type savedGroup struct{ Subscription, Group string }

type savedTable struct {
	Table
	GUID       string            `json:"resourceGuid"`
	Tags       map[string]string `json:"tags,omitempty"`
	DisableBgp bool              `json:"disableBgpRoutePropagation"`
}

// load reads the state file, if there is one. Called before serving.
func (s *Server) load() error {
	data, err := os.ReadFile(s.opts.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("armemu: read state %s: %w", s.opts.StateFile, err)
	}
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("armemu: state %s is not armemu's: %w", s.opts.StateFile, err)
	}
	for _, g := range st.Groups {
		s.groups[groupKey{lower(g.Subscription), lower(g.Group)}] = true
	}
	for _, t := range st.Tables {
		s.tables[keyOf(t.Subscription, t.ResourceGroup, t.Name)] = &table{Table: t.Table, guid: t.GUID, tags: t.Tags, disableBgp: t.DisableBgp}
	}
	return nil
}

// save writes the state file atomically (a crash leaves the old or the new state). Called
// with s.mu held after every change.
func (s *Server) save() error {
	if s.opts.StateFile == "" {
		return nil
	}
	var st savedState
	for g := range s.groups {
		st.Groups = append(st.Groups, savedGroup{Subscription: g.sub, Group: g.group})
	}
	for _, t := range s.tables {
		st.Tables = append(st.Tables, savedTable{Table: t.snapshot(), GUID: t.guid, Tags: t.tags, DisableBgp: t.disableBgp})
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(s.opts.StateFile, data, 0o600); err != nil {
		return fmt.Errorf("armemu: save state: %w", err)
	}
	return nil
}
