package service

import "hotline/internal/store"

// StoreOf hands a service's store to the package's black-box tests, which
// check what was written (rollups, hash chains) beside what the service
// says; compiled only with the tests, so no other package can reach it.
func StoreOf(s *Service) *store.Store { return s.store }
