//go:build dualnet_testhooks

package cni

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// Crash tests need the plugin to be killed at a known step of ADD. When CNI_ARGS holds
// DUALNET_TEST_PAUSE_AT=<step> and DUALNET_TEST_PAUSE_FILE=<path>, the plugin writes its PID
// to the file on reaching that step and waits there until it is killed. Only a plugin built
// with -tags dualnet_testhooks (by the tests that need it) has this hook; the plugin that
// ships gets the no-op of testhook_off.go.
type pauseHook struct{ at, file string }

// pauseHooksBuiltIn says that this build has the pause points.
const pauseHooksBuiltIn = true

func newPauseHook(cniArgs string) pauseHook {
	var h pauseHook
	for _, kv := range strings.Split(cniArgs, ";") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "DUALNET_TEST_PAUSE_AT":
			h.at = v
		case "DUALNET_TEST_PAUSE_FILE":
			h.file = v
		}
	}
	return h
}

func (h pauseHook) reached(step string) {
	if h.at != step || h.file == "" {
		return
	}
	if err := os.WriteFile(h.file, []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return
	}
	for {
		time.Sleep(time.Hour)
	}
}
