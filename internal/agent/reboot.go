package agent

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/dataplane/podveth"
	"github.com/dualnet/dualnet/internal/podipam"
)

// forgetEarlierBoot releases, in the CNI plugin's address store, the addresses of the pods
// of an earlier boot of the node (those whose host veth is gone). The plugin does that itself
// at the first ADD after a reboot; doing it when the agent starts makes the address usage in
// /metrics right before that. A node that never ran a pod has no store, and gets none.
func (a *Agent) forgetEarlierBoot(ctx context.Context, storeDir string) {
	if _, err := os.Stat(storeDir); errors.Is(err, fs.ErrNotExist) {
		return
	}
	logger := klog.FromContext(ctx)
	var released []podipam.Key
	// The veths are looked up in the node's namespace.
	err := a.cfg.Namespace.Do(func() error {
		var err error
		released, err = podveth.ForgetEarlierBoot(ctx, storeDir)
		return err
	})
	if len(released) > 0 {
		logger.Info("Released the pod addresses of an earlier boot of the node", "store", storeDir, "pods", len(released))
	}
	if err != nil {
		// The plugin's next ADD tries again; until then only the usage figures are off.
		logger.Error(err, "Releasing the pod addresses of an earlier boot failed", "store", storeDir)
	}
}
