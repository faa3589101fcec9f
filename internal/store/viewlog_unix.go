//go:build unix

package store

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on f, waiting for it: the view log's
// appends and moves, between processes (viewlog.go).
func lockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
