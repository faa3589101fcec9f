package seal

import (
	"strconv"
	"testing"
)

// The cost of keeping one resident's personal data sealed: three fields
// sealed (ID number, phone, notes) and two blind indexes (ID number, phone),
// beside the same loop that only builds the plaintext row (the baseline).
func BenchmarkResident(b *testing.B) {
	k, _ := newKeys(b)
	id, phone, notes := "310101194501011234", "13812345678", "独居老人，腿脚不便，女儿每周六来看望；有高血压，需定期随访。"
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for i := 0; b.Loop(); i++ {
			ctx := "residents:" + strconv.Itoa(i)
			row := [][]byte{[]byte(id), []byte(phone), []byte(notes), []byte(ctx)}
			n += len(row[0]) + len(row[1]) + len(row[2])
		}
		_ = n
	})
	b.Run("sealed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			rid := strconv.Itoa(i)
			for _, f := range [][2]string{{"id_number", id}, {"phone", phone}, {"notes", notes}} {
				if _, err := k.Seal([]byte(f[1]), []byte("residents."+f[0]+":"+rid)); err != nil {
					b.Fatal(err)
				}
			}
			k.Index("residents.id_number", id)
			k.Index("residents.phone", phone)
		}
	})
	b.Run("seal-phone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := k.Seal([]byte(phone), []byte("residents.phone:1")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("index-phone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			k.Index("residents.phone", phone)
		}
	})
	ct, _ := k.Seal([]byte(phone), []byte("residents.phone:1"))
	b.Run("open", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := k.Open(ct, []byte("residents.phone:1")); err != nil {
				b.Fatal(err)
			}
		}
	})
}
