package cni

import (
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	current "github.com/containernetworking/cni/pkg/types/100"
)

// printResult writes r to w as the spec version the config asked for, what
// types.PrintResult writes, by hand. The library marshals the result through reflection three
// times (its MarshalJSON encodes, decodes into a map and encodes that again) and indents it:
// 0.13 ms of CPU on every pod start (perf), for one small document of a shape that never
// changes.
//
// It writes the fields result sets, for the versions config.Parse admits: 1.x omits an empty
// "dns"; 0.4.0 prints it, and each address's family as "version" (types/040). The test holds
// it to the library's output for result's documents at every one of those versions, so a
// field result starts to set, or a version the parser starts to admit, fails it until this
// writes them too.
func printResult(w io.Writer, r *current.Result, version string) error {
	old := version == "0.4.0"
	b := make([]byte, 0, 1024)
	b = append(b, `{"cniVersion":`...)
	b = appendString(b, version)
	b = append(b, `,"interfaces":[`...)
	for i, intf := range r.Interfaces {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendString(b, intf.Name)
		if intf.Mac != "" {
			b = append(b, `,"mac":`...)
			b = appendString(b, intf.Mac)
		}
		if intf.Sandbox != "" {
			b = append(b, `,"sandbox":`...)
			b = appendString(b, intf.Sandbox)
		}
		b = append(b, '}')
	}
	b = append(b, `],"ips":[`...)
	for i, ip := range r.IPs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if old {
			family := "6"
			if ip.Address.IP.To4() != nil {
				family = "4"
			}
			b = append(b, `"version":"`+family+`",`...)
		}
		if ip.Interface != nil {
			b = append(b, `"interface":`...)
			b = strconv.AppendInt(b, int64(*ip.Interface), 10)
			b = append(b, ',')
		}
		b = append(b, `"address":`...)
		b = appendString(b, ip.Address.String())
		if ip.Gateway != nil {
			b = append(b, `,"gateway":`...)
			b = appendString(b, ip.Gateway.String())
		}
		b = append(b, '}')
	}
	b = append(b, `],"routes":[`...)
	for i, rt := range r.Routes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"dst":`...)
		b = appendString(b, rt.Dst.String())
		if rt.GW != nil {
			b = append(b, `,"gw":`...)
			b = appendString(b, rt.GW.String())
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if old {
		b = append(b, `,"dns":{}`...)
	}
	b = append(b, '}')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("writing the result to stdout: %w", err)
	}
	return nil
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as encoding/json
// has it; it leaves <, > and & as they are, which JSON allows.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
