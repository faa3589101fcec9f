package emergencyapi_test

import (
	"fmt"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/app/fieldtest"
	"hotline/internal/testenv"
)

// TestNotesResealedAfterRotation: check notes (and the stored ops' copies
// a replay answers with) written under one key are re-encrypted under the
// new primary by the background resealer after the key file is rotated
// under a running server, and read the same before, during and after.
func TestNotesResealedAfterRotation(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		keys, rotate := fieldtest.RotatableKey(t)
		s := start(t, db, true, keys, func(c *app.Config) { c.ResealEvery, c.ResealPoll = 300*time.Millisecond, 100*time.Millisecond })
		s.Seed()
		id := s.Typhoon(nil)["id"].(string)
		cs := list(s.Must(200, "binyang", "GET", "/api/v1/emergencies/"+id+"/checks", nil), "checks")
		notes := map[string]string{}
		at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339Nano)
		for i, c := range cs {
			cid := c.(obj)["id"].(string)
			notes[cid] = fmt.Sprintf("第%d户：水到膝盖，已联系家属", i+1)
			s.Must(200, "binyang", "POST", "/api/v1/emergencies/"+id+"/checks/"+cid, obj{"status": "needs_help", "note": notes[cid], "op_id": "rot-" + cid, "at": at})
		}
		const sealed = `SELECT note FROM emergency_checks WHERE note IS NOT NULL UNION ALL SELECT note FROM emergency_ops WHERE note IS NOT NULL`
		old := keys.PrimaryID()
		if got := fieldtest.SealedUnder(t, s.M, sealed); got[old] != 2*len(cs) || len(got) != 1 {
			t.Fatalf("before the rotation: notes by key %v, want %d under %d", got, 2*len(cs), old)
		}
		read := func(when string) {
			t.Helper()
			for _, c := range list(s.Must(200, "binyang", "GET", "/api/v1/emergencies/"+id+"/checks", nil), "checks") {
				c := c.(obj)
				if c["note"] != notes[c["id"].(string)] {
					t.Fatalf("%s: check %v, note want %q", when, c, notes[c["id"].(string)])
				}
			}
		}
		read("before the rotation")
		rotate()
		deadline := time.Now().Add(60 * time.Second)
		for {
			read("during the re-encryption")
			got := fieldtest.SealedUnder(t, s.M, sealed)
			if p := keys.PrimaryID(); p != old && got[p] == 2*len(cs) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("60 s after the rotation notes by key %v (old %d, new %d)", got, old, keys.PrimaryID())
			}
			time.Sleep(200 * time.Millisecond)
		}
		read("after the re-encryption")
		// A replayed op answers with its stored (re-sealed) note.
		for cid, note := range notes {
			again := s.Must(200, "binyang", "POST", "/api/v1/emergencies/"+id+"/checks/"+cid, obj{"status": "needs_help", "note": note, "op_id": "rot-" + cid, "at": at})
			if again["note"] != note {
				t.Errorf("replay after re-encryption: %v", again)
			}
		}
	})
}
