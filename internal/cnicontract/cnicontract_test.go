package cnicontract

import (
	"encoding/json"
	"slices"
	"testing"
)

// The keys are the wire format docs/cni-contract.md documents: renaming a field must show.
func TestTheEntryMarshalsToTheDocumentedKeys(t *testing.T) {
	data, err := json.Marshal(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"dualnet","bridge":"cbr0","podCIDRs":null,"mtu":1500,"hairpinMode":true,"dataDir":"/var/lib/dualnet/cni"}`
	if string(data) != want {
		t.Errorf("Defaults() = %s\nwant %s", data, want)
	}
	if want := []string{"bridge", "podCIDRs", "mtu", "hairpinMode", "dataDir"}; !slices.Equal(OwnKeys, want) {
		t.Errorf("OwnKeys = %v, want %v", OwnKeys, want)
	}
}

func TestStoreDirIsTheNetworkNameUnderTheDataDir(t *testing.T) {
	if got := StoreDir(DefaultDataDir, NetworkName); got != "/var/lib/dualnet/cni/dualnet" {
		t.Errorf("StoreDir = %s", got)
	}
}
