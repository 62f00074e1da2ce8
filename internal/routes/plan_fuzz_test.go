package routes

import (
	"fmt"
	"testing"
)

// FuzzPlanKeepsWithinRoomAndConverges checks the two promises of MakePlan on arbitrary tables:
// a plan never grows the table past its room, and applying it leaves nothing to do.
func FuzzPlanKeepsWithinRoomAndConverges(f *testing.F) {
	f.Add(uint8(3), uint8(0), uint16(400), uint8(0))
	f.Add(uint8(201), uint8(10), uint16(400), uint8(7))
	f.Add(uint8(20), uint8(30), uint16(9), uint8(3))
	f.Fuzz(func(t *testing.T, nNodes, nExisting uint8, room uint16, shift uint8) {
		all := nodes(int(nNodes))
		// The backend holds routes of a differently ordered, possibly larger set of nodes.
		var old []Node
		for i := range int(nExisting) {
			old = append(old, node((i+int(shift))%256))
		}
		current := MakePlan(nil, Desired(old, clusterPodCIDRs), int(room)).Table
		desired := Desired(all, clusterPodCIDRs)
		p := MakePlan(current, desired, int(room))
		kept := len(current) - len(p.Removed)
		if len(p.Table) > int(room) && len(p.Table) > kept {
			t.Fatalf("table grew to %d over room %d", len(p.Table), room)
		}
		again := MakePlan(p.Table, desired, int(room))
		if len(again.Removed)+len(again.Updated) != 0 {
			t.Fatalf("second plan still changes: %s", fmt.Sprint(again))
		}
	})
}
