package lab

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/dualnet/dualnet/internal/netns"
)

// kubeProxyHealthz is where every lab kube-proxy answers, inside its node's namespace.
const kubeProxyHealthz = "http://127.0.0.1:" + kubeProxyHealthzPort + "/healthz"

// kubeProxiesSynced says whether every node's kube-proxy has written the node's service rules
// at least once for each family: only then does a ClusterIP answer there. Its /healthz says
// healthy from the start, so what counts is the per-family status, which a proxier reports
// after its first complete sync (k8s.io/kubernetes/pkg/proxy/healthcheck/proxy_health.go).
func kubeProxiesSynced(ctx context.Context, lab Config) bool {
	for i := 0; i < lab.Nodes; i++ {
		if !kubeProxySynced(ctx, lab.Names().Node(i), len(lab.Spec.Families)) {
			return false
		}
	}
	return true
}

func kubeProxySynced(ctx context.Context, node string, families int) bool {
	client := http.Client{
		Timeout: 2 * time.Second,
		// Dialled from inside the node's namespace, so 127.0.0.1 is the node's loopback.
		Transport: &http.Transport{DisableKeepAlives: true, DialContext: netns.At(node).DialContext},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, kubeProxyHealthz, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var health struct {
		Healthy bool                       `json:"healthy"`
		Status  map[string]json.RawMessage `json:"status"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&health) != nil {
		return false
	}
	return health.Healthy && len(health.Status) == families
}
