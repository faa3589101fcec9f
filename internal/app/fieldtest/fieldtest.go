// Package fieldtest starts the real server for the community modules'
// HTTP tests (issue 16: emergencies, campaigns) and seeds what the demo
// lacks: a second area, more users and a few fake residents. Only tests
// import it.
package fieldtest

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/order"
	"hotline/internal/place"
	"hotline/internal/place/placedb"
	"hotline/internal/seal"
)

// Obj is a JSON object.
type Obj = apptest.Obj

// Server is a real hotline server on 127.0.0.1:0 over a real database.
type Server struct {
	t      testing.TB
	Base   string
	M      *app.Main
	tokens map[string]string
}

// Start runs a server on dbURL (with the demo when asked) and a data key
// (a new one when keys is nil) until the test ends.
func Start(t testing.TB, dbURL string, demo bool, keys *seal.Keys, opts ...func(*app.Config)) *Server {
	t.Helper()
	if keys == nil {
		keys, _ = apptest.NewKeys(t)
	}
	cfg := app.Config{DB: dbURL, Demo: demo, Sweep: time.Hour, DataKey: keys}
	for _, o := range opts {
		o(&cfg)
	}
	m := apptest.Start(t, cfg)
	select {
	case <-m.Live.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("live hub not listening")
	}
	return &Server{t: t, Base: apptest.Base(m), M: m, tokens: map[string]string{}}
}

// Token logs user in (password demo12345) once and returns the token.
func (s *Server) Token(user string) string {
	s.t.Helper()
	if tk, ok := s.tokens[user]; ok {
		return tk
	}
	st, body, _ := s.Do("", "POST", "/api/v1/session", Obj{"username": user, "password": "demo12345"})
	if st != 200 {
		s.t.Fatalf("login %s: %d %v", user, st, body)
	}
	s.tokens[user] = body["token"].(string)
	return s.tokens[user]
}

// Do sends a request as user ("" for none) and decodes a JSON object answer.
func (s *Server) Do(user, method, path string, body any) (int, Obj, []byte) {
	s.t.Helper()
	r := apptest.Request{Method: method, URL: s.Base + path, Body: body}
	if user != "" {
		r.Token = s.Token(user)
	}
	return apptest.Do(s.t, r)
}

// Must sends a request and fails the test unless the status is want.
func (s *Server) Must(want int, user, method, path string, body any) Obj {
	s.t.Helper()
	st, out, data := s.Do(user, method, path, body)
	if st != want {
		s.t.Fatalf("%s %s %s: status %d, want %d: %s", user, method, path, st, want, data)
	}
	return out
}

// Seed adds what the demo lacks: a second area with a compound, a handler
// there, a second volunteer, and residents in the compound sanjiang_t: 29号楼
// (low-lying) has three active care-tagged residents, one untagged
// and one tagged who moved out; 27号楼 one tagged resident. The people are
// fake: names are 测试 plus a number, no ID numbers or phones.
func (s *Server) Seed() { SeedMain(s.t, s.M) }

// SeedMain is Seed on a server started elsewhere (the browser tests').
func SeedMain(t testing.TB, m *app.Main) {
	t.Helper()
	s := struct {
		t testing.TB
		M *app.Main
	}{t, m}
	ctx := context.Background()
	st := s.M.Store
	if err := st.PutCompound(ctx, place.OrderCompound{Code: "yuehe_yuan", Name: "月河苑", Committee: "yuehe"}); err != nil {
		s.t.Fatal(err)
	}
	if err := st.PutBuilding(ctx, place.OrderBuilding{Compound: "yuehe_yuan", Number: "1号楼", Floors: 6, LowLying: true}); err != nil {
		s.t.Fatal(err)
	}
	// The tests' own compound in binyang, apart from the demo's (whose
	// community demo fills 三江小区 29号楼): 29号楼 low-lying, 27号楼 not.
	if err := st.PutCompound(ctx, place.OrderCompound{Code: "sanjiang_t", Name: "测试小区", Committee: "binyang"}); err != nil {
		s.t.Fatal(err)
	}
	for _, b := range []place.OrderBuilding{{Compound: "sanjiang_t", Number: "29号楼", Floors: 6, LowLying: true}, {Compound: "sanjiang_t", Number: "27号楼", Floors: 6}} {
		if err := st.PutBuilding(ctx, b); err != nil {
			s.t.Fatal(err)
		}
	}
	for _, u := range []struct{ name, role, unit string }{{"yuehe", "handler", "yuehe"}, {"volunteer2", "volunteer", "binyang"}} {
		if _, err := s.M.Svc.CreateUser(ctx, u.name, "demo12345", order.Role(u.role), u.unit, u.name); err != nil {
			s.t.Fatal(err)
		}
	}
	ps := placedb.New(st.DB())
	rs, err := registrydb.New(st.DB(), s.M.DataKey)
	if err != nil {
		s.t.Fatal(err)
	}
	n := 0
	add := func(building, room string, tags int64, status registry.Status) {
		b, err := ps.Building(ctx, building)
		if err != nil {
			s.t.Fatal(err)
		}
		hh, err := ps.CreateHousehold(ctx, b, place.NewHousehold{Room: room, Kind: place.Residential})
		if err != nil {
			s.t.Fatal(err)
		}
		n++
		if _, err := rs.Create(ctx, registry.Person{Household: mustInt(hh.ID), Name: "测试" + string(rune('0'+n)), Gender: "f",
			Relation: "head", Residence: "registered", Tags: tags, Status: status}, "test"); err != nil {
			s.t.Fatal(err)
		}
	}
	alone := registry.TagMask([]registry.CareTag{registry.ElderlyAlone})
	add("sanjiang_t-29", "101", alone, registry.Active)
	add("sanjiang_t-29", "102", registry.TagMask([]registry.CareTag{registry.Elderly80Plus, registry.MobilityImpaired}), registry.Active)
	add("sanjiang_t-29", "103", alone, registry.Active)
	add("sanjiang_t-29", "201", 0, registry.Active)
	add("sanjiang_t-29", "202", alone, registry.MovedOut)
	add("sanjiang_t-27", "101", alone, registry.Active)
}

func mustInt(s string) int64 {
	var n int64
	for _, r := range s {
		n = n*10 + int64(r-'0')
	}
	return n
}

// Typhoon declares the standard test event on sanjiang_t as binyang.
func (s *Server) Typhoon(extra Obj) Obj {
	s.t.Helper()
	body := Obj{"kind": "typhoon", "name": `台风"利奇马"`, "level": "orange", "compounds": []string{"sanjiang_t"}, "volunteers": []string{"volunteer"}}
	for k, v := range extra {
		body[k] = v
	}
	return s.Must(201, "binyang", "POST", "/api/v1/emergencies", body)
}

// HistorySize is the number of an emergency's history entries.
func (s *Server) HistorySize(id string) int {
	s.t.Helper()
	h := s.Must(200, "admin", "GET", "/api/v1/emergencies/"+id+"/history?limit=500", nil)
	return len(h["history"].([]any))
}

// Stream opens the event stream and returns the boards as they come.
func (s *Server) Stream(user, id string) (<-chan Obj, func()) {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.Base+"/api/v1/emergencies/"+id+"/stream", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token(user))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		s.t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		s.t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan Obj, 16)
	go func() {
		defer resp.Body.Close()
		rd := bufio.NewReader(resp.Body)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				close(out)
				return
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var b Obj
				if json.Unmarshal([]byte(data), &b) == nil {
					out <- b
				}
			}
		}
	}()
	return out, cancel
}

// RotatableKey writes a new data key to a file in a temp folder and returns
// it loaded from there, with rotate, which does what `hotline keys rotate`
// does to a running server: a new primary key written beside the file and
// renamed over it (the server's resealer sees it within seconds).
func RotatableKey(t testing.TB) (keys *seal.Keys, rotate func()) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "data.key")
	content, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if keys, err = seal.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	return keys, func() {
		t.Helper()
		rotated, err := seal.Rotate(content)
		if err != nil {
			t.Fatal(err)
		}
		tmp := path + ".new"
		if err := os.WriteFile(tmp, rotated, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
}

// SealedUnder counts the sealed values a query returns (one BLOB column)
// by the key each was really sealed under, read from the ciphertext (not
// from a key_id column, which could lie).
func SealedUnder(t testing.TB, m *app.Main, query string) map[uint32]int {
	t.Helper()
	rows, err := m.Store.DB().R.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[uint32]int{}
	for rows.Next() {
		var ct []byte
		if err := rows.Scan(&ct); err != nil {
			t.Fatal(err)
		}
		id, _ := seal.KeyID(ct)
		out[id]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
