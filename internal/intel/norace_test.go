//go:build !race

package intel_test

const raceEnabled = false
