package registryapi_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"hotline/internal/community/registry/registryapi"
	"hotline/internal/testenv"
)

// bigSheet is a committee's .xlsx of n residents in 三江小区's four
// buildings, three to a household, every one with a (fake) ID number, a
// phone and a line of notes: the shape of a real committee's file. The
// notes and phones vary as real ones do (a fixed seed), so the file
// compresses like a real one: a sheet of near-identical rows would fit
// 15,000 rows in 1 MB and test nothing.
func bigSheet(t *testing.T, n int) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	row := func(i int, cells ...any) {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		if err := sw.SetRow(cell, cells); err != nil {
			t.Fatal(err)
		}
	}
	row(1, "小区", "楼号", "单元", "室号", "姓名", "身份证号", "联系电话", "与户主关系", "关爱标签", "备注")
	rnd := rand.New(rand.NewPCG(14, 15000))
	note := func() string {
		r := make([]rune, 12+rnd.IntN(12))
		for i := range r {
			r[i] = rune(0x4e00 + rnd.IntN(3000)) // common CJK ideographs
		}
		return string(r)
	}
	for i := range n {
		hh := i / 3
		rel, tag := "其他", ""
		if i%3 == 0 {
			rel = "户主"
		}
		if i%10 == 0 {
			tag = "独居老人,低保"
		}
		birth := fmt.Sprintf("1940%02d%02d", 1+i/1000%12, 1+i/12000)
		row(i+2, "三江小区", fmt.Sprintf("%d号楼", 27+hh%4), fmt.Sprint(1+hh/4%10), fmt.Sprint(101+hh/40), fmt.Sprintf("上传测试%05d", i),
			fakeID(birth, i%1000), fmt.Sprintf("139%08d", rnd.IntN(100000000)), rel, tag, note())
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestImportBodyLimit: the import route reads a whole committee's file
// (15,000 rows, well over the API's 1 MB that every other route keeps)
// and refuses a body over its own limit with 413 in the contract's shape,
// writing nothing; an ordinary JSON route still stops at 1 MB.
func TestImportBodyLimit(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL)
		file := bigSheet(t, 15000)
		if len(file) <= 1<<20 {
			t.Fatalf("the test file is %d bytes: it must be over the API's 1 MB to test anything", len(file))
		}
		t.Logf("15,000 rows: %d bytes", len(file))
		n := s.count("residents")
		rep := s.upload("binyang", "/api/v1/registry/import?name=committee.xlsx", file, 200)
		if rep["created"] != 15000.0 || rep["rows"] != 15000.0 {
			t.Fatalf("a %d-byte file: %v", len(file), rep)
		}
		if got := s.count("residents"); got != n+15000 {
			t.Fatalf("%d residents written, want 15,000", got-n)
		}
		// Over the route's limit: 413 in the error shape, nothing written.
		n, h, audits := s.count("residents"), s.count("households"), s.auditCount("registry.import")
		huge := append(bytes.Repeat([]byte("小区,楼号,室号,姓名\n"), registryapi.ImportMaxBody/len("小区,楼号,室号,姓名\n")), "三江小区,29号楼,101,超限\n"...)
		e := s.upload("binyang", "/api/v1/registry/import?name=huge.csv", huge, 413)
		if code := e["error"].(map[string]any)["code"]; code != "too_large" || !strings.Contains(e["error"].(map[string]any)["message"].(string), "bytes") {
			t.Fatalf("oversize upload: %v", e)
		}
		if s.count("residents") != n || s.count("households") != h || s.auditCount("registry.import") != audits {
			t.Fatal("an oversize upload wrote something")
		}
		// Other routes keep the API's 1 MB.
		big := `{"household":"1","name":"` + strings.Repeat("甲", 400_000) + `"}`
		if st, e := s.do("admin", "POST", "/api/v1/residents", big); st != 413 || e["error"].(map[string]any)["code"] != "too_large" {
			t.Fatalf("a 1.2 MB JSON body: %d %v", st, e)
		}
	})
}
