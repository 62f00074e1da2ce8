package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/image/imagetest"
)

// inImage runs argv in a child process chrooted into root, with the image's PATH and env, in
// a network namespace of its own: nft in it can only ever see and change that namespace,
// which the kernel discards when the child exits. Nothing from the image runs on the host's
// network.
func inImage(t *testing.T, root, stdin string, env []string, argv ...string) (stdout string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, lookPathInImage(t, root, argv[0]), argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Dir = "/" // in the chroot: no working directory left outside it
	cmd.Env = append([]string{"PATH=" + imagePATH}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Run(); err != nil {
		t.Errorf("%s (chroot %s, new network namespace): %v\nstdout:\n%s\nstderr:\n%s",
			strings.Join(argv, " "), root, err, out.String(), errOut.String())
		return out.String(), err
	}
	return out.String(), nil
}

// lookPathInImage finds a command as the image's PATH would (exec.LookPath would search the
// host's), and returns its path inside the image.
func lookPathInImage(t *testing.T, root, file string) string {
	t.Helper()
	if strings.Contains(file, "/") {
		return file
	}
	for _, dir := range filepath.SplitList(imagePATH) {
		st, err := os.Stat(filepath.Join(root, dir, file))
		if err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return dir + "/" + file
		}
	}
	t.Fatalf("%s: not in the image's PATH %s", file, imagePATH)
	return ""
}

// dualnet's own rulesets, as the CNI plugin's anti-spoofing and the agent's masquerade write
// them through knftables (their golden files are `nft -f` input).
var dualnetRulesets = []string{
	"../../internal/dataplane/antispoof/testdata/ruleset.golden",
	"../../internal/dataplane/masquerade/testdata/dual-stack.nft",
}

// The image is enough to run dualnet: nft starts with only the libraries the image holds and
// loads dualnet's real rulesets (sets, maps, bridge family, NAT, JSON output), and the three
// binaries, portmap and bandwidth start. Each process is chrooted into the unpacked image, in
// a fresh network namespace.
func TestImageRunsNftAndTheDualnetBinariesChrooted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test chroots into the image and makes network namespaces: run it as root")
	}
	_, tarPath := builtImage(t)
	root := imagetest.RootFS(t, readImage(t, tarPath))

	t.Run("nft --version", func(t *testing.T) {
		out, _ := inImage(t, root, "", nil, nftInImage, "--version")
		if !strings.HasPrefix(out, "nftables v") {
			t.Errorf("nft --version printed %q, want nftables v...", out)
		}
	})

	t.Run("nft -f loads dualnet's rulesets", func(t *testing.T) {
		script := "add table inet dualnet-imagetest\n"
		for _, f := range dualnetRulesets {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			script += string(b)
		}
		script += "list tables\n"
		// By name, through PATH, as knftables finds it.
		out, _ := inImage(t, root, script, nil, "nft", "-f", "-")
		for _, table := range []string{"table inet dualnet-imagetest", "table bridge dualnet-antispoof", "table inet dualnet"} {
			if !strings.Contains(out, table+"\n") {
				t.Errorf("nft list tables after loading the rulesets printed %q, want %q in it", out, table)
			}
		}
	})

	// A second fresh namespace has none of those tables: they lived and died in the first
	// child's namespace, not the host's. --json exercises libjansson, as knftables lists.
	t.Run("nft --json list tables in a new namespace", func(t *testing.T) {
		out, err := inImage(t, root, "", nil, "nft", "--json", "list", "tables")
		if err != nil {
			return
		}
		var listing struct {
			Nftables []map[string]json.RawMessage `json:"nftables"`
		}
		if err := json.Unmarshal([]byte(out), &listing); err != nil {
			t.Fatalf("nft --json list tables printed %q: %v", out, err)
		}
		if len(listing.Nftables) == 0 || listing.Nftables[0]["metainfo"] == nil {
			t.Errorf("nft --json list tables printed %q, want its metainfo first", out)
		}
		for _, o := range listing.Nftables[1:] {
			t.Errorf("a fresh network namespace has a table: %s (from %q)", o["table"], out)
		}
	})

	for _, name := range []string{"dualnet-controller", "dualnet-agent"} {
		t.Run(name+" --help", func(t *testing.T) {
			out, _ := inImage(t, root, "", nil, binDirInImage+"/"+name, "--help")
			if !strings.Contains(out, "Usage:\n  "+name) {
				t.Errorf("%s --help printed %q, want its usage", name, out)
			}
		})
	}

	for _, plugin := range []string{"dualnet-cni", "portmap", "bandwidth"} {
		t.Run(plugin+" VERSION", func(t *testing.T) {
			out, err := inImage(t, root, "", []string{"CNI_COMMAND=VERSION"}, plugin)
			if err != nil {
				return
			}
			var version struct {
				CNIVersion        string   `json:"cniVersion"`
				SupportedVersions []string `json:"supportedVersions"`
			}
			if err := json.Unmarshal([]byte(out), &version); err != nil || version.CNIVersion == "" || len(version.SupportedVersions) == 0 {
				t.Errorf("%s VERSION printed %q (%v), want cniVersion and supportedVersions", plugin, out, err)
			}
		})
	}
}
