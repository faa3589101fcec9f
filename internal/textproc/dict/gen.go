//go:build ignore

// gen.go rebuilds zh_s.txt.gz, the simplified-Chinese dictionary the
// segmenter embeds, from the dictionary shipped inside the gse module:
//
//	go run ./internal/textproc/dict/gen.go
//
// (run from the module root). It reads
// $(go env GOMODCACHE)/github.com/go-ego/gse@VERSION/data/dict/zh/s_1.txt,
// keeps the entries worth their memory (see keep) and writes "word freq"
// lines, gzip-compressed, without part-of-speech tags, which we never use.
//
// Why prune: gse's trie costs about 330 bytes of heap per entry. The whole
// simplified dictionary (352k entries) took 123 MiB and 0.8-1.8 s to load on
// the development machine; most of the tail is frequency-2/3 person names and
// idioms that never occur in hotline messages. See docs/intelligence.md for
// the measurements behind the thresholds.
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

const gseVersion = "v0.80.3" // keep in step with go.mod

func main() {
	src := flag.String("src", "", "path of gse's data/dict/zh/s_1.txt (default: from the module cache)")
	out := flag.String("out", "internal/textproc/dict/zh_s.txt.gz", "output file")
	flag.Parse()
	if *src == "" {
		b, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err != nil {
			log.Fatal(err)
		}
		*src = filepath.Join(strings.TrimSpace(string(b)), "github.com/go-ego/gse@"+gseVersion, "data/dict/zh/s_1.txt")
	}
	in, err := os.Open(*src)
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()

	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(zw)
	sc := bufio.NewScanner(in)
	kept, total := 0, 0
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		total++
		freq, err := strconv.Atoi(fields[1])
		if err != nil {
			continue
		}
		pos := ""
		if len(fields) > 2 {
			pos = fields[2]
		}
		if !keep(freq, pos) {
			continue
		}
		kept++
		fmt.Fprintf(w, "%s %d\n", fields[0], freq)
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	log.Printf("kept %d of %d entries in %s", kept, total, *out)
}

// keep decides whether a dictionary entry is embedded. Everything with
// frequency >= 4 stays. At frequency 3 the dictionary mixes useful compounds
// (物业管理, 劳动合同, 养老保险 were all frequency 3) with person names (nr*),
// idioms (i) and set phrases (l); only the compounds are kept. Frequency 2 is
// almost entirely names and rare characters and is dropped (gse ignores
// frequency < 2 anyway).
func keep(freq int, pos string) bool {
	switch {
	case freq >= 4:
		return true
	case freq == 3:
		return !strings.HasPrefix(pos, "nr") && pos != "i" && pos != "l"
	default:
		return false
	}
}
