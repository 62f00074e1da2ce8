package goals

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRecordAppendsOneLinePerFigure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "goals.tsv")
	t.Setenv(Env, path)
	Record("cni", "20-way ADD p50 <= 0.45 of upstream", "0.437", Verdict(true))
	Record("dataplane", "pod -> pod\tIPv6\nthroughput", "0.967", Verdict(false))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "cni\t20-way ADD p50 <= 0.45 of upstream\t0.437\tmet\n" +
		"dataplane\tpod -> pod IPv6 throughput\t0.967\tNOT met\n"
	if string(data) != want {
		t.Errorf("file holds %q, want %q", data, want)
	}
}

func TestRecordWithoutTheFileWritesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv(Env, "")
	Record("cni", "ADD", "0.4", NoGoal)
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Record without %s wrote %v", Env, entries)
	}
}
