package specfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/dualnet/dualnet/internal/netspec"
)

// specFlagsFor parses args on a real flag set, as a binary's command line would.
func specFlagsFor(t *testing.T, args ...string) *Flags {
	t.Helper()
	flags := NewFlags()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	flags.AddTo(fs)
	fs.Int("nodes", 3, "a flag of the command, not of the spec")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return flags
}

func writeConfig(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "network.yaml")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigFlagReadsTheSpecFromTheFile(t *testing.T) {
	path := writeConfig(t, header+"ipFamilies: [ipv4]\nmaxRoutes: 20\n")
	s, err := specFlagsFor(t, "--config", path, "--nodes", "5").Spec()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Families) != 1 || s.MaxRoutes != 20 || s.PodCIDRs[0].String() != netspec.DefaultPodCIDRIPv4 {
		t.Errorf("spec %+v, want the file's ipv4-only spec with 20 routes", s)
	}
}

// A spec flag beside --config is refused, even one that repeats its default: a value that
// silently won over the file, or lost to it, is how a controller and its agents disagree.
func TestConfigFlagCannotBeCombinedWithASpecFlag(t *testing.T) {
	path := writeConfig(t, header)
	_, err := specFlagsFor(t, "--pod-cidrs", "10.0.0.0/8,fd00::/48", "--config", path, "--max-routes", "400").Spec()
	checkErrors(t, err, []string{
		"--pod-cidrs: cannot be combined with --config: the spec comes from one place; put podCIDRs in " + path,
		"--max-routes: cannot be combined with --config: the spec comes from one place; put maxRoutes in " + path,
	})
}

func TestConfigFlagNamesAFileItCannotRead(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(header+"#"+strings.Repeat("x", maxConfigSize)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		missing: "--config: cannot read " + missing + ": no such file or directory: give the path of a NetworkSpec file (deploy/dualnet.yaml mounts one at /etc/dualnet/network.yaml)",
		dir:     "--config: cannot read " + dir + ": is a directory",
		big:     "--config: " + big + " is larger than 1048576 bytes: give the path of a NetworkSpec file, a few lines long",
	} {
		_, err := specFlagsFor(t, "--config", path).Spec()
		checkErrors(t, err, []string{want})
	}
}

// The conflict check and the error translation know a spec flag by the field table: every
// spec flag AddTo registers must be in it, and nothing else.
func TestEverySpecFlagHasAConfigField(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	NewFlags().AddTo(fs)
	var registered, fields []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "config" {
			registered = append(registered, "--"+f.Name)
		}
	})
	for _, f := range netspec.Fields() {
		fields = append(fields, f.Flag)
	}
	slices.Sort(registered)
	slices.Sort(fields)
	if !slices.Equal(registered, fields) {
		t.Errorf("spec flags %v, config fields' flags %v", registered, fields)
	}
}
