package config

import "unicode"

// ValidName applies the CNI spec's rule for network names and container IDs: letters,
// digits, '_', '.' and '-', starting with a letter or digit. It is written out rather than
// taken from containernetworking/cni's pkg/utils, whose regular expression is compiled at
// package initialisation, on every call the runtime makes.
func ValidName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return s != ""
}

// MaxIfName is the longest interface name the kernel takes (IFNAMSIZ less the NUL).
const MaxIfName = 15

// IfNameProblem says what is wrong with an interface name by the CNI spec's rules, which
// are the kernel's (dev_valid_name), or "" when nothing is.
func IfNameProblem(name string) string {
	switch {
	case name == "":
		return "interface name is empty"
	case len(name) > MaxIfName:
		return "interface name is too long"
	case name == "." || name == "..":
		return "interface name is . or .."
	}
	for _, r := range name {
		if r == 0 {
			// The kernel would read the name only up to it. A plugin's environment cannot
			// hold one, but a caller in the same process can.
			return "interface name holds a NUL"
		}
		if r == '/' || r == ':' || unicode.IsSpace(r) {
			return "interface name contains / or : or whitespace"
		}
	}
	return ""
}
