package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/dualnet/dualnet/internal/cnicontract"
)

// dualnetKeys are the plugin's own fields, as docs/cni-contract.md documents the conflist.
var dualnetKeys = cnicontract.OwnKeys

// cniKeys are the fields the CNI spec gives every plugin's config, and what runtimes add to
// it: cniVersion and name (libcni copies them from the conflist), cniVersions (the
// conflist's, which a runtime may pass on), type, capabilities and the runtimeConfig libcni
// fills from them, args (the spec's conventions), prevResult (CHECK, and chained plugins).
// Keys in the spec's cni.dev/ namespace (libcni's GC sends cni.dev/valid-attachments and
// cni.dev/attachments) are accepted too.
var cniKeys = []string{"cniVersion", "cniVersions", "name", "type", "capabilities", "runtimeConfig", "args", "prevResult"}

// reservedPrefix is the CNI spec's namespace of keys a runtime may add.
const reservedPrefix = "cni.dev/"

// field is one key of the config object and its value, in the order the config gives them.
type field struct {
	key string
	raw json.RawMessage
}

// scanFields lists the config object's fields, a key given twice as often as it is given
// (json.Unmarshal would keep the last, silently).
func scanFields(data []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, types.NewError(types.ErrDecodingFailure, "network config: not a JSON object", "")
	}
	var fields []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, types.NewError(types.ErrDecodingFailure, fmt.Sprintf("network config: %v", err), "")
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, types.NewError(types.ErrDecodingFailure, fmt.Sprintf("%s: %v", key, err), "")
		}
		fields = append(fields, field{key, raw})
	}
	return fields, nil
}

// strictFields checks the fields and returns them by key. A key given twice is an error
// (which value counts would be a guess), and so is one that is neither dualnet's nor CNI's:
// a typo (podCIDR) would otherwise leave the field at its default without a word. Unknown
// keys are the CNI spec's "unsupported field" (code 2), whose message names key and value.
func strictFields(fields []field) (map[string]json.RawMessage, error) {
	byKey := make(map[string]json.RawMessage, len(fields))
	for _, f := range fields {
		if _, twice := byKey[f.key]; twice {
			return nil, invalid(fmt.Sprintf("%s: given twice; give each field once", f.key))
		}
		if !known(f.key) {
			return nil, types.NewError(types.ErrUnsupportedField,
				fmt.Sprintf("%s: %.60s: not a field of the dualnet plugin: %s", f.key, f.raw, suggest(f.key)), "")
		}
		byKey[f.key] = f.raw
	}
	return byKey, nil
}

func known(key string) bool {
	return slices.Contains(dualnetKeys, key) || slices.Contains(cniKeys, key) || strings.HasPrefix(key, reservedPrefix)
}

// suggest names the field an unknown key was probably meant to be (another case, a missing
// or extra plural s), or else lists dualnet's fields.
func suggest(key string) string {
	fold := func(s string) string { return strings.TrimSuffix(strings.ToLower(s), "s") }
	for _, k := range slices.Concat(dualnetKeys, cniKeys) {
		if fold(k) == fold(key) {
			return "did you mean " + k + "?"
		}
	}
	return "dualnet's fields are " + strings.Join(dualnetKeys, ", ") + "; CNI's are " + strings.Join(cniKeys, ", ") + " and " + reservedPrefix + "*"
}
