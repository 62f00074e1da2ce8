package cnitest

import (
	"github.com/dualnet/dualnet/internal/netns"
	"github.com/dualnet/dualnet/internal/testutil/deadns"
)

// PodNS is a named network namespace playing a pod's sandbox.
type PodNS struct {
	Name string
	Path string
}

// NewPodNS creates dn-<what>-cnitest<pid>-<n> (deadns.New) with loopback up. The caller
// removes it with Delete.
func NewPodNS(what string) (*PodNS, error) {
	name, err := deadns.New(what, "cnitest")
	if err != nil {
		return nil, err
	}
	return &PodNS{Name: name, Path: netns.Path(name)}, nil
}

// Delete unmounts and removes the namespace; a missing one is not an error.
func (p *PodNS) Delete() error { return netns.Delete(p.Name) }
