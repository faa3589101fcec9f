package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hotline/internal/app"
	"hotline/internal/community/registry"
	"hotline/internal/seal"
	"hotline/internal/testenv"
)

// fakeRegistryID is a check-digit-correct number under the made-up region
// 999999, so it belongs to nobody.
func fakeRegistryID(birth string, seq int) string {
	s := fmt.Sprintf("999999%s%03d", birth, seq)
	return s + string(registry.CheckDigitOf(s))
}

// registryRows is a committee's sheet: header variants (身份证号码, 手机号,
// 楼栋), Chinese tags and words, 29 / 29号楼 for the same building.
func registryRows(n int) [][]string {
	rows := [][]string{{"小区", "楼栋", "单元", "室号", "姓名", "性别", "出生日期", "身份证号码", "手机号", "与户主关系", "户籍类型", "关爱标签", "备注"}}
	for i := range n {
		b := []string{"27", "28号楼", "29号楼", "30"}[i%4]
		tags := []string{"", "独居老人，80岁以上", "残疾、低保", "行动不便"}[i%4]
		rows = append(rows, []string{"三江小区", b, fmt.Sprint(1 + i%3), fmt.Sprint(101 + i/12), fmt.Sprintf("演示%03d", i), []string{"男", "女"}[i%2],
			"", fakeRegistryID("19450101", i), fmt.Sprintf("1390000%04d", i), []string{"户主", "配偶", "子女", "其他"}[i%4], "户籍", tags, "备注" + fmt.Sprint(i)})
	}
	return rows
}

func writeCSV(t *testing.T, path string, rows [][]string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.WriteAll(rows)
	f.Close()
}

func writeXLSX(t *testing.T, path string, rows [][]string) {
	f := excelize.NewFile()
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, v := range r {
			cells[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// demoDB makes a database with the demo's places and returns it and a key
// file.
func demoDB(t *testing.T, url string) string {
	m, err := app.New(context.Background(), app.Config{DB: url, Demo: true, Sweep: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	m.Store.Close()
	key, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "data.key")
	if err := os.WriteFile(path, key, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRegistryImportCommand(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, url string) {
		keyFile := demoDB(t, url)
		dir := t.TempDir()
		xlsx, csvFile := filepath.Join(dir, "居民.xlsx"), filepath.Join(dir, "居民.csv")
		writeXLSX(t, xlsx, registryRows(40))
		writeCSV(t, csvFile, registryRows(40))
		code, out, errs := runCmd(t, "", "registry", "import", "--db", url, "--area", "binyang", "--data-key-file", keyFile, xlsx)
		if code != 0 || !strings.Contains(out, "imported 40 rows into binyang: 40 created, 0 updated, 0 unchanged") {
			t.Fatalf("import: %d %s %s", code, out, errs)
		}
		// The same rows again, as CSV: nothing changes.
		code, out, errs = runCmd(t, "", "registry", "import", "--db", url, "--area", "binyang", "--data-key-file", keyFile, csvFile)
		if code != 0 || !strings.Contains(out, "0 created, 0 updated, 40 unchanged; 0 households created") {
			t.Fatalf("re-import: %d %s %s", code, out, errs)
		}
		// One changed phone: one update.
		rows := registryRows(40)
		rows[5][8] = "021-55556666"
		writeCSV(t, csvFile, rows)
		if code, out, errs = runCmd(t, "", "registry", "import", "--db", url, "--area", "binyang", "--data-key-file", keyFile, csvFile); code != 0 || !strings.Contains(out, "0 created, 1 updated, 39 unchanged") {
			t.Fatalf("changed row: %d %s %s", code, out, errs)
		}
		// Bad rows: every one reported with its line, nothing written.
		rows = registryRows(45)
		rows[3][7] = rows[3][7][:17] + "0" // line 4: check digit
		rows[10][8] = "12345"              // line 11: phone
		rows[20][11] = "贵宾"                // line 21: tag
		rows[30][0] = "不存在小区"              // line 31: place
		rows[41][7] = rows[2][7]           // line 42: duplicate ID number of line 3
		rows[43][6] = "1950-01-01"         // line 44: birth date disagrees with the ID number
		writeCSV(t, csvFile, rows)
		code, out, errs = runCmd(t, "", "registry", "import", "--db", url, "--area", "binyang", "--data-key-file", keyFile, csvFile)
		if code != 1 {
			t.Fatalf("bad rows: %d %s %s", code, out, errs)
		}
		for _, want := range []string{"第 4 行 (line 4): 身份证号", "第 11 行 (line 11): 联系电话", "第 21 行 (line 21): 关爱标签", "第 42 行 (line 42): 身份证号与第 3 行重复", "第 44 行 (line 44): 出生日期"} {
			if !strings.Contains(errs, want) {
				t.Errorf("missing %q in:\n%s", want, errs)
			}
		}
		// The place problem is found after the field checks pass: fix those
		// and it is reported alone, still writing nothing.
		rows = registryRows(45)
		rows[30][0] = "不存在小区"
		writeCSV(t, csvFile, rows)
		code, _, errs = runCmd(t, "", "registry", "import", "--db", url, "--area", "binyang", "--data-key-file", keyFile, csvFile)
		if code != 1 || !strings.Contains(errs, "第 31 行 (line 31): 小区") {
			t.Fatalf("unknown compound: %d %s", code, errs)
		}
		// Nothing of the 5 new rows was written: a good import now creates them
		// (and puts back the phone of line 7 changed above).
		rows[30][0] = "三江小区"
		writeCSV(t, csvFile, rows)
		if code, out, errs = runCmd(t, "", "registry", "import", "--db", url, "--area", "binyang", "--data-key-file", keyFile, csvFile); code != 0 || !strings.Contains(out, "5 created, 1 updated, 39 unchanged") {
			t.Fatalf("after bad imports: %d %s %s", code, out, errs)
		}
		// Without a key the command refuses.
		if code, _, errs := runCmd(t, "", "registry", "import", "--db", url, "--area", "binyang", csvFile); code == 0 || !strings.Contains(errs, "data key") {
			t.Fatalf("without a key: %d %s", code, errs)
		}
	})
}
