//go:build race

package intel_test

const raceEnabled = true
