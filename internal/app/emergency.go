package app

import (
	"context"
	"fmt"

	"hotline/internal/community/emergency"
	"hotline/internal/community/emergency/emergencydb"
	"hotline/internal/community/registry"
	"hotline/internal/live"
)

// openEmergency starts the live hub (every instance's boards, internal/live)
// and migrates and builds emergency events (community.md §4). Check notes
// are sealed, so like the registry the module is served only with a data
// key; its schema is migrated either way.
func (m *Main) openEmergency(ctx context.Context) error {
	m.Live = live.New(m.Store.DB(), m.Log)
	es := emergencydb.New(m.Store.DB())
	if err := es.Migrate(ctx); err != nil {
		m.Live.Close()
		return fmt.Errorf("migrate emergencies: %w", err)
	}
	if m.DataKey == nil {
		m.Log.Warn("emergency events are off: no data key (HOTLINE_DATA_KEY or --data-key-file)")
		return nil
	}
	m.Emergency = &emergency.Service{Store: es, Pub: m.Live, Seal: m.DataKey, Log: m.Log, TagNames: func(mask int64) []string {
		var out []string
		for _, t := range registry.TagsOf(mask) {
			out = append(out, string(t))
		}
		return out
	}}
	m.AddResealer("emergency", m.Emergency)
	return nil
}
