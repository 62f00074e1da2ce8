package antispoof

import (
	"fmt"
	"strings"
)

// script is a batch of nft commands on the table, as `nft -f` reads them (run), applied in
// one transaction. The package writes its few commands itself rather than through knftables:
// the plugin runs once per ADD and DEL, and knftables' package initialisation alone costs it
// about 0.3 ms of CPU (bench/cni/README.md).
type script struct {
	b strings.Builder
}

func (s *script) String() string { return s.b.String() }

// command adds one command; what follows the verb and object kind names the table first.
func (s *script) command(verbObject string, rest ...string) {
	s.b.WriteString(verbObject + " bridge " + Table)
	for _, r := range rest {
		s.b.WriteString(" " + r)
	}
	s.b.WriteString("\n")
}

func (s *script) addTable(comment string) {
	s.command("add table", fmt.Sprintf("{ comment %q ; }", comment))
}

// dropTable deletes the table whether or not there is one: it adds the table first, since
// deleting a missing table fails the whole transaction.
func (s *script) dropTable() {
	s.command("add table")
	s.command("delete table")
}

// addSet adds a set with flag timeout: elements are added without one (they live as long as
// the pod), and DEL gives them one to retire them. typ is "type T" or "typeof EXPR".
func (s *script) addSet(name, typ, comment string) {
	s.command("add set", name, fmt.Sprintf("{ %s ; flags timeout ; comment %q ; }", typ, comment))
}

// addChain adds the chain, a base chain of type filter at the filter priority when hook is
// set, and flushes it: the rules that follow are then all it holds.
func (s *script) addChain(name, hook string) {
	if hook != "" {
		s.command("add chain", name, "{ type filter hook "+hook+" priority filter ; }")
	} else {
		s.command("add chain", name)
	}
	s.command("flush chain", name)
}

func (s *script) addRule(chain, rule string) {
	s.command("add rule", chain, rule)
}

// addElement adds one element, its key's fields joined as a concatenation.
func (s *script) addElement(set string, key ...string) {
	s.command("add element", set, "{ "+strings.Join(key, " . ")+" }")
}
