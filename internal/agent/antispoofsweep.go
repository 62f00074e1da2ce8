package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/nodens"
	"github.com/dualnet/dualnet/internal/dataplane/podveth"
)

// DefaultAntispoofSweep is the sweep period when Config.AntispoofSweep is zero. A sweep
// lists the table with nft two or three times (about 5 ms each) even when it finds nothing. The
// leftovers it deletes are inert (their interface indexes are not handed out again in this
// boot, and a table of another boot is replaced whole: antispoof.Repair), so
// for them a minute is soon enough; a table a firewall reload took away leaves the node's
// pods unchecked for up to one period, which a minute keeps short.
const DefaultAntispoofSweep = time.Minute

// antispoofSweepTimeout bounds the nft runs of one sweep, so that a hung nft delays the next
// sweep, not all of them.
const antispoofSweepTimeout = 30 * time.Second

// sweepAntispoofEvery sweeps at once and then every period, or sooner when a sync asks
// (sweepNow), until ctx ends. A failed sweep is logged and tried again next period: the
// leftovers are inert, so they never make the node not ready.
func (a *Agent) sweepAntispoofEvery(ctx context.Context, period time.Duration) {
	logger := klog.FromContext(ctx)
	storeDir := cnicontract.StoreDir(a.cfg.CNIDataDir, cnicontract.NetworkName)
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		repaired, removed, err := sweepAntispoof(ctx, a.cfg.Namespace, storeDir)
		a.metrics.observeSweep(repaired, len(removed), err != nil && ctx.Err() == nil)
		if repaired {
			a.reportRepairs(ctx, []repair{{repairAntispoof, 1,
				"anti-spoofing table bridge " + antispoof.Table + " or pods' registrations in it missing, damaged or not this boot's (a firewall reload? an upgrade?)",
				"wrote them again from the CNI plugin's address store"}})
		}
		if len(removed) > 0 {
			logger.Info("Removed the anti-spoofing registrations of deleted pods", "table", "bridge "+antispoof.Table, "ports", len(removed))
		}
		if err != nil && ctx.Err() == nil {
			logger.Error(err, "Keeping the anti-spoofing table whole and small failed; trying again next period", "period", period)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-a.sweepNow:
		}
	}
}

// sweepAntispoof keeps the CNI plugin's anti-spoofing table in the node's namespace whole
// and small. First it writes the table again, with the pods of the address store in
// storeDir, when it is missing or damaged (antispoof.Repair): `nft flush ruleset`, which
// Debian's nftables.service runs on every start and reload, takes it away, and the plugin
// writes it again only when a pod starts. Then it deletes the registrations whose host veth
// is gone, and returns their interface indexes: the plugin's DEL only retires a pod's
// elements (gives them a 1 ms timeout), which takes effect on Linux 6.10 and later; on older
// kernels (Debian 12's 6.1, Ubuntu 22.04's 5.15) they stay until a CNI GC, which many
// runtimes never send, so the table would grow with every deleted pod. A node without pods
// and without the table has nothing to do.
func sweepAntispoof(ctx context.Context, ns nodens.Namespace, storeDir string) (repaired bool, removed []int, err error) {
	ctx, cancel := context.WithTimeout(ctx, antispoofSweepTimeout)
	defer cancel()
	// nft, netlink and the veth lookups all work in the calling thread's namespace.
	err = ns.Do(func() error {
		live := func() ([]antispoof.Pod, error) { return podveth.NodePods(storeDir) }
		var rerr, gerr error
		if repaired, rerr = antispoof.Repair(ctx, live); rerr != nil {
			rerr = fmt.Errorf("write it again: %w", rerr)
		}
		// Even when the repair failed: the leftovers of deleted pods must not pile up meanwhile.
		if removed, gerr = antispoof.GC(ctx, antispoof.PortExists); gerr != nil {
			gerr = fmt.Errorf("delete the registrations of deleted pods: %w", gerr)
		}
		return errors.Join(rerr, gerr)
	})
	if err != nil {
		return repaired, removed, fmt.Errorf("anti-spoofing table bridge %s: %w", antispoof.Table, err)
	}
	return repaired, removed, nil
}
