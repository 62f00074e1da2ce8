package specfile

import (
	"errors"

	"github.com/dualnet/dualnet/internal/netspec"
)

// inFile rewrites netspec.Parse's errors for a spec that came from a config file: each names
// the file and the field instead of the flag, and so do the other flags its text mentions
// ("--pod-cidrs" becomes "podCIDRs"), since the user never typed a flag. Every error stays.
func inFile(file string, err error) error {
	var errs []error
	for _, e := range leaves(err) {
		var fe *netspec.FieldError
		if errors.As(e, &fe) {
			moved := *fe
			moved.File = file
			moved.Field = netspec.FlagsToFields(fe.Flag)
			moved.Msg = netspec.FlagsToFields(fe.Msg)
			moved.Hint = netspec.FlagsToFields(fe.Hint)
			e = &moved
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

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
