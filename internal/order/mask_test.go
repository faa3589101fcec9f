package order

import "testing"

func TestCallerFor(t *testing.T) {
	c := Caller{Name: "张三丰", Phone: "13812345678"}
	secret := Caller{Name: "张三丰", Phone: "13812345678", Confidential: true}
	masked := Caller{Name: "张**", Phone: "138****5678"}
	for _, x := range []struct {
		a      Actor
		plain  CallerView // for an ordinary caller
		hidden CallerView // for a confidential caller
	}{
		{opActor, CallerView{Caller: c, Unmasked: true}, CallerView{Caller: secret, Unmasked: true}},
		{dispActor, CallerView{Caller: c, Unmasked: true}, CallerView{Caller: secret, Unmasked: true}},
		{adminActor, CallerView{Caller: c, Unmasked: true}, CallerView{Caller: secret, Unmasked: true}},
		{ownActor, CallerView{Caller: masked}, CallerView{Caller: Caller{Confidential: true}, Hidden: true}},
		{coActor, CallerView{Caller: masked}, CallerView{Caller: Caller{Confidential: true}, Hidden: true}},
		{leaderActor, CallerView{Caller: masked}, CallerView{Caller: Caller{Name: "张**", Phone: "138****5678", Confidential: true}}},
		{volActor, CallerView{Caller: masked}, CallerView{Caller: Caller{Name: "张**", Phone: "138****5678", Confidential: true}}},
	} {
		if got := CallerFor(c, x.a); got != x.plain {
			t.Errorf("%s sees %+v, want %+v", x.a.Role, got, x.plain)
		}
		if got := CallerFor(secret, x.a); got != x.hidden {
			t.Errorf("%s sees confidential %+v, want %+v", x.a.Role, got, x.hidden)
		}
		if SeesCallerInFull(x.a.Role) != x.plain.Unmasked {
			t.Errorf("SeesCallerInFull(%s) = %v", x.a.Role, SeesCallerInFull(x.a.Role))
		}
	}
	// An anonymous caller with nothing to show is not an audited unmasked view.
	anon := Caller{Anonymous: true}
	if got := CallerFor(anon, dispActor); got.Unmasked || got.Caller != anon {
		t.Errorf("anonymous caller for a dispatcher: %+v", got)
	}
	if got := CallerFor(Caller{Anonymous: true, Confidential: true}, ownActor); !got.Hidden || !got.Anonymous {
		t.Errorf("anonymous confidential caller for a handler: %+v", got)
	}
	// Nothing of the caller leaks to a handler when confidential.
	if got := CallerFor(secret, ownActor); got.Name != "" || got.Phone != "" {
		t.Errorf("confidential caller leaked: %+v", got)
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"":               "",
		"1":              "****",
		"1234":           "****",
		"12345":          "***45",
		"62345678":       "******78",
		"0212345678":     "********78",
		"13812345678":    "138****5678",
		"021-12345678":   "021****5678",
		"+8613812345678": "+86****5678",
		"138 1234 5678":  "138****5678",
		"１３８１２３４５６７８":    "１３８****５６７８", // full-width digits: masked by character, not byte
		"电话号码":           "****",
		"电话号码是多少呢":       "******少呢",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{
		"":           "",
		"张":          "*",
		"张三":         "张*",
		"张三丰":        "张**",
		"欧阳娜娜":       "欧***",
		"J":          "*",
		"John Smith": "J*********",
		"𠀀二":         "𠀀*", // a character outside the BMP is one character
		"é":          "*",
	} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskIDNumber(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"3101":               "****",
		"3101011":            "*******",
		"310101194501011234": "310***********1234",
		"31010119450101123X": "310***********123X",
		"310101450101123":    "310********1123",
		"３１０１０１１９４５０１０１１２３４": "３１０***********１２３４",
	} {
		if got := MaskIDNumber(in); got != want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
