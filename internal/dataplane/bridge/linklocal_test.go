package bridge

import (
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

// A bridge Ensure creates, and one it finds without the setting, forward the link-local
// groups :03 to :0f through the prerouting checks (see linkLocalForwardMask).
func TestEnsureForwardsLinkLocalGroupsThroughTheChecks(t *testing.T) {
	name, _ := dptest.NewNamespace(t, "br")
	h := netlinkIn(t, name)
	dptest.InNS(t, name, "ip", "link", "add", "old0", "type", "bridge")
	for _, br := range []string{"cbr0", "old0"} {
		if _, err := Ensure(h, br, Gateways(podCIDRs), 1500); err != nil {
			t.Fatalf("Ensure %s: %v", br, err)
		}
		if out := dptest.InNS(t, name, "ip", "-d", "link", "show", "dev", br); !strings.Contains(out, "group_fwd_mask 0xfff8") {
			t.Errorf("%s does not forward the link-local groups :03 to :0f:\n%s", br, out)
		}
	}
}
