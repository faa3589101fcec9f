package service

// TextTokens are the search tokens the service indexes on create for an
// order's text (its title, a newline, its description), so that a bulk
// writer (the demo's history through internal/gen) indexes what CreateOrder
// would have.
func (s *Service) TextTokens(text string) []string {
	if s.Intel == nil {
		return simpleTokens(text)
	}
	return s.Intel.Tokens(text)
}
