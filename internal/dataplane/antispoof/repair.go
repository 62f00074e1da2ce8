package antispoof

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Repair writes the table again, with the elements of every pod live returns, when it is
// missing or a part of it is: a set gone, or a chain gone or holding other than its number
// of rules. It reports whether it wrote. A node without the table and without pods is left
// alone: there is nothing to protect, and its first ADD writes the table.
//
// ADD writes a missing table too, but only when a pod starts: `nft flush ruleset` (which
// Debian's nftables.service runs on every start and reload) would otherwise leave a quiet
// node's pods free to spoof until the next pod lands there, and a flushed chain with its sets
// intact would never be noticed. The node agent calls Repair on a timer. Comparing rule
// counts, not rule text, is enough for that: nft prints rules in its own words (counters,
// spacing), and what goes wrong in practice is a table, chain or set gone or emptied.
//
// A whole table may still lack a pod's elements: a ruleset saved before the pod started and
// loaded again, or a set flushed by hand, cuts that pod off (its port sends nothing) with
// every chain and set in place. So Repair also adds every live pod's elements again, in one
// batch (adding an element that is there changes nothing), and reports a write when a pod's
// registration was incomplete.
//
// A table that is not this boot's (boot.go) is replaced whole: its elements may be another
// boot's pods'.
func Repair(ctx context.Context, live func() ([]Pod, error)) (bool, error) {
	what, replace, err := damage(ctx)
	if err != nil {
		return false, err
	}
	pods, err := live()
	if err != nil {
		return false, fmt.Errorf("list the node's pods to write table bridge %s again: %w", Table, err)
	}
	if what == "" {
		return restoreRegistrations(ctx, pods)
	}
	if len(pods) == 0 && what == noTable {
		return false, nil // nothing to protect; the node's first ADD writes the table
	}
	if replace {
		if err := replaceTable(ctx, pods, live); err != nil {
			return false, fmt.Errorf("write table bridge %s again: %w", Table, err)
		}
		return true, nil
	}
	if err := run(ctx, rebuildTransaction(pods, false)); err != nil {
		// Most likely sets of other types (another dualnet version's table), which nft
		// reports in several words; replaceTable is safe whatever the cause.
		if err := replaceTable(ctx, pods, live); err != nil {
			return false, fmt.Errorf("write table bridge %s again: %w", Table, err)
		}
	}
	return true, nil
}

var noTable = errNoTable.Error()

// restoreRegistrations adds the elements of pods to a whole table, and says whether one of
// them lacked some.
func restoreRegistrations(ctx context.Context, pods []Pod) (bool, error) {
	if len(pods) == 0 {
		return false, nil
	}
	regs, err := Pods(ctx)
	if err != nil {
		return false, err
	}
	incomplete := slices.ContainsFunc(pods, func(p Pod) bool { return !regs[p.Index].holds(p) })
	elems, err := elementsOf(pods)
	if err != nil {
		return false, err
	}
	if err := applyElements(addElements, elems); err != nil {
		return false, fmt.Errorf("add the elements of the node's %d pods to table bridge %s: %w", len(pods), Table, err)
	}
	return incomplete, nil
}

// Damage says what is missing from the table, or "" when it is whole: the table, a set, a
// chain, or rules of a chain (counted, see Repair); or that the table was written in another
// boot.
func Damage(ctx context.Context) (string, error) {
	what, _, err := damage(ctx)
	return what, err
}

// damage is Damage, and whether the table must be replaced rather than added to.
func damage(ctx context.Context) (what string, replace bool, err error) {
	l, err := listTable(ctx)
	if errors.Is(err, errNoTable) {
		return noTable, false, nil
	}
	if err != nil {
		return "", false, err
	}
	if why, ok := l.notThisBoots(bootChains()); ok {
		return why, true, nil
	}
	return l.damage(), false, nil
}

func (l listing) damage() string {
	for _, s := range allSets {
		if _, ok := l.elements[s]; !ok {
			return fmt.Sprintf("set %s of table bridge %s is missing", s, Table)
		}
	}
	rules := chainRules()
	for _, chain := range slices.Sorted(maps.Keys(rules)) {
		want := len(rules[chain])
		switch {
		case !l.chains[chain]:
			return fmt.Sprintf("chain %s of table bridge %s is missing", chain, Table)
		case l.rules[chain] != want:
			return fmt.Sprintf("chain %s of table bridge %s has %d rules, want %d", chain, Table, l.rules[chain], want)
		}
	}
	return ""
}
