package cni

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/dualnet/dualnet/internal/cni/config"
)

// unread fails the test that reads it: the call had to be refused before stdin.
type unread struct{ t *testing.T }

func (u unread) Read([]byte) (int, error) {
	u.t.Error("the call read stdin, want it refused before")
	return 0, io.EOF
}

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestDispatchRefusesACallAsTheSpecSays(t *testing.T) {
	full := map[string]string{"CNI_CONTAINERID": "c1", "CNI_NETNS": "/var/run/netns/p1", "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin"}
	with := func(cmd string, drop ...string) map[string]string {
		vars := map[string]string{"CNI_COMMAND": cmd}
		for k, v := range full {
			if !slices.Contains(drop, k) {
				vars[k] = v
			}
		}
		return vars
	}
	for _, tc := range []struct {
		name string
		vars map[string]string
		code uint
		says []string
	}{
		{"unknown command", with("ADDD"), types.ErrInvalidEnvironmentVariables, []string{`CNI_COMMAND "ADDD": unknown`}},
		{"ADD without netns and path", with("ADD", "CNI_NETNS", "CNI_PATH"), types.ErrInvalidEnvironmentVariables, []string{"[CNI_NETNS,CNI_PATH] missing for ADD"}},
		{"CHECK without an interface", with("CHECK", "CNI_IFNAME"), types.ErrInvalidEnvironmentVariables, []string{"[CNI_IFNAME] missing for CHECK"}},
		{"DEL without a container", with("DEL", "CNI_CONTAINERID"), types.ErrInvalidEnvironmentVariables, []string{"[CNI_CONTAINERID] missing for DEL"}},
		{"GC without a path", with("GC", "CNI_PATH"), types.ErrInvalidEnvironmentVariables, []string{"[CNI_PATH] missing for GC"}},
		{"DEL of an invalid container ID", func() map[string]string { v := with("DEL"); v["CNI_CONTAINERID"] = "../c1"; return v }(),
			types.ErrInvalidEnvironmentVariables, []string{`CNI_CONTAINERID "../c1"`, "letters, digits"}},
		{"ADD of an invalid interface", func() map[string]string { v := with("ADD"); v["CNI_IFNAME"] = "eth0:1"; return v }(),
			types.ErrInvalidEnvironmentVariables, []string{`CNI_IFNAME "eth0:1"`, "1 to 15 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := dispatch(env(tc.vars), unread{t}, &stdout, &stderr, "about")
			if err == nil || err.Code != tc.code {
				t.Fatalf("dispatch = %v, want code %d", err, tc.code)
			}
			for _, want := range tc.says {
				if !strings.Contains(err.Msg, want) {
					t.Errorf("dispatch = %q, want it to say %q", err.Msg, want)
				}
			}
			if stdout.Len() != 0 {
				t.Errorf("dispatch wrote %q to stdout; the caller prints the error there", stdout.String())
			}
		})
	}
}

func TestDispatchRefusesAVerbNewerThanTheConfig(t *testing.T) {
	for _, cmd := range []string{"GC", "STATUS"} {
		stdin := strings.NewReader(`{"cniVersion": "1.0.0", "name": "dualnet", "type": "dualnet"}`)
		err := dispatch(env(map[string]string{"CNI_COMMAND": cmd, "CNI_PATH": "/opt/cni/bin"}), stdin, io.Discard, io.Discard, "about")
		if err == nil || err.Code != types.ErrIncompatibleCNIVersion || !strings.Contains(err.Msg, cmd+" came in CNI spec 1.1.0") {
			t.Errorf("%s with cniVersion 1.0.0 = %v, want code %d saying it came in 1.1.0", cmd, err, types.ErrIncompatibleCNIVersion)
		}
	}
}

func TestDispatchAnswersVersionAndAbout(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := dispatch(env(map[string]string{"CNI_COMMAND": "VERSION"}), unread{t}, &stdout, &stderr, "about"); err != nil {
		t.Fatalf("VERSION: %v", err)
	}
	var got struct {
		CNIVersion        string   `json:"cniVersion"`
		SupportedVersions []string `json:"supportedVersions"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil || !slices.Equal(got.SupportedVersions, config.SupportedVersions) || got.CNIVersion == "" {
		t.Errorf("VERSION printed %q (%v), want the versions %v", stdout.String(), err, config.SupportedVersions)
	}

	stdout.Reset()
	if err := dispatch(env(nil), unread{t}, &stdout, &stderr, "dualnet-cni test"); err != nil {
		t.Fatalf("no CNI_COMMAND: %v", err)
	}
	if want := "dualnet-cni test\nCNI protocol versions supported: " + strings.Join(config.SupportedVersions, ", ") + "\n"; stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("no CNI_COMMAND printed %q on stderr and %q on stdout, want %q on stderr", stderr.String(), stdout.String(), want)
	}
}

func TestAsCNIErrorKeepsTheSpecsCode(t *testing.T) {
	own := types.NewError(types.ErrTryAgainLater, "later", "")
	if got := asCNIError(errors.Join(own)); got != own {
		t.Errorf("asCNIError of a wrapped spec error = %v, want it unwrapped", got)
	}
	if got := asCNIError(errors.New("boom")); got.Code != types.ErrInternal || got.Msg != "boom" {
		t.Errorf("asCNIError(boom) = %v, want code %d with the text", got, types.ErrInternal)
	}
}
