//go:build !race

package textproc

const race = false
