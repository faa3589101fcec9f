package stats

import (
	"reflect"
	"testing"
)

func TestRateAndChange(t *testing.T) {
	if Rate(1, 0) != nil || Rate(0, 0) != nil {
		t.Error("a zero denominator must be null")
	}
	if r := Rate(0, 3); r == nil || *r != 0 {
		t.Errorf("0/3 = %v, want 0", r)
	}
	if r := Rate(3, 4); *r != 0.75 {
		t.Errorf("3/4 = %v", *r)
	}
	if Change(Rate(1, 2), nil) != nil || Change(nil, Rate(1, 2)) != nil {
		t.Error("a change against no data must be null")
	}
	if c := Change(Rate(3, 4), Rate(1, 2)); *c != 0.25 {
		t.Errorf("change %v", *c)
	}
}

func TestTrends(t *testing.T) {
	got := Trends(map[string][]int{"noise": {1, 2, 9}, "dust": {5, 6, 2}, "none": {3, 0, 0}, "new": {0, 0, 4}})
	var keys []string
	for _, g := range got {
		keys = append(keys, g.Key)
	}
	if !reflect.DeepEqual(keys, []string{"noise", "new", "dust"}) {
		t.Fatalf("order %v", keys)
	}
	if got[0].Change != 7 || !got[0].Rising || *got[0].Ratio != 3.5 {
		t.Errorf("noise %+v", got[0])
	}
	if got[1].Ratio != nil {
		t.Errorf("a rise from nothing has no ratio: %+v", got[1])
	}
	if got[2].Rising || got[2].Change != -4 {
		t.Errorf("dust %+v", got[2])
	}
}

func TestPhoneHash(t *testing.T) {
	h := NewHasher([]byte("k"))
	a, b := h.Phone("138 0000 1234"), h.Phone("+86-13800001234")
	if a == "" || a != b {
		t.Errorf("same phone, keys %q %q", a, b)
	}
	if h.Phone("13800001235") == a || NewHasher([]byte("other")).Phone("13800001234") == a {
		t.Error("keys must differ by phone and by secret")
	}
	if h.Phone("") != "" || len(a) != 16 {
		t.Errorf("key %q", a)
	}
}

func TestPlaceKey(t *testing.T) {
	if PlaceKey("sanjiang", "x") != "compound:sanjiang" || PlaceKey("", "宾阳路 12 号") != "address:宾阳路12号" || PlaceKey("", " ") != "" {
		t.Error("place keys")
	}
}

func TestPraisedPeople(t *testing.T) {
	got := PraisedPeople("感谢宾阳路居委会王书记和李师傅耐心调解，王书记还上门三次；各位老师辛苦了")
	if !reflect.DeepEqual(got, []string{"王书记", "李师傅"}) {
		t.Errorf("got %v", got)
	}
	if PraisedPeople("谢谢你们") != nil {
		t.Error("no one named")
	}
	// Issue 18: real praise wordings (the demo's, and messages of the kind
	// in the shared data's message board).
	for text, want := range map[string][]string{
		"感谢宾阳路居委会书记上门帮我家老人办理助餐，服务很贴心。": {"宾阳路居委会书记"},
		"表扬宾阳路居委会书记":               {"宾阳路居委会书记"},
		"再次感谢书记":                   nil,
		"谢谢杨书记了":                   {"杨书记"},
		"首先非常感谢彭书记对向阳财富街的关心":       {"彭书记"},
		"委信息处的同志转达我对老书记的问候！谢谢":     nil,
		"在这里也感谢辛苦的幼儿园老师":           nil,
		"感谢龙华派出所张警官和物业的刘师傅帮忙找回电动车": {"张警官", "刘师傅"},
		"谢谢三江小区物业阿姨每天打扫楼道":         {"三江小区物业阿姨"},
	} {
		if got := PraisedPeople(text); !reflect.DeepEqual(got, want) {
			t.Errorf("PraisedPeople(%q) = %q, want %q", text, got, want)
		}
	}
}
