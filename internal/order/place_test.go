package order

import "testing"

func TestPlace(t *testing.T) {
	for _, c := range []struct{ comp, bld, addr, want string }{
		{"三江小区", "29号楼", "", "三江小区29号楼"},
		{"三江小区", "29号楼", "三江小区29号楼", "三江小区29号楼"},
		{"三江小区", "29号楼", "三江小区29号楼2单元", "三江小区29号楼2单元"},
		{"三江小区", "29号楼", "东门旁", "三江小区29号楼 东门旁"},
		{"三江小区", "29号楼", "三江小区东门", "三江小区东门 29号楼"},
		{"三江小区", "", "", "三江小区"},
		{"", "29号楼", "", "29号楼"},
		{"", "", "宾阳路12号", "宾阳路12号"},
		{"", "", "  ", ""},
		{"三江小区", "", "三江小区", "三江小区"},
	} {
		if got := Place(c.comp, c.bld, c.addr); got != c.want {
			t.Errorf("Place(%q, %q, %q) = %q, want %q", c.comp, c.bld, c.addr, got, c.want)
		}
	}
}
