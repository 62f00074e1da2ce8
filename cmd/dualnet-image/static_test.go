package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/image"
)

// A static Go binary needs nothing, and the image refuses a dynamic one in --bin-dir.
func TestBinariesMustBeStatic(t *testing.T) {
	binDir, _ := builtImage(t)
	machine, err := image.Machine()
	if err != nil {
		t.Fatal(err)
	}
	static := filepath.Join(binDir, "dualnet-cni")
	if files, err := image.RuntimeFiles(static); err != nil || len(files) != 0 {
		t.Errorf("runtime files of static %s: %q, %v; want none", static, files, err)
	}
	if err := image.CheckStatic(static, machine); err != nil {
		t.Errorf("CheckStatic(%s): %v", static, err)
	}
	err = image.CheckStatic("/usr/sbin/nft", machine)
	if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("CheckStatic(nft) = %v, want an error that says to build with CGO_ENABLED=0", err)
	}
}
