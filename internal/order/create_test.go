package order

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"hotline/internal/apperr"
)

func validNew() NewOrder {
	return NewOrder{
		Type: Complaint, Source: SourceHotline, Urgency: Urgent,
		Title: "  停水  ", Description: " 29 号楼整栋停水 ",
		Category: "water", Caller: &Caller{Name: " 张三 ", Phone: " 13812345678 ", Confidential: true},
		Address: " 长寿路 100 弄 ", Compound: "c-1", Building: " 29 ",
		Lat: ptr(31.24), Lng: ptr(121.44), ExternalID: "SH-1",
	}
}

func createEnv() CreateEnv {
	return CreateEnv{
		Now:           testNow,
		CategoryKnown: func(c string) bool { return c == "water" || c == "noise" },
		CompoundKnown: func(c string) bool { return c == "c-1" },
	}
}

func TestBuildValid(t *testing.T) {
	o, ev, err := validNew().Build(opActor, createEnv())
	if err != nil {
		t.Fatal(err)
	}
	want := Order{
		Type: Complaint, Source: SourceHotline, Urgency: Urgent, Status: Received,
		Title: "停水", Description: "29 号楼整栋停水", Category: "water",
		Caller:  Caller{Name: "张三", Phone: "13812345678", Confidential: true},
		Address: "长寿路 100 弄", Compound: "c-1", Building: "29", Lat: ptr(31.24), Lng: ptr(121.44), ExternalID: "SH-1",
		Round: 1, Version: 1, CreatedAt: testNow.UTC(), UpdatedAt: testNow.UTC(),
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("order\n got %+v\nwant %+v", o, want)
	}
	wantEv := Event{At: testNow.UTC(), Actor: "op1", Action: "create", To: Received,
		Body: map[string]any{"type": "complaint", "source": "hotline", "urgency": "urgent", "title": "停水"}}
	if !reflect.DeepEqual(ev, wantEv) {
		t.Errorf("event\n got %+v\nwant %+v", ev, wantEv)
	}

	// Defaults: urgency normal, the default category; no caller at all is fine.
	in := NewOrder{Type: Praise, Source: SourceWeb, Title: "表扬居委书记", Description: "谢谢"}
	env := createEnv()
	env.DefaultCategory = "other"
	o, ev, err = in.Build(Actor{Username: "web"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if o.Urgency != Normal || o.Category != "other" || ev.Body["urgency"] != "normal" || o.Caller != (Caller{}) {
		t.Errorf("defaults: urgency %s category %q caller %+v", o.Urgency, o.Category, o.Caller)
	}
	// Limits that are valid.
	for _, f := range []func(*NewOrder){
		func(n *NewOrder) { n.Title = long(MaxTitle) },
		func(n *NewOrder) { n.Description = long(MaxText) },
		func(n *NewOrder) { n.Lat, n.Lng = ptr(-90.0), ptr(180.0) },
		func(n *NewOrder) { n.Lat, n.Lng = ptr(90.0), ptr(-180.0) },
		func(n *NewOrder) { n.Lat, n.Lng = nil, nil },
		func(n *NewOrder) { n.Caller.Phone = "" },
		func(n *NewOrder) { n.Caller.Phone = "021-62345678" },
		func(n *NewOrder) { n.Caller.Phone = "+86 138 1234 5678" },
		func(n *NewOrder) { n.Category, n.Compound = "", "" },
		func(n *NewOrder) { n.Source = SourceOpen311 },
	} {
		n := validNew()
		f(&n)
		if _, _, err := n.Build(opActor, createEnv()); err != nil {
			t.Errorf("%+v: %v", n, err)
		}
	}
	// Without the env funcs, categories and compounds are not checked.
	n := validNew()
	n.Category, n.Compound = "anything", "anywhere"
	if _, _, err := n.Build(opActor, CreateEnv{Now: testNow}); err != nil {
		t.Errorf("no env funcs: %v", err)
	}
}

func TestBuildInvalid(t *testing.T) {
	for _, c := range []struct {
		name   string
		edit   func(*NewOrder, *CreateEnv)
		fields []string
	}{
		{"no type", func(n *NewOrder, _ *CreateEnv) { n.Type = "" }, []string{"type"}},
		{"unknown type", func(n *NewOrder, _ *CreateEnv) { n.Type = "rumour" }, []string{"type"}},
		{"no source", func(n *NewOrder, _ *CreateEnv) { n.Source = "" }, []string{"source"}},
		{"unknown source", func(n *NewOrder, _ *CreateEnv) { n.Source = "fax" }, []string{"source"}},
		{"source not allowed here", func(n *NewOrder, e *CreateEnv) { e.SourcesAllowed = []Source{SourceWeb} }, []string{"source"}},
		{"unknown urgency", func(n *NewOrder, _ *CreateEnv) { n.Urgency = "critical" }, []string{"urgency"}},
		{"no title", func(n *NewOrder, _ *CreateEnv) { n.Title = "" }, []string{"title"}},
		{"blank title", func(n *NewOrder, _ *CreateEnv) { n.Title = " \t\n" }, []string{"title"}},
		{"title of 201 characters", func(n *NewOrder, _ *CreateEnv) { n.Title = long(MaxTitle + 1) }, []string{"title"}},
		{"title not UTF-8", func(n *NewOrder, _ *CreateEnv) { n.Title = "a\xffb" }, []string{"title"}},
		{"no description", func(n *NewOrder, _ *CreateEnv) { n.Description = "" }, []string{"description"}},
		{"description of 10001 characters", func(n *NewOrder, _ *CreateEnv) { n.Description = long(MaxText + 1) }, []string{"description"}},
		{"address too long", func(n *NewOrder, _ *CreateEnv) { n.Address = long(501) }, []string{"address"}},
		{"building too long", func(n *NewOrder, _ *CreateEnv) { n.Building = strings.Repeat("9", 51) }, []string{"building"}},
		{"unknown category", func(n *NewOrder, _ *CreateEnv) { n.Category = "weather" }, []string{"category"}},
		{"unknown compound", func(n *NewOrder, _ *CreateEnv) { n.Compound = "c-404" }, []string{"compound"}},
		{"bad phone", func(n *NewOrder, _ *CreateEnv) { n.Caller.Phone = "call me" }, []string{"caller.phone"}},
		{"short phone", func(n *NewOrder, _ *CreateEnv) { n.Caller.Phone = "12" }, []string{"caller.phone"}},
		{"name too long", func(n *NewOrder, _ *CreateEnv) { n.Caller.Name = long(51) }, []string{"caller.name"}},
		{"lat too big", func(n *NewOrder, _ *CreateEnv) { n.Lat = ptr(90.0001) }, []string{"lat"}},
		{"lat too small", func(n *NewOrder, _ *CreateEnv) { n.Lat = ptr(-91.0) }, []string{"lat"}},
		{"lng too big", func(n *NewOrder, _ *CreateEnv) { n.Lng = ptr(180.5) }, []string{"lng"}},
		{"lng too small", func(n *NewOrder, _ *CreateEnv) { n.Lng = ptr(-181.0) }, []string{"lng"}},
		{"lat NaN", func(n *NewOrder, _ *CreateEnv) { n.Lat = ptr(math.NaN()) }, []string{"lat"}},
		{"lng NaN", func(n *NewOrder, _ *CreateEnv) { n.Lng = ptr(math.NaN()) }, []string{"lng"}},
		{"lat +Inf", func(n *NewOrder, _ *CreateEnv) { n.Lat = ptr(math.Inf(1)) }, []string{"lat"}},
		{"lng -Inf", func(n *NewOrder, _ *CreateEnv) { n.Lng = ptr(math.Inf(-1)) }, []string{"lng"}},
		{"lat without lng", func(n *NewOrder, _ *CreateEnv) { n.Lng = nil }, []string{"lat"}},
		{"several at once", func(n *NewOrder, _ *CreateEnv) {
			n.Type, n.Source, n.Urgency, n.Title, n.Description = "x", "y", "z", "", long(MaxText+1)
			n.Category, n.Compound, n.Caller.Phone, n.Lat, n.Lng = "nope", "nope", "abc", ptr(100.0), ptr(math.NaN())
		}, []string{"type", "source", "urgency", "title", "description", "category", "compound", "caller.phone", "lat", "lng"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, env := validNew(), createEnv()
			c.edit(&n, &env)
			o, ev, err := n.Build(opActor, env)
			if err == nil {
				t.Fatalf("accepted: %+v", o)
			}
			if codeOf(t, err) != apperr.Invalid {
				t.Fatalf("code %v", err)
			}
			f := fieldsOf(err)
			for _, k := range c.fields {
				if f[k] == "" {
					t.Errorf("fields %v: want %q", f, k)
				}
			}
			if len(f) != len(c.fields) {
				t.Errorf("fields %v, want exactly %v", f, c.fields)
			}
			if !reflect.DeepEqual(o, Order{}) || !reflect.DeepEqual(ev, Event{}) {
				t.Errorf("an invalid order was returned: %+v %+v", o, ev)
			}
		})
	}
}
