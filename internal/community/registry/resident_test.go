package registry

import (
	"testing"

	"hotline/internal/apperr"
)

// fakeID makes a valid-looking number for a birth date (tests only).
func fakeID(prefix6, birth, seq3 string) string {
	s := prefix6 + birth + seq3
	return s + string(CheckDigitOf(s))
}

func TestIDNumberCheck(t *testing.T) {
	good := fakeID("310105", "19480307", "123")
	cases := []struct {
		in, problem string
	}{
		{good, ""},
		{" " + good[:17] + "\u3000", "18 characters: 17 digits and a digit or X"},
		{good[:16] + "9" + good[17:], "wrong check character (GB 11643); a digit is mistyped"},
		{fakeID("310105", "19480231", "123"), "its birth date (characters 7-14) is not a real date"},
		{"ABCDEFGHIJKLMNOPQR", "18 characters: 17 digits and a digit or X"},
		{"", ""},
	}
	for _, c := range cases {
		f := apperr.Fields{}
		CheckIDNumber(f, c.in)
		if f["id_number"].Text != c.problem {
			t.Errorf("%q: got %q, want %q", c.in, f["id_number"].Text, c.problem)
		}
	}
	// A lower-case x check character is accepted and stored upper-case.
	for seq := 100; seq < 200; seq++ {
		s := "31010519480307" + string(rune('0'+seq/100)) + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10))
		if CheckDigitOf(s) == 'X' {
			f := apperr.Fields{}
			if got := CheckIDNumber(f, s+"x"); got != s+"X" || len(f) != 0 {
				t.Fatalf("x: %q %v", got, f)
			}
			break
		}
	}
}

func TestPhoneCheck(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678": "13812345678", "138 1234 5678": "13812345678", "+86 138-1234-5678": "13812345678",
		"021-55551234": "02155551234", "55551234": "55551234", "0571-8888888": "05718888888",
		"１３８１２３４５６７８": "13812345678",
	} {
		f := apperr.Fields{}
		if got := CheckPhone(f, in); got != want || len(f) != 0 {
			t.Errorf("%q: %q %v", in, got, f)
		}
	}
	for _, bad := range []string{"12812345678", "1381234567", "138123456789", "phone", "0000", "021-0000123"} {
		f := apperr.Fields{}
		if CheckPhone(f, bad); f["phone"].Text == "" {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestMasks(t *testing.T) {
	if got := MaskIDNumber("310105194803071234"); got != "310***********1234" {
		t.Error(got)
	}
	if got := MaskPhone("13812345678"); got != "138****5678" {
		t.Error(got)
	}
}

func TestNewResidentDerivesAndChecks(t *testing.T) {
	id := fakeID("310105", "19480307", "123") // 17th digit 3: a man
	p, err := NewResident{Household: "7", Name: " 张三 ", IDNumber: id, CareTags: []CareTag{ElderlyAlone, Disabled}}.Person()
	if err != nil {
		t.Fatal(err)
	}
	if p.BirthDate != "1948-03-07" || p.Gender != "m" || p.Name != "张三" || p.Status != Active || p.Relation != "other" ||
		p.Residence != "registered" || p.Tags != 1|4 {
		t.Fatalf("%+v", p)
	}
	_, err = NewResident{Household: "x", Name: "", Gender: "q", BirthDate: "1950-01-01", IDNumber: id, Phone: "12",
		Relation: "cousin", Residence: "x", Status: "gone", CareTags: []CareTag{"rich"}}.Person()
	e := apperr.As(err)
	for _, f := range []string{"household", "name", "gender", "birth_date", "phone", "relation", "residence", "status", "care_tags"} {
		if e.Fields[f] == "" {
			t.Errorf("no problem reported for %s: %v", f, e.Fields)
		}
	}
}

func TestTags(t *testing.T) {
	if m := TagMask(CareTags); m != 63 || len(TagsOf(m)) != 6 {
		t.Fatal(m)
	}
	for zh, want := range map[string]CareTag{"独居老人": ElderlyAlone, "高龄": Elderly80Plus, "80岁以上": Elderly80Plus, "低保": LowIncome, "留守儿童": ChildLeftBehind} {
		if got, ok := TagFromChinese(zh); !ok || got != want {
			t.Errorf("%s: %s", zh, got)
		}
	}
}

func TestPatchKeepsMaskedValues(t *testing.T) {
	cur := Resident{ID: "1", Household: "2", Name: "李四", Gender: "f", BirthDate: "1950-01-01", IDNumber: "310***********1234",
		Phone: "138****5678", Relation: "head", Residence: "registered", Status: Active, Notes: NotesMask}
	v := int64(1)
	masked, notes := cur.Phone, NotesMask
	c, err := Patch{Version: &v, Phone: &masked, Notes: &notes, IDNumber: &cur.IDNumber}.Apply(cur, nil)
	if err != nil || c.SetPhone || c.SetNotes || c.SetIDNumber {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := (Patch{}).Apply(cur, nil); apperr.As(err).Fields["version"] == "" {
		t.Fatal("a patch without version is accepted")
	}
}

func TestParseTableHeadersAndWords(t *testing.T) {
	id := fakeID("310105", "19480307", "124")
	table := [][]string{
		{"\ufeff小区名称", "楼 号", "单元号", "房号", "姓名", "性别", "出生年月日", "公民身份号码", "联系方式", "户主关系", "人口类型", "重点人群", "备注："},
		{"三江小区", "29号楼", "1", "302", "张三", "女", "1948年3月7日", id, "138 1234 5678", "配偶", "流动人口", "独居老人；高龄", ""},
		{"", "", "", "", "", "", "", "", "", "", "", "", ""},
		{"三江小区", "29", "", "", "李四", "男", "", "", "", "", "", "", ""},
	}
	rows, problems, err := ParseTable(table)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || len(problems) != 1 || problems[0].Line != 4 {
		t.Fatalf("rows %v problems %v", rows, problems)
	}
	p := rows[0].Person
	if p.BirthDate != "1948-03-07" || p.Gender != "f" || p.Phone != "13812345678" || p.Relation != "spouse" || p.Residence != "floating" ||
		p.Tags != ElderlyAlone.Bit()|Elderly80Plus.Bit() || rows[0].Line != 2 || rows[0].Room != "302" || rows[0].UnitNo != "1" {
		t.Fatalf("%+v", rows[0])
	}
	if _, _, err := ParseTable([][]string{{"姓名", "电话"}}); err == nil {
		t.Fatal("a header without 小区/楼号/室号 is accepted")
	}
}
