//go:build !unix

package store

import "os"

// Without flock, the view log is locked within the process only: give each
// server a log file of its own (the default names one per database and
// folder, so only two servers of one database in one folder would share).
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
