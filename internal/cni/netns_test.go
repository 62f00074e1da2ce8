package cni

import (
	"errors"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/types"
)

func TestAttachmentOfNamesTheVariableAndTheRule(t *testing.T) {
	for _, tc := range []struct {
		id, ifName string
		code       uint
		says       []string
	}{
		{"", "eth0", types.ErrUnknownContainer, []string{"CNI_CONTAINERID", "missing containerID"}},
		{"../etc", "eth0", types.ErrInvalidEnvironmentVariables, []string{`CNI_CONTAINERID "../etc"`, "letters, digits"}},
		{"c1", "", types.ErrInvalidEnvironmentVariables, []string{`CNI_IFNAME ""`, "1 to 15 bytes"}},
		{"c1", "eth0:1", types.ErrInvalidEnvironmentVariables, []string{`CNI_IFNAME "eth0:1"`, "no '/', ':', whitespace or NUL"}},
		{"c1", "n\x001", types.ErrInvalidEnvironmentVariables, []string{"CNI_IFNAME", "holds a NUL"}},
		{"c1", strings.Repeat("e", 16), types.ErrInvalidEnvironmentVariables, []string{"CNI_IFNAME", "too long"}},
	} {
		_, err := attachmentOf(&Args{ContainerID: tc.id, IfName: tc.ifName})
		var e *types.Error
		if !errors.As(err, &e) || e.Code != tc.code {
			t.Errorf("attachmentOf(%q, %q) = %v, want code %d", tc.id, tc.ifName, err, tc.code)
			continue
		}
		for _, want := range tc.says {
			if !strings.Contains(e.Msg, want) {
				t.Errorf("attachmentOf(%q, %q) = %q, want it to say %q", tc.id, tc.ifName, e.Msg, want)
			}
		}
	}
	if k, err := attachmentOf(&Args{ContainerID: strings.Repeat("a", 300), IfName: "eth0"}); err != nil || len(k.ContainerID) != 300 {
		t.Errorf("attachmentOf with a 300-byte ID = %v, %v; CNI puts no limit on an ID's length", k, err)
	}
}
