package netspec

// FieldError is a broken spec rule. It names the flag, says what is wrong with the value and,
// where there is one, suggests the fix, so that a user can act on it without reading code:
//
//	--service-cidrs: fd12:3456:789a:1::/100 is larger than /108, the largest IPv6 service range: use a /108 or smaller
type FieldError struct {
	Flag string // the flag, as a user types it: "--pod-cidrs"
	Msg  string // what is wrong, naming the value and the rule
	Hint string // the fix, if there is one
}

func (e *FieldError) Error() string {
	s := e.Flag + ": " + e.Msg
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}
