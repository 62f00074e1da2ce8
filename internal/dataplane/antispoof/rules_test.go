package antispoof

import (
	"context"
	"testing"

	"sigs.k8s.io/knftables"

	"github.com/dualnet/dualnet/internal/testutil/golden"
)

// The ruleset is reviewed as the nft commands it runs: testdata/ruleset.golden. Writing it
// twice must leave the same table.
func TestRulesetMatchesTheGoldenFileHoweverOftenItIsWritten(t *testing.T) {
	fake := knftables.NewFake(knftables.BridgeFamily, Table)
	for range 2 {
		if err := fake.Run(context.Background(), rulesetTransaction()); err != nil {
			t.Fatalf("%v\n%s", err, rulesetTransaction())
		}
	}
	golden.Compare(t, "ruleset.golden", fake.Dump())
}
