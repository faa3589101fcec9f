package service

import (
	"context"
	"sync"
	"time"

	"hotline/internal/store"
)

// sweepStats is what /metrics tells of the deadline sweeper: how many runs
// ended well or failed, how long the last took, and when the last good one
// ended (its lag: how far behind the deadlines the notifications may be).
type sweepStats struct {
	mu       sync.Mutex
	ok, fail int64
	lastOK   time.Time
	lastDur  time.Duration
}

func (w *sweepStats) record(start, end time.Time, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastDur = end.Sub(start)
	if err != nil {
		w.fail++
		return
	}
	w.ok++
	w.lastOK = end
}

// SweepFigures are the sweeper's runs for /metrics.
type SweepFigures struct {
	OK, Failed int64
	LastOK     time.Time // zero before the first good run
	LastRun    time.Duration
}

// Figures are the business figures of /metrics: the orders' (counted from
// the database at scrape time) and this process's sweeper runs.
type Figures struct {
	store.Figures
	Sweeps SweepFigures
}

// BusinessFigures counts open orders by status and overdue orders by unit
// now, and reports the sweeper's runs.
func (s *Service) BusinessFigures(ctx context.Context) (Figures, error) {
	f, err := s.store.BusinessFigures(ctx, s.now())
	if err != nil {
		return Figures{}, err
	}
	s.sweeps.mu.Lock()
	sw := SweepFigures{OK: s.sweeps.ok, Failed: s.sweeps.fail, LastOK: s.sweeps.lastOK, LastRun: s.sweeps.lastDur}
	s.sweeps.mu.Unlock()
	return Figures{Figures: f, Sweeps: sw}, nil
}
