package health

import (
	"strings"
	"testing"
)

func TestCheckAddrTakesWhatListenTakesAndNamesTheFlag(t *testing.T) {
	for _, ok := range []string{":10267", "127.0.0.1:0", "[::1]:8080", "localhost:65535"} {
		if err := CheckAddr("--health-addr", ok); err != nil {
			t.Errorf("CheckAddr(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"10267", "127.0.0.1", ":http", ":65536", ":-1", "::1:80", ":08080"} {
		err := CheckAddr("--health-addr", bad)
		if err == nil || !strings.HasPrefix(err.Error(), "--health-addr: ") {
			t.Errorf("CheckAddr(%q) = %v, want an error naming --health-addr", bad, err)
		}
	}
}
