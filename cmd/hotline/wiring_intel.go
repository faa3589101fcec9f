package main

import (
	"log/slog"

	"hotline/internal/intel"
	"hotline/internal/service"
)

// newIntel returns the text intelligence the server runs with.
func newIntel(log *slog.Logger) service.Intelligence { return intel.New() }
