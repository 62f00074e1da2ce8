// Package golden is test support: compare what a test produced (an nft dump, a table a
// command prints) with a file under testdata/ that a person reviewed. `go test -update`
// rewrites the files, for a change made on purpose; review their diff before committing.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Compare fails t unless got equals testdata/name.
func Compare(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file (go test -update writes it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs; if on purpose, run go test -update and review the diff:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
