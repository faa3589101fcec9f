package registryfile

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRead feeds any bytes as a committee's .csv and .xlsx: the reader
// answers rows or an error, never a panic, and every cell it returns is
// valid UTF-8 (what the import then validates and stores).
func FuzzRead(f *testing.F) {
	f.Add([]byte("小区,楼号,室号,姓名,身份证号\n三江小区,29,302,王演示甲,990000194809240011\n"))
	f.Add([]byte("\ufeff姓名,联系电话\n\"李\"\"演示\",13800001000\n"))
	f.Add([]byte{0xd0, 0xd5, 0xc3, 0xfb, ',', 0xb5, 0xe7, 0xbb, 0xb0, '\n'}) // GB 18030
	f.Add([]byte("PK\x03\x04not really a workbook"))
	f.Add([]byte("a,\"b\nc"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"x.csv", "x.xlsx"} {
			rows, err := Read(bytes.NewReader(data), name)
			if err != nil {
				continue
			}
			for _, row := range rows {
				for _, c := range row {
					if !utf8.ValidString(c) && !strings.HasSuffix(name, ".xlsx") {
						t.Fatalf("%s: cell %q is not valid UTF-8", name, c)
					}
				}
			}
		}
	})
}
