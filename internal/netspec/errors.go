package netspec

// FieldError is a broken spec rule. It names the flag (or, when the value came from a config
// file, the file and its field), says what is wrong with the value and, where there is one,
// suggests the fix, so that a user can act on it without reading code:
//
//	--service-cidrs: fd12:3456:789a:1::/100 is larger than /108, the largest IPv6 service range: use a /108 or smaller
//	network.yaml: serviceCIDRs: fd12:3456:789a:1::/100 is larger than /108, the largest IPv6 service range: use a /108 or smaller
type FieldError struct {
	Flag  string // the flag, as a user types it: "--pod-cidrs"; or the field ParseNodeCIDRs was given
	File  string // the config file the value came from, if it did: "network.yaml"
	Field string // the field of File: "podCIDRs", "podCIDRs[1]"; empty for the file as a whole
	Msg   string // what is wrong, naming the value and the rule
	Hint  string // the fix, if there is one
}

func (e *FieldError) Error() string {
	s := e.Flag
	if e.File != "" {
		s = e.File
		if e.Field != "" {
			s += ": " + e.Field
		}
	}
	s += ": " + e.Msg
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}
