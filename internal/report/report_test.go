package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func sample() *Book {
	r, zero := 0.853, 0.0
	b := &Book{FileName: "测试"}
	s := b.AddSheet("排名", Column{Header: "单位"}, Column{Header: "响应率", Kind: Percent}, Column{Header: "受理时间", Kind: DateTime},
		Column{Header: "变化", Kind: Change}, Column{Header: "件数", Kind: Int})
	s.Notes = []string{"统计周期：2026-11-01 至 2026-11-30"}
	at := time.Date(2026, 11, 29, 16, 30, 0, 0, time.UTC) // 2026-11-30 00:30 in Shanghai
	s.Add("宾阳路居委会", &r, at, &r, 12)
	s.Add("房管办", (*float64)(nil), nil, (*float64)(nil), 0)
	s.Add("城管办", &zero, &at, &zero, 3)
	b.AddSheet("第二页", Column{Header: "日期", Kind: Date}).Add(at)
	return b
}

func TestCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{"\ufeff# 统计周期", "单位,响应率,受理时间,变化,件数", "宾阳路居委会,85.3%,2026-11-30 00:30,'+85.3个百分点,12", // a leading + is neutralised (csvsafe)

		"房管办,无数据,,—,0", "城管办,0.0%,", "# 第二页", "日期\n2026-11-30"} {
		if !strings.Contains(got, want) {
			t.Errorf("CSV lacks %q:\n%s", want, got)
		}
	}
}

func TestXLSX(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 2 || got[0] != "排名" || got[1] != "第二页" {
		t.Fatalf("sheets %v", got)
	}
	cell := func(sheet, c string) string { v, _ := f.GetCellValue(sheet, c); return v }
	checks := map[string]string{"A1": "统计周期：2026-11-01 至 2026-11-30", "B2": "响应率", "B3": "85.3%", "B4": "无数据", "B5": "0.0%",
		"C3": "2026-11-30 00:30", "E3": "12"}
	for c, want := range checks {
		if got := cell("排名", c); got != want {
			t.Errorf("%s = %q, want %q", c, got, want)
		}
	}
	if raw, _ := f.GetCellValue("排名", "B3", excelize.Options{RawCellValue: true}); raw != "0.853" {
		t.Errorf("B3 raw %q: a percentage must be a number", raw)
	}
	if got := cell("第二页", "A2"); got != "2026-11-30" {
		t.Errorf("date cell %q", got)
	}
}
