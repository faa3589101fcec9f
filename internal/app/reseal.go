package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"hotline/internal/seal"
)

// Defaults of the background re-encryption (see runResealers).
const (
	defaultResealEvery = time.Minute
	// resealPoll is how often the key file is looked at for a rotation, so
	// that re-encryption starts seconds after `hotline keys rotate`.
	resealPoll = 5 * time.Second
	// resealBatch is how many values one Reseal call may rewrite: small
	// enough that each call is one short transaction next to live traffic.
	resealBatch = 500
)

type resealJob struct {
	name string
	r    seal.Resealer
}

// AddResealer registers a module that keeps sealed personal data (the
// residents' registry, campaigns…) for background re-encryption after a key
// rotation. Call it before Run, typically where New builds the module.
func (m *Main) AddResealer(name string, r seal.Resealer) {
	m.resealers = append(m.resealers, resealJob{name: name, r: r})
}

// NeedDataKey is what a module that keeps personal data calls when it is
// built: it returns the data key, or an error that stops the server from
// starting. There is no plaintext fallback.
func (c Config) NeedDataKey(module string) (*seal.Keys, error) {
	if c.DataKey == nil {
		return nil, fmt.Errorf("%s: %w", module, seal.ErrNoKey)
	}
	return c.DataKey, nil
}

// runResealers re-encrypts sealed values under the current primary key: a
// pass every `every`, and one as soon as a poll of the key file sees a new
// primary (a rotation by `hotline keys rotate`, here or on another instance).
// A pass calls each Resealer in turn until it reports 0 left; an error is
// logged and that resealer waits for the next pass. With no key or no
// resealer registered it returns at once: there is nothing to do.
func runResealers(ctx context.Context, k *seal.Keys, jobs []resealJob, every, poll time.Duration, log *slog.Logger) {
	if k == nil || len(jobs) == 0 {
		return
	}
	pass := func(why string) {
		for _, j := range jobs {
			total := 0
			for ctx.Err() == nil {
				n, err := j.r.Reseal(ctx, k, resealBatch)
				if err != nil {
					if ctx.Err() == nil {
						log.Error("re-encryption failed", "module", j.name, "err", err)
					}
					break
				}
				total += n
				if n == 0 {
					break
				}
			}
			if total > 0 {
				log.Info("re-encrypted personal data under the current key", "module", j.name, "values", total, "key", k.PrimaryID(), "why", why)
			}
		}
	}
	primary := k.PrimaryID()
	pass("start")
	tick := time.NewTicker(every)
	defer tick.Stop()
	watch := time.NewTicker(poll)
	defer watch.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			pass("periodic")
		case <-watch.C:
			if _, err := k.Refresh(); err != nil {
				log.Error("data key file", "err", err)
			}
			// Compared here rather than taken from Refresh: a Seal elsewhere
			// may have reloaded the rotated file first.
			if p := k.PrimaryID(); p != primary {
				primary = p
				log.Info("data key rotated; re-encrypting", "key", p)
				pass("rotation")
			}
		}
	}
}
