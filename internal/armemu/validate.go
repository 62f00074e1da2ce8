package armemu

import (
	"net/http"
	"net/netip"
	"regexp"
	"unicode/utf8"
)

// The checks Azure makes of a write before applying it, answered with Azure's codes.

// checkIfMatch applies the If-Match header of a write: absent or "*" passes on an existing
// resource, anything else must equal the current etag.
func checkIfMatch(r *http.Request, t *table) *armError {
	want := r.Header.Get("If-Match")
	if want == "" {
		return nil
	}
	if t == nil {
		if want == "*" {
			return newError(http.StatusPreconditionFailed, "PreconditionFailed", "Precondition failed.")
		}
		return errPrecondition(want, `""`, "")
	}
	if want == "*" || want == t.Etag {
		return nil
	}
	return errPrecondition(want, t.Etag, t.id())
}

// validRoute checks a route the way Azure rejects malformed ones, with Azure's codes.
func validRoute(r wireRoute) *armError {
	if err := validName(r.Name); err != nil {
		return err
	}
	p := r.Properties
	if _, err := netip.ParsePrefix(p.AddressPrefix); err != nil {
		return newError(http.StatusBadRequest, "InvalidAddressPrefixFormat",
			"Address prefix %s of resource route %s is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24.", p.AddressPrefix, r.Name)
	}
	if !nextHopTypes[p.NextHopType] {
		return newError(http.StatusBadRequest, "InvalidRequestFormat",
			"Cannot parse the request: nextHopType %q of route %s is not one of VirtualNetworkGateway, VnetLocal, Internet, VirtualAppliance, None.", p.NextHopType, r.Name)
	}
	if p.NextHopType == "VirtualAppliance" {
		if _, err := netip.ParseAddr(p.NextHopIPAddress); err != nil {
			return newError(http.StatusBadRequest, "NextHopIpAddressMustBeSpecifiedForVirtualApplianceNextHopType",
				"Next hop IP address must be specified for route %s with next hop type VirtualAppliance.", r.Name)
		}
	} else if p.NextHopIPAddress != "" {
		return newError(http.StatusBadRequest, "NextHopIpAddressNotAllowed",
			"Next hop IP address is only allowed for next hop type VirtualAppliance, not %s (route %s).", p.NextHopType, r.Name)
	}
	return nil
}

// maxNameLength is the longest resource name Azure accepts, counted in characters.
const maxNameLength = 80

// azureName is Azure's rule for a route's name, as its InvalidResourceName message states it
// (see https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftnetwork):
// it begins with a word character, ends with a word character or '_' (itself a word character)
// and holds only word characters, '.', '-' and '_'. Azure's regular expressions are .NET's,
// whose \w is Unicode letters, non-spacing marks, decimal digits and connector punctuation
// (which includes '_'), so the class is spelled out rather than Go's ASCII-only \w.
var azureName = regexp.MustCompile(`^[\p{L}\p{Mn}\p{Nd}\p{Pc}](?:[\p{L}\p{Mn}\p{Nd}\p{Pc}.-]*[\p{L}\p{Mn}\p{Nd}\p{Pc}])?$`)

// validName checks a route's name the way Azure does before it looks at anything else.
func validName(name string) *armError {
	if utf8.RuneCountInString(name) > maxNameLength || !azureName.MatchString(name) {
		return newError(http.StatusBadRequest, "InvalidResourceName",
			"Resource name %s is invalid. The name can be up to %d characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.", name, maxNameLength)
	}
	return nil
}
