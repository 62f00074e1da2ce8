package netspec

import "testing"

func TestRouteModesSayWhoRoutes(t *testing.T) {
	for _, tc := range []struct {
		mode             RouteMode
		table, agentDoes bool
	}{
		{RoutesAzure, true, false},
		{RoutesKernel, true, false},
		{RoutesHost, false, true},
		{RoutesNone, false, false},
	} {
		if tc.mode.RouteTable() != tc.table || tc.mode.AgentRoutes() != tc.agentDoes {
			t.Errorf("%s: RouteTable %v AgentRoutes %v, want %v %v", tc.mode, tc.mode.RouteTable(), tc.mode.AgentRoutes(), tc.table, tc.agentDoes)
		}
	}
}

func TestParseRouteModeNamesTheFlagAndTheChoices(t *testing.T) {
	if m, err := ParseRouteMode("--routes", "kernel", RouteModes...); err != nil || m != RoutesKernel {
		t.Errorf("kernel: %q, %v", m, err)
	}
	_, err := ParseRouteMode("--routes", "kernel", RoutesAzure, RoutesHost)
	if want := `--routes="kernel": want one of azure, host`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
