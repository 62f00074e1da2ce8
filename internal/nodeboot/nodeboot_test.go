package nodeboot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/testutil/freshns"
)

func TestReadNamesTheBootAndTheNamespace(t *testing.T) {
	kernel, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		t.Fatal(err)
	}
	here, ok := Read()
	if !ok || here.Boot != strings.TrimSpace(string(kernel)) || here.Netns == "" {
		t.Fatalf("Read() = %+v, %v, want the kernel's boot ID and the namespace's cookie", here, ok)
	}
	if again, _ := Read(); again != here {
		t.Errorf("Read() = %+v, then %+v in the same namespace", here, again)
	}

	// A node made anew in the same boot.
	var there Now
	var thereOK bool
	if err := freshns.Do(func() error { there, thereOK = Read(); return nil }); err != nil {
		t.Fatal(err)
	}
	if !thereOK || there.Boot != here.Boot || there.Netns == "" || there.Netns == here.Netns {
		t.Errorf("Read() in a new namespace = %+v, %v, want boot %s and another cookie than %s", there, thereOK, here.Boot, here.Netns)
	}
}

func TestOnlyAUUIDIsTakenForTheBootID(t *testing.T) {
	defer func(real string) { bootIDPath = real }(bootIDPath)
	for _, content := range []string{"", "\n", "not-a-uuid\n", "0B5E7D0C-6F1E-4C47-9A43-7C1F0E2D5A61\n", "0b5e7d0c-6f1e-4c47-9a43-7c1f0e2d5a61 x\n",
		"0b5e7d0c-6f1e-4c47-9a43-7c1f0e2d5a6\n", "0b5e7d0c-6f1e-4c47-9a43-7c1f0e2d5a61a\n", "0b5e7d0c6f1e-4c47-9a43-7c1f0e2d5a61-\n",
		"0b5e7d0c-6f1e-4c47-9a43-7c1f0e2d5g61\n", "0b5e7d0c-6f1e-4c47-9a43-7c1f0e2d5a61\x00\n"} {
		path := filepath.Join(t.TempDir(), "boot_id")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		bootIDPath = path
		if got, ok := Read(); ok {
			t.Errorf("boot_id %q: Read() = %+v, want none", content, got)
		}
	}
	// Every hex digit, each dash where it goes: the one form that passes.
	path := filepath.Join(t.TempDir(), "boot_id")
	if err := os.WriteFile(path, []byte("01234567-89ab-cdef-0123-456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bootIDPath = path
	if got, ok := Read(); !ok || got.Boot != "01234567-89ab-cdef-0123-456789abcdef" {
		t.Errorf("a boot_id of every hex digit: Read() = %+v, %v, want it", got, ok)
	}
	bootIDPath = filepath.Join(t.TempDir(), "missing")
	if got, ok := Read(); ok {
		t.Errorf("no boot_id: Read() = %+v, want none", got)
	}
}
