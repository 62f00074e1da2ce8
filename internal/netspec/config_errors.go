package netspec

import (
	"errors"
	"strings"
)

// inFile rewrites Parse's errors for a spec that came from a config file: each names the
// file and the field instead of the flag, and so do the other flags its text mentions
// ("--pod-cidrs" becomes "podCIDRs"), since the user never typed a flag. Every error stays.
func inFile(file string, err error) error {
	var errs []error
	for _, e := range leaves(err) {
		var fe *FieldError
		if errors.As(e, &fe) {
			moved := *fe
			moved.File = file
			moved.Field = flagsToFields.Replace(fe.Flag)
			moved.Msg = flagsToFields.Replace(fe.Msg)
			moved.Hint = flagsToFields.Replace(fe.Hint)
			e = &moved
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// flagsToFields replaces each spec flag's name with its field's, in a FieldError's Flag as in
// its text. No flag name is the start of another, so a longer name is never half replaced.
var flagsToFields = func() *strings.Replacer {
	var pairs []string
	for _, f := range specFields {
		pairs = append(pairs, f.flag, f.field)
	}
	return strings.NewReplacer(pairs...)
}()

// leaves flattens errors.Join's tree into the errors it joins.
func leaves(err error) []error {
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var all []error
	for _, e := range joined.Unwrap() {
		all = append(all, leaves(e)...)
	}
	return all
}
