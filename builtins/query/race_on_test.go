//go:build race

package query

// raceEnabled skips allocation counts under the race detector, whose sync.Pool drops items on purpose.
const raceEnabled = true
