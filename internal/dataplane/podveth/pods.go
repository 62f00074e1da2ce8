package podveth

import (
	"context"
	"fmt"

	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/podipam"
)

// NodePods lists the pods of the node whose address store is storeDir (the conflist's
// dataDir joined with its network name) that have a host end: what the anti-spoofing table
// must hold. The node agent repairs the table with it (antispoof.Repair). It must run in the
// node's network namespace.
func NodePods(storeDir string) ([]antispoof.Pod, error) {
	store, err := podipam.Open(storeDir, nil)
	if err != nil {
		return nil, err
	}
	return LivePods(store)()
}

// LivePods lists the node's registered-or-registering pods from the address store, for when
// the anti-spoofing table has to be written again: every attachment with a record whose host
// end exists.
func LivePods(store *podipam.Store) func() ([]antispoof.Pod, error) {
	return func() ([]antispoof.Pod, error) {
		allocs, err := store.List()
		if err != nil {
			return nil, err
		}
		var pods []antispoof.Pod
		for _, al := range allocs {
			link, err := FindHost(HostName(al.Key))
			if err != nil {
				return nil, err
			}
			if link != nil {
				pods = append(pods, antispoof.Pod{Index: link.Attrs().Index, MAC: PodMAC(al.Key), Addrs: al.Addrs})
			}
		}
		return pods, nil
	}
}

// ForgetEarlierBoot clears, when the address store in storeDir was written in an earlier
// boot, what that boot left (HandleEarlierBoot), and returns the attachments it released; the
// plugin does the same at the first ADD of a boot. It must run in the node's network
// namespace. The node agent calls it when it starts.
func ForgetEarlierBoot(ctx context.Context, storeDir string) ([]podipam.Key, error) {
	store, err := podipam.Open(storeDir, nil)
	if err != nil {
		return nil, err
	}
	HandleEarlierBoot(ctx, store)
	return store.ForgetEarlierBoot()
}

// HandleEarlierBoot has the store, when it finds it was written in an earlier boot, release
// the records whose host end is gone and delete the anti-spoofing table. A reboot takes the
// table with it, unless a ruleset saved from the earlier boot is loaded at boot (which
// docs/nftables.md warns against); then its elements name interface indexes that this boot
// hands out again, and a new pod's port would pass as an old pod's. The next ADD, or the
// agent's repair, writes the table again with the node's live pods. (The agent's repair also
// replaces a table that names another boot, whenever it is loaded; ADD does not read the
// table, so the first ADD of a boot relies on this.) ctx bounds that nft run, which happens
// later, inside the store's next allocation.
func HandleEarlierBoot(ctx context.Context, store *podipam.Store) {
	store.Gone = HostGone
	store.EarlierBoot = func() error {
		if err := antispoof.DeleteTable(ctx); err != nil {
			return fmt.Errorf("clear the anti-spoofing elements of an earlier boot: %w", err)
		}
		return nil
	}
}
