package antispoof

import (
	"context"
	"flag"
	"os"
	"testing"

	"sigs.k8s.io/knftables"
)

var update = flag.Bool("update", false, "rewrite testdata/ruleset.golden")

// The ruleset is reviewed as the nft commands it runs: testdata/ruleset.golden. Writing it
// twice must leave the same table.
func TestRulesetMatchesTheGoldenFileHoweverOftenItIsWritten(t *testing.T) {
	fake := knftables.NewFake(knftables.BridgeFamily, Table)
	for range 2 {
		if err := fake.Run(context.Background(), rulesetTransaction()); err != nil {
			t.Fatalf("%v\n%s", err, rulesetTransaction())
		}
	}
	got := fake.Dump()
	const golden = "testdata/ruleset.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -run Golden -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("ruleset changed; if on purpose, rerun with -update and review the diff.\ngot:\n%s\nwant:\n%s", got, want)
	}
}
