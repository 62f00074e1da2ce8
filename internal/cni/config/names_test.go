package config

import (
	"regexp"
	"strings"
	"testing"
)

// The CNI spec states the rule for names as a regular expression; ValidName must agree with
// it on every string, including bytes that are not UTF-8.
var specName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`)

func TestValidNameIsTheSpecsRule(t *testing.T) {
	for _, s := range []string{"", "a", "dualnet", "k8s-pod-network", "a.b_c-d", "0", "_a", ".a", "-a", "a/b", "a b", "a:b", "ä", "a\x00", "a\xff", strings.Repeat("a", 300)} {
		if got, want := ValidName(s), specName.MatchString(s); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzValidName(f *testing.F) {
	f.Add("dualnet")
	f.Add("-x")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidName(s), specName.MatchString(s); got != want {
			t.Errorf("ValidName(%q) = %v, the spec's expression says %v", s, got, want)
		}
	})
}

func TestIfNameProblem(t *testing.T) {
	for name, want := range map[string]string{
		"eth0":                  "",
		"net1":                  "",
		strings.Repeat("e", 15): "",
		"":                      "interface name is empty",
		strings.Repeat("e", 16): "interface name is too long",
		".":                     "interface name is . or ..",
		"..":                    "interface name is . or ..",
		"eth0/1":                "contains / or : or whitespace",
		"eth0:1":                "contains / or : or whitespace",
		"eth 0":                 "contains / or : or whitespace",
		"eth\u00a00":            "contains / or : or whitespace",
		"eth\x000":              "holds a NUL",
	} {
		got := IfNameProblem(name)
		if want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("IfNameProblem(%q) = %q, want %q", name, got, want)
		}
	}
}
