package antispoof

import (
	"context"
	"testing"

	"github.com/dualnet/dualnet/internal/nodeboot"
	"github.com/dualnet/dualnet/internal/testutil/golden"
)

// The ruleset is reviewed as the nft commands it runs: testdata/ruleset.golden. Writing it
// again, over a table that holds it, must leave the table as it was.
func TestRulesetMatchesTheGoldenFileHoweverOftenItIsWritten(t *testing.T) {
	inBoot(t, nodeboot.Now{Boot: "0b5e7d0c-6f1e-4c47-9a43-7c1f0e2d5a61", Netns: "4096"}, func() {
		golden.Compare(t, "ruleset.golden", rulesetTransaction().String())
	})
	freshTable(t)
	if err := run(context.Background(), rulesetTransaction()); err != nil {
		t.Fatal(err)
	}
	once := nftList(t)
	if err := run(context.Background(), rulesetTransaction()); err != nil {
		t.Fatal(err)
	}
	if twice := nftList(t); twice != once {
		t.Errorf("written twice, the table is\n%s\nwritten once, it was\n%s", twice, once)
	}
}
