package app

import (
	"context"
	"fmt"

	"hotline/internal/community/campaign"
	"hotline/internal/community/campaign/campaigndb"
	"hotline/internal/community/emergency/emergencydb"
	"hotline/internal/community/meeting/meetingdb"
	"hotline/internal/community/patrol/patroldb"
	"hotline/internal/demo"
	"hotline/internal/place/placedb"
	"hotline/internal/sqldb"
)

// openCampaigns migrates and builds door-to-door campaigns (community.md
// §5). Answers are sealed, so like the registry the module is served only
// with a data key; its schema is migrated either way.
func (m *Main) openCampaigns(ctx context.Context) error {
	cs := campaigndb.New(m.Store.DB())
	if err := cs.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate campaigns: %w", err)
	}
	if m.DataKey == nil {
		m.Log.Warn("campaigns are off: no data key (HOTLINE_DATA_KEY or --data-key-file)")
		return nil
	}
	m.Campaign = &campaign.Service{Store: cs, Seal: m.DataKey}
	m.AddResealer("campaign", m.Campaign)
	return nil
}

// demoCommunity loads the demo's past typhoon and open campaign (internal/
// demo/community.go) once the modules they need are built.
func (m *Main) demoCommunity(ctx context.Context) error {
	if !m.Demo || !m.DemoCommunity || m.Emergency == nil || m.Campaign == nil || m.RegistryDB == nil {
		return nil
	}
	return demo.Community(ctx, demo.CommunityDeps{Places: placedb.New(m.Store.DB()), Residents: m.RegistryDB, Emergency: m.Emergency, Campaign: m.Campaign})
}

// MigrateCommunity applies the patrol, meeting, emergency and campaign
// migrations (after the registry's, which they read), in New's order: what
// `hotline migrate` runs too (it used to leave out patrols and meetings,
// whose schemas only a server's start created).
func MigrateCommunity(ctx context.Context, db *sqldb.DB) error {
	if err := patroldb.Migrate(ctx, db); err != nil {
		return fmt.Errorf("migrate patrols: %w", err)
	}
	if err := meetingdb.Migrate(ctx, db); err != nil {
		return fmt.Errorf("migrate meetings: %w", err)
	}
	if err := emergencydb.New(db).Migrate(ctx); err != nil {
		return fmt.Errorf("migrate emergencies: %w", err)
	}
	if err := campaigndb.New(db).Migrate(ctx); err != nil {
		return fmt.Errorf("migrate campaigns: %w", err)
	}
	return nil
}
