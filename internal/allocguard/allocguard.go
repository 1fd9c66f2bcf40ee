// Package allocguard supports the tests that count allocations per request.
package allocguard

import "testing"

// SkipUnderRace skips t when the race detector is on: its sync.Pool drops items on purpose, so allocation counts
// mean nothing there. CI runs these tests once more without it (.ci/run: -run 'Allocations$').
func SkipUnderRace(t testing.TB) {
	t.Helper()
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops items on purpose: allocation counts mean nothing")
	}
}
