package specfile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/dualnet/dualnet/internal/netspec"
)

// The file's type.
const (
	APIVersion = "dualnet.io/v1alpha1"
	Kind       = "NetworkSpec"
)

// configKeys are the keys a file may hold: its type, then the spec's fields.
var configKeys = func() []string {
	keys := []string{"apiVersion", "kind"}
	for _, f := range netspec.Fields() {
		keys = append(keys, f.Name)
	}
	return keys
}()

// Parse reads a config file's bytes (YAML or JSON; name is the file's path, for the
// errors) into a Spec, with the same defaults and rules as the flags. Decoding is strict, as
// kubectl's is: a duplicate key, an unknown field (field names are case-sensitive), a value
// of the wrong type, or a wrong apiVersion or kind is an error. Every problem is reported
// (joined), each as a *netspec.FieldError naming the file and the field.
func Parse(name string, data []byte) (netspec.Spec, error) {
	in, err := configFile(name).decode(data)
	if err != nil {
		return netspec.Spec{}, err
	}
	spec, err := netspec.Parse(in)
	if err != nil {
		return netspec.Spec{}, inFile(name, err)
	}
	spec.File = name
	return spec, nil
}

// configFile is the file's name, which every error about it starts with.
type configFile string

func (c configFile) err(field, msg, hint string) *netspec.FieldError {
	return &netspec.FieldError{File: string(c), Field: field, Msg: msg, Hint: hint}
}

const startTheFile = "start the file with apiVersion: " + APIVersion + " and kind: " + Kind

// decode turns the file into the Input the flags would give, defaults first.
func (c configFile) decode(data []byte) (netspec.Input, error) {
	// A second document would be dropped unread, and with it whatever it sets.
	if n, err := yamlDocuments(data); err != nil {
		return netspec.Input{}, c.notYAML(err)
	} else if n > 1 {
		return netspec.Input{}, c.err("", fmt.Sprintf("holds %d YAML documents", n), "put the whole spec in one, without --- lines between its fields")
	}
	// Strict YAML: a key given twice is an error, not a silent last-one-wins.
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return netspec.Input{}, c.notYAML(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(js, &fields); err != nil {
		return netspec.Input{}, c.err("", fmt.Sprintf("holds %s, not a %s object", shorten(js), Kind), startTheFile)
	}
	if fields == nil {
		return netspec.Input{}, c.err("", "is empty", startTheFile)
	}
	// A wrong apiVersion or kind says the file is something else (a kubeconfig, a
	// manifest): its fields would only add noise, so those errors come alone.
	if err := c.checkType(fields); err != nil {
		return netspec.Input{}, err
	}
	in := netspec.DefaultInput()
	var errs []error
	for _, f := range netspec.Fields() {
		raw, ok := fields[f.Name]
		if !ok || string(raw) == "null" { // omitted, or a key with no value: the default
			continue
		}
		if f.List != nil {
			errs = append(errs, c.decodeList(f, raw, f.List(&in))...)
		} else if err := c.decodeNumber(f, raw, f.Number(&in)); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.unknownFields(fields)...)
	if len(errs) > 0 {
		return netspec.Input{}, errors.Join(errs...)
	}
	return in, nil
}

// notYAML says the file cannot be read. go-yaml lists its errors on lines of their own; an
// error here is one line.
func (c configFile) notYAML(err error) *netspec.FieldError {
	return c.err("", "cannot be read as YAML or JSON: "+strings.Join(strings.Fields(err.Error()), " "), "")
}

// yamlDocuments counts the documents of a YAML stream that hold something (a leading or
// trailing --- makes an empty one). A document that cannot be read holds something: the
// strict decoding of the first reports it, and a later one makes the file two documents.
func yamlDocuments(data []byte) (int, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	n := 0
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if js, err := yaml.YAMLToJSON(doc); err != nil || string(js) != "null" {
			n++
		}
	}
}

// checkType wants apiVersion and kind to name a NetworkSpec.
func (c configFile) checkType(fields map[string]json.RawMessage) error {
	var errs []error
	for _, want := range []struct{ field, value string }{{"apiVersion", APIVersion}, {"kind", Kind}} {
		raw, ok := fields[want.field]
		var got string
		switch {
		case !ok:
			errs = append(errs, c.err(want.field, "is missing", startTheFile))
		case json.Unmarshal(raw, &got) != nil || got != want.value:
			errs = append(errs, c.err(want.field, fmt.Sprintf("%s is not %s", shorten(raw), want.value), startTheFile))
		}
	}
	return errors.Join(errs...)
}

// decodeList reads a list of strings into the comma-separated form the flags take. An item
// that holds a comma, or nothing, would change the count once joined, so it is refused.
func (c configFile) decodeList(f netspec.Field, raw json.RawMessage, into *string) []error {
	var items []string
	if err := json.Unmarshal(raw, &items); err != nil {
		return []error{c.err(f.Name, shorten(raw)+" is not a list of strings",
			"write a list, one item per family, like "+f.Example)}
	}
	var errs []error
	for i, item := range items {
		field := fmt.Sprintf("%s[%d]", f.Name, i)
		switch {
		case strings.TrimSpace(item) == "":
			errs = append(errs, c.err(field, "is empty", "remove the item or fill it in"))
		case strings.Contains(item, ","):
			errs = append(errs, c.err(field, fmt.Sprintf("%q holds a comma", item),
				"give each its own item, like "+f.Example))
		}
	}
	*into = strings.Join(items, ",")
	return errs
}

// decodeNumber reads a whole number.
func (c configFile) decodeNumber(f netspec.Field, raw json.RawMessage, into *int) error {
	if err := json.Unmarshal(raw, into); err != nil {
		defaults := netspec.DefaultInput()
		return c.err(f.Name, shorten(raw)+" is not a whole number",
			fmt.Sprintf("write one without quotes, like %d (the default)", *f.Number(&defaults)))
	}
	return nil
}

// unknownFields names every key that is not a field, suggesting the field it was probably
// meant to be (another case, or the flag's name).
func (c configFile) unknownFields(fields map[string]json.RawMessage) []error {
	var unknown []string
	for key := range fields {
		if !slices.Contains(configKeys, key) {
			unknown = append(unknown, key)
		}
	}
	slices.Sort(unknown)
	var errs []error
	for _, key := range unknown {
		hint := "the fields are " + strings.Join(configKeys, ", ")
		for _, f := range netspec.Fields() {
			if looseName(key) == looseName(f.Name) {
				hint = "did you mean " + f.Name + "?"
			}
		}
		errs = append(errs, c.err(key, "is not a field of a "+Kind, hint))
	}
	return errs
}

// looseName folds case and drops dashes and underscores: pod-cidrs, PodCIDRs and podcidrs
// are all podCIDRs mistyped.
func looseName(s string) string {
	return strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(s))
}

// shorten cuts a value to a length that fits an error line.
func shorten(raw []byte) string {
	const limit = 60
	if r := []rune(string(raw)); len(r) > limit {
		return string(r[:limit]) + "..."
	}
	return string(raw)
}
