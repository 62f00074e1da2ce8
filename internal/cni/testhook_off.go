//go:build !dualnet_testhooks

package cni

// pauseHook does nothing in the plugin that ships: the pause points of the crash tests
// exist only with -tags dualnet_testhooks (testhook_on.go), so nothing in CNI_ARGS can
// stall a production ADD.
type pauseHook struct{}

// pauseHooksBuiltIn says that this build has the pause points.
const pauseHooksBuiltIn = false

func newPauseHook(string) pauseHook { return pauseHook{} }

func (pauseHook) reached(string) {}
