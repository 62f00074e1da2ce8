package lab

import "testing"

func TestOwnsOnlyTheLabsOwnNamespaceNames(t *testing.T) {
	n := Names{Lab: "dualnet"}
	cases := map[string]bool{
		"dualnet-vnet":      true,
		"dualnet-vnet-host": true,
		"dualnet-node-0":    true,
		"dualnet-node-12":   true,
		"dualnet-pod-27667389-b9eb-4ed1-9fb5-623572ff0e4f": true,
		"dualnet-pod-1234":   false, // another program's test namespace
		"dualnet-cni-test-1": false,
		"dualnet-vnet-2":     false,
		"dualnet2-vnet":      false, // another lab
		"dualnet-node-0-x":   false,
		"xdualnet-vnet":      false,
		"dualnet-pod-27667389-b9eb-4ed1-9fb5-623572ff0e4f-x": false,
	}
	for name, want := range cases {
		if got := n.Owns(name); got != want {
			t.Errorf("Owns(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestCheckNameRefusesNamesThatCannotPrefixNodeNames(t *testing.T) {
	for _, ok := range []string{"dualnet", "dn-e2e123", "a", "lab-2"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("CheckName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Dualnet", "-lab", "lab-", "lab_1", "a/b", "averyveryverylonglabname1234"} {
		if err := CheckName(bad); err == nil {
			t.Errorf("CheckName(%q) accepted it", bad)
		}
	}
}
