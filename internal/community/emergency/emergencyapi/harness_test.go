package emergencyapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/order"
	"hotline/internal/place"
	"hotline/internal/place/placedb"
	"hotline/internal/seal"
	"hotline/internal/store"
)

type obj = map[string]any

// server is a real hotline server on 127.0.0.1:0 over a real database.
type server struct {
	t      *testing.T
	base   string
	m      *app.Main
	tokens map[string]string
}

func start(t *testing.T, dbURL string, demo bool, keys *seal.Keys) *server {
	t.Helper()
	if keys == nil {
		content, err := seal.Generate()
		if err != nil {
			t.Fatal(err)
		}
		if keys, err = seal.Parse(content); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: dbURL, Demo: demo, Sweep: time.Hour, DataKey: keys})
	if err != nil {
		cancel()
		t.Fatalf("start server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-m.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("server stopped: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server shutdown: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("server did not stop within 20 s")
		}
	})
	select {
	case <-m.Live.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("live hub not listening")
	}
	return &server{t: t, base: "http://" + m.Addr, m: m, tokens: map[string]string{}}
}

func (s *server) token(user string) string {
	s.t.Helper()
	if tk, ok := s.tokens[user]; ok {
		return tk
	}
	st, body, _ := s.do("", "POST", "/api/v1/session", obj{"username": user, "password": "demo12345"})
	if st != 200 {
		s.t.Fatalf("login %s: %d %v", user, st, body)
	}
	s.tokens[user] = body["token"].(string)
	return s.tokens[user]
}

// do sends a request as user ("" for none) and decodes a JSON object answer.
func (s *server) do(user, method, path string, body any) (int, obj, []byte) {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+s.token(user))
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out obj
	if len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, &out); err != nil {
			s.t.Fatalf("%s %s: not JSON: %s", method, path, data)
		}
	}
	if resp.StatusCode >= 500 {
		s.t.Fatalf("%s %s as %s: server error %d: %s", method, path, user, resp.StatusCode, data)
	}
	return resp.StatusCode, out, data
}

func (s *server) must(want int, user, method, path string, body any) obj {
	s.t.Helper()
	st, out, data := s.do(user, method, path, body)
	if st != want {
		s.t.Fatalf("%s %s %s: status %d, want %d: %s", user, method, path, st, want, data)
	}
	return out
}

// seed adds what the demo lacks: a second area with a compound, a handler
// there, a second volunteer, and residents in sanjiang: 29号楼 (the demo's
// low-lying building) has three active care-tagged residents, one untagged
// and one tagged who moved out; 27号楼 one tagged resident. The people are
// fake: names are 测试 plus a number, no ID numbers or phones.
func (s *server) seed() {
	s.t.Helper()
	ctx := context.Background()
	st := s.m.Store
	if err := st.PutCompound(ctx, store.Compound{Code: "yuehe_yuan", Name: "月河苑", Committee: "yuehe"}); err != nil {
		s.t.Fatal(err)
	}
	if err := st.PutBuilding(ctx, store.Building{Compound: "yuehe_yuan", Number: "1号楼", Floors: 6, LowLying: true}); err != nil {
		s.t.Fatal(err)
	}
	for _, u := range []struct{ name, role, unit string }{{"yuehe", "handler", "yuehe"}, {"volunteer2", "volunteer", "binyang"}} {
		if _, err := s.m.Svc.CreateUser(ctx, u.name, "demo12345", order.Role(u.role), u.unit, u.name); err != nil {
			s.t.Fatal(err)
		}
	}
	ps := placedb.New(st.DB())
	rs, err := registrydb.New(st.DB(), s.m.DataKey)
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
	add("sanjiang-29", "101", alone, registry.Active)
	add("sanjiang-29", "102", registry.TagMask([]registry.CareTag{registry.Elderly80Plus, registry.MobilityImpaired}), registry.Active)
	add("sanjiang-29", "103", alone, registry.Active)
	add("sanjiang-29", "201", 0, registry.Active)
	add("sanjiang-29", "202", alone, registry.MovedOut)
	add("sanjiang-27", "101", alone, registry.Active)
}

func mustInt(s string) int64 {
	var n int64
	for _, r := range s {
		n = n*10 + int64(r-'0')
	}
	return n
}

// typhoon declares the standard test event on sanjiang as binyang.
func (s *server) typhoon(extra obj) obj {
	s.t.Helper()
	body := obj{"kind": "typhoon", "name": `台风"利奇马"`, "level": "orange", "compounds": []string{"sanjiang"}, "volunteers": []string{"volunteer"}}
	for k, v := range extra {
		body[k] = v
	}
	return s.must(201, "binyang", "POST", "/api/v1/emergencies", body)
}

func (s *server) historySize(id string) int {
	s.t.Helper()
	h := s.must(200, "admin", "GET", "/api/v1/emergencies/"+id+"/history?limit=500", nil)
	return len(h["history"].([]any))
}

// stream opens the event stream and returns the boards as they come.
func (s *server) stream(user, id string) (<-chan obj, func()) {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"/api/v1/emergencies/"+id+"/stream", nil)
	req.Header.Set("Authorization", "Bearer "+s.token(user))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		s.t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		s.t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan obj, 16)
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
				var b obj
				if json.Unmarshal([]byte(data), &b) == nil {
					out <- b
				}
			}
		}
	}()
	return out, cancel
}
