package antispoof

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
)

// rebuildTransaction writes the ruleset with the elements of pods. With replace, it first
// deletes the table, which is how a table with other set types (another dualnet version's)
// gives way; without, it only adds, so that two ADDs writing the table at once both keep
// every pod either of them knew.
func rebuildTransaction(pods []Pod, replace bool) *script {
	s := &script{}
	if replace {
		s.dropTable()
	}
	addRuleset(s)
	for _, p := range pods {
		port := strconv.Itoa(p.Index)
		s.addElement(portsSet, port)
		s.addElement(macsSet, port, p.MAC.String())
		for _, a := range p.Sources() {
			if a.Is4() {
				s.addElement(ipv4Set, port, p.MAC.String(), a.String())
				continue
			}
			b := a.As16()
			s.addElement(ipv6Set, port, p.MAC.String(), a.String())
			s.addElement(naTargetsSet, port, "0x"+hex.EncodeToString(b[:]))
		}
	}
	return s
}

// DeleteTable deletes the table, elements and all; a missing table is no error. It is for
// taking dualnet off a node (the agent's cleanup), after which no pod of the node is dualnet's,
// and for clearing a table an earlier boot left (podveth.HandleEarlierBoot).
func DeleteTable(ctx context.Context) error {
	s := &script{}
	s.dropTable()
	if err := run(ctx, s); err != nil {
		return fmt.Errorf("delete table bridge %s: %w", Table, err)
	}
	return nil
}

// replaceTable deletes the table and writes it with the elements of pods, in one
// transaction, then adds the elements of the pods live lists now, and of also. A replace
// drops the elements of a pod that registered after pods was listed; that pod's veth existed
// before it registered (ADD creates the veth first), so the second listing has it, and it is
// cut off for only as long as that takes.
func replaceTable(ctx context.Context, pods []Pod, live func() ([]Pod, error), also ...Pod) error {
	if err := run(ctx, rebuildTransaction(append(pods, also...), true)); err != nil {
		return fmt.Errorf("write table bridge %s: %w", Table, err)
	}
	now, err := live()
	if err != nil {
		return fmt.Errorf("list the node's pods after writing table bridge %s: %w", Table, err)
	}
	elems, err := elementsOf(append(now, also...))
	if err != nil {
		return err
	}
	return applyElements(addElements, elems)
}
