// Package durability holds only tests: it builds the real hotline binary,
// kills it with SIGKILL in the middle of a burst of creates, restarts it on
// the same database and checks that every acknowledged order survived.
package durability
