//go:build race

package nn

// raceEnabled reports a -race build, in which sync.Pool drops items at
// random and allocation counts are not meaningful.
const raceEnabled = true
