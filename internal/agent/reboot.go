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

// forgetEarlierBoot clears, when the CNI plugin's address store was written in an earlier boot
// of the node, what that boot left: the addresses of its pods (those whose host veth is gone)
// and the anti-spoofing table, whose elements name interface indexes this boot hands out
// again (podveth.HandleEarlierBoot). The plugin does that itself at the first ADD after a
// reboot; doing it when the agent starts also makes the address usage in /metrics right
// before that. A node that never ran a pod has no store, and gets none.
func (a *Agent) forgetEarlierBoot(ctx context.Context, storeDir string) {
	if _, err := os.Stat(storeDir); errors.Is(err, fs.ErrNotExist) {
		return
	}
	logger := klog.FromContext(ctx)
	// The nft run happens under the store's lock, which every ADD of the node waits for.
	ctx, cancel := context.WithTimeout(ctx, antispoofSweepTimeout)
	defer cancel()
	var released []podipam.Key
	// The veths are looked up, and nft runs, in the node's namespace.
	err := a.cfg.Namespace.Do(func() error {
		var err error
		released, err = podveth.ForgetEarlierBoot(ctx, storeDir)
		return err
	})
	if len(released) > 0 {
		logger.Info("Released the pod addresses of an earlier boot of the node", "store", storeDir, "pods", len(released))
	}
	if err != nil {
		// The plugin's next ADD tries again, and the sweep replaces a table of another boot
		// (antispoof.Repair); until then the usage figures may be off.
		logger.Error(err, "Clearing what an earlier boot of the node left failed", "store", storeDir)
	}
}
