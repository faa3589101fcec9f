package campaignapi_test

import (
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/app/fieldtest"
	"hotline/internal/testenv"
)

// TestAnswersResealedAfterRotation: submissions' answers written under one
// key are re-encrypted under the new primary by the background resealer
// after the key file is rotated under a running server; the export reads
// them the same during and after.
func TestAnswersResealedAfterRotation(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		keys, rotate := fieldtest.RotatableKey(t)
		s := fieldtest.Start(t, db, true, keys, func(c *app.Config) { c.ResealEvery, c.ResealPoll = 300*time.Millisecond, 100*time.Millisecond })
		s.Seed()
		id := s.Must(201, "binyang", "POST", "/api/v1/campaigns", newCampaign())["id"].(string)
		s.Must(200, "binyang", "POST", "/api/v1/campaigns/"+id+"/open", nil)
		var hh []string
		for _, h := range households(s, "volunteer", id) {
			hh = append(hh, h.(obj)["household"].(string))
		}
		at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339Nano)
		for i, h := range hh {
			s.Must(201, "volunteer", "POST", "/api/v1/campaigns/"+id+"/submissions", obj{"submission_id": "rot-" + h, "household": h, "outcome": "done",
				"answers": obj{"people": i + 1, "housing": "租赁", "head_name": "轮换测试"}, "collected_at": at})
		}
		export := func(when string) {
			t.Helper()
			exp := s.Must(200, "admin", "POST", "/api/v1/campaigns/"+id+"/export?format=json", obj{"reason": "密钥轮换核对"})
			subs := exp["submissions"].([]any)
			if len(subs) != len(hh) {
				t.Fatalf("%s: export has %d submissions, want %d", when, len(subs), len(hh))
			}
			for _, sub := range subs {
				if a := sub.(obj)["answers"].(obj); a["housing"] != "租赁" || a["head_name"] != "轮换测试" {
					t.Fatalf("%s: answers %v", when, a)
				}
			}
		}
		const sealed = "SELECT answers FROM campaign_submissions WHERE answers IS NOT NULL"
		old := keys.PrimaryID()
		if got := fieldtest.SealedUnder(t, s.M, sealed); got[old] != len(hh) || len(got) != 1 {
			t.Fatalf("before the rotation: answers by key %v, want %d under %d", got, len(hh), old)
		}
		export("before the rotation")
		rotate()
		deadline := time.Now().Add(60 * time.Second)
		for {
			export("during the re-encryption")
			got := fieldtest.SealedUnder(t, s.M, sealed)
			if p := keys.PrimaryID(); p != old && got[p] == len(hh) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("60 s after the rotation answers by key %v (old %d, new %d)", got, old, keys.PrimaryID())
			}
			time.Sleep(200 * time.Millisecond)
		}
		export("after the re-encryption")
	})
}
