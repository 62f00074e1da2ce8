package antispoof

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// listing is the table as `nft --json list table` shows it: each set's elements, as the
// fields of their keys in nft's words (an interface index as its interface's name while the
// interface exists), and each chain's number of rules.
type listing struct {
	elements map[string][][]string // by set; every set of the table has an entry
	chains   map[string]bool
	rules    map[string]int // by chain
	// unreadable is, by set, the first element parseListing could not read: another
	// version's table may hold forms this one never writes. Damage needs no elements, so
	// only a reader of that set's elements fails on it.
	unreadable map[string]error
}

// errNoTable is listTable's error when the table is missing.
var errNoTable = fmt.Errorf("table bridge %s is missing", Table)

// listTable lists the whole table with one nft run: CHECK and GC read it, and each nft run
// costs about 5 ms.
func listTable(ctx context.Context) (listing, error) {
	stdout, stderr, err := execNft(ctx, "", "--json", "list", "table", "bridge", Table)
	if err != nil {
		if strings.Contains(stderr, "No such file or directory") {
			return listing{}, errNoTable
		}
		return listing{}, fmt.Errorf("nft list table bridge %s: %w: %s", Table, err, stderr)
	}
	l, err := parseListing(stdout)
	if err != nil {
		return listing{}, fmt.Errorf("nft list table bridge %s: %w", Table, err)
	}
	return l, nil
}

// parseListing reads nft's JSON (libnftables-json(5)): a list of objects, each with one key,
// its kind. Sets list their elements under "elem"; rules name their chain.
func parseListing(data []byte) (listing, error) {
	var doc struct {
		Nftables []struct {
			Set *struct {
				Name string            `json:"name"`
				Elem []json.RawMessage `json:"elem"`
			} `json:"set"`
			Chain *struct {
				Name string `json:"name"`
			} `json:"chain"`
			Rule *struct {
				Chain string `json:"chain"`
			} `json:"rule"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return listing{}, err
	}
	l := listing{elements: map[string][][]string{}, chains: map[string]bool{}, rules: map[string]int{}, unreadable: map[string]error{}}
	for _, o := range doc.Nftables {
		switch {
		case o.Set != nil:
			elems := [][]string{}
			for _, raw := range o.Set.Elem {
				key, err := elementKey(raw)
				if err != nil {
					if l.unreadable[o.Set.Name] == nil {
						l.unreadable[o.Set.Name] = fmt.Errorf("set bridge %s %s: element %s: %w", Table, o.Set.Name, raw, err)
					}
					continue
				}
				elems = append(elems, key)
			}
			l.elements[o.Set.Name] = elems
		case o.Chain != nil:
			l.chains[o.Chain.Name] = true
		case o.Rule != nil:
			l.rules[o.Rule.Chain]++
		}
	}
	return l, nil
}

// elementKey reads one element's key: a value ("veth1", or 12 for an interface index
// without an interface), a concatenation ({"concat": [...]}), or either wrapped with the
// element's timeout ({"elem": {"val": ..., "timeout": ...}}).
func elementKey(raw json.RawMessage) ([]string, error) {
	var obj struct {
		Elem *struct {
			Val json.RawMessage `json:"val"`
		} `json:"elem"`
		Concat []json.RawMessage `json:"concat"`
	}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, err
		}
		switch {
		case obj.Elem != nil:
			return elementKey(obj.Elem.Val)
		case obj.Concat != nil:
			key := make([]string, len(obj.Concat))
			for i, f := range obj.Concat {
				v, err := scalar(f)
				if err != nil {
					return nil, err
				}
				key[i] = v
			}
			return key, nil
		}
		return nil, errors.New("neither a value, a concatenation nor an element")
	}
	v, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{v}, nil
}

// scalar is a string or a number, as its text.
func scalar(raw json.RawMessage) (string, error) {
	if string(raw) == "null" {
		return "", errors.New("null, not a value")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", errors.New("neither a string nor a number")
	}
	return n.String(), nil
}
