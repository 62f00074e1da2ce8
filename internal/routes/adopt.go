package routes

// Adopt names the routes of a backend that cannot store names (a kernel route has none):
// each unnamed route takes the name of the desired route with the same prefix, or a name made
// from its prefix alone, which no desired route has, so the plan removes it.
func Adopt(current []Route, desired []NodeRoutes) []Route {
	var byPrefix map[string]string
	out := make([]Route, len(current))
	for i, r := range current {
		if r.Name == "" {
			if byPrefix == nil {
				byPrefix = map[string]string{}
				for _, nr := range desired {
					for _, d := range nr.Routes {
						byPrefix[d.Prefix.String()] = d.Name
					}
				}
			}
			r.Name = byPrefix[r.Prefix.String()]
			if r.Name == "" {
				r.Name = RouteName("", r.Prefix)
			}
		}
		out[i] = r
	}
	return out
}
