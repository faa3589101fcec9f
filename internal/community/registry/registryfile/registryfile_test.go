package registryfile

import (
	"bytes"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"hotline/internal/apperr"
	"hotline/internal/community/registry"
)

// TestReadCSVEncodings: UTF-8 with or without a BOM, and the GB 18030 that
// Excel writes on a Chinese Windows, read to the same table.
func TestReadCSVEncodings(t *testing.T) {
	text := "小区,楼号,室号,姓名,关爱标签\n三江小区,29号楼,302,张三,\"独居老人，高龄\"\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"utf8.csv": []byte(text), "bom.csv": append([]byte("\xef\xbb\xbf"), text...), "gb.csv": []byte(gb), "noext": []byte(text)} {
		rows, err := Read(bytes.NewReader(data), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(rows) != 2 || rows[0][0] != "小区" || rows[1][3] != "张三" || rows[1][4] != "独居老人，高龄" {
			t.Fatalf("%s: %q", name, rows)
		}
	}
}

// TestExportReadsBack: the export's workbook is read by Read with the
// import's headers, and its rows parse.
func TestExportReadsBack(t *testing.T) {
	var buf bytes.Buffer
	r := registry.ExportRow{Resident: registry.Resident{Compound: "sanjiang", Building: "sanjiang-29", Name: "李四", Gender: "f",
		BirthDate: "1950-01-01", Relation: "head", Residence: "registered", Status: registry.Active, CareTags: []registry.CareTag{registry.Disabled}}, Room: "302"}
	if err := WriteXLSX(&buf, []registry.ExportRow{r}); err != nil {
		t.Fatal(err)
	}
	rows, err := Read(bytes.NewReader(buf.Bytes()), "export.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	parsed, problems, err := registry.ParseTable(rows)
	if err != nil || len(problems) != 0 || len(parsed) != 1 {
		t.Fatalf("%v %v %v", parsed, problems, err)
	}
	if p := parsed[0]; p.Building != "29" || p.Room != "302" || p.Person.Tags != registry.Disabled.Bit() || p.Person.Relation != "head" {
		t.Fatalf("%+v", p)
	}
	if _, err := Read(bytes.NewReader([]byte("PK\x03\x04junk")), "x.xlsx"); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("junk workbook: %v", err)
	}
}
