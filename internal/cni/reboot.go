package cni

import "github.com/dualnet/dualnet/internal/podipam"

// hostVethGone says whether the attachment's host veth is gone from the calling thread's
// namespace, for the address store's release of an earlier boot's records (podipam's
// Store.Gone). Only the kernel's "no such device" counts: on any other answer the record stays.
func hostVethGone(k podipam.Key) bool {
	link, err := findHostVeth(hostVethName(k))
	return link == nil && err == nil
}

// ForgetEarlierBoot releases, in the address store in storeDir, the records of an earlier
// boot whose host veth is gone, and returns their attachments; the plugin does the same at the
// first ADD of a boot. It must run in the node's network namespace. The node agent calls it
// when it starts.
func ForgetEarlierBoot(storeDir string) ([]podipam.Key, error) {
	store, err := podipam.Open(storeDir, nil)
	if err != nil {
		return nil, err
	}
	store.Gone = hostVethGone
	return store.ForgetEarlierBoot()
}
