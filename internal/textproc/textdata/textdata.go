// Package textdata reads the shared evaluation data (the Teddy 2020 C
// messages and the People's Daily gas complaints) for textproc's quality
// tests and for the research tool bench/textlab, so both read the files and
// score clusterings the same way, from one place.
//
// The data holds real people's messages and is never copied into the
// repository: callers name its folder (tests from $HOTLINE_DATA, the tool
// from -data) and skip or stop with a message when it is absent. The
// package imports nothing of textproc (textproc's own tests import it), so
// its types mirror textproc's field for field and convert with
// textproc.Example(x) and textproc.ClusterDoc(d).
package textdata

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Find returns the data folder: dir when it is given, else the first
// shared/data found walking up from the working directory. The error says
// what is missing and how to provide it.
func Find(dir string) (string, error) {
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return "", fmt.Errorf("shared data folder %s not found: give the folder holding teddy2020c/ and peoples_daily_gas/", dir)
		}
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; {
		cand := filepath.Join(d, "shared", "data")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("shared data not found: set HOTLINE_DATA (tests) or -data (bench/textlab), or place the data in a shared/data folder above the repository")
		}
		d = parent
	}
}

// ErrMissing wraps the error of a data file that cannot be opened, so tests
// skip on it rather than fail.
var ErrMissing = errors.New("data file not available")

// ReadCSV reads dir/rel as rows keyed by header (a leading BOM dropped).
func ReadCSV(dir, rel string) ([]map[string]string, error) {
	path := filepath.Join(dir, rel)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMissing, path, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	var rows []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		m := make(map[string]string, len(header))
		for i, h := range header {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		rows = append(rows, m)
	}
}

// Labelled is a textproc.Example: convert with textproc.Example(l).
type Labelled struct {
	Text, Label string
}

// TeddyLabelled reads the labelled Teddy messages: title, newline, body,
// labelled 一级标签. The variant changes the text for experiments: ""
// (what the tests and the product use), "title2" and "title3" (the title
// repeated), "trunc300" (body cut at 300 characters), "title" (no body).
func TeddyLabelled(dir, variant string) ([]Labelled, error) {
	rows, err := ReadCSV(dir, "teddy2020c/messages_labeled_train.csv")
	if err != nil {
		return nil, err
	}
	ex := make([]Labelled, len(rows))
	for i, r := range rows {
		body := r["留言详情"]
		switch variant {
		case "":
		case "title2":
			body = r["留言主题"] + "\n" + body
		case "title3":
			body = r["留言主题"] + "\n" + r["留言主题"] + "\n" + body
		case "trunc300":
			if rs := []rune(body); len(rs) > 300 {
				body = string(rs[:300])
			}
		case "title":
			body = ""
		default:
			return nil, fmt.Errorf("unknown text variant %q (want title2, title3, trunc300 or title)", variant)
		}
		ex[i] = Labelled{Text: r["留言主题"] + "\n" + body, Label: r["一级标签"]}
	}
	return ex, nil
}

// Doc is a textproc.ClusterDoc: convert with textproc.ClusterDoc(d).
type Doc struct {
	ID              string
	Text            string
	At              time.Time
	Private         []string
	Caller          string
	Likes, Dislikes int
}

// TeddyHotspots reads the Teddy hotspot messages as cluster input, with
// each message's title by id.
func TeddyHotspots(dir string) ([]Doc, map[string]string, error) {
	rows, err := ReadCSV(dir, "teddy2020c/hotspot_messages_train.csv")
	if err != nil {
		return nil, nil, err
	}
	docs := make([]Doc, len(rows))
	titles := make(map[string]string, len(rows))
	for i, r := range rows {
		at, _ := time.ParseInLocation("2006-01-02 15:04:05", r["留言时间"], time.Local)
		likes, _ := strconv.Atoi(r["点赞数"])
		dislikes, _ := strconv.Atoi(r["反对数"])
		docs[i] = Doc{ID: r["留言编号"], Text: r["留言主题"] + "\n" + r["留言详情"], At: at,
			Caller: r["留言用户"], Likes: likes, Dislikes: dislikes}
		titles[r["留言编号"]] = r["留言主题"]
	}
	return docs, titles, nil
}

// Gas reads the People's Daily gas complaints as cluster input, with each
// complaint's row by id.
func Gas(dir string) ([]Doc, map[string]map[string]string, error) {
	rows, err := ReadCSV(dir, "peoples_daily_gas/complaints_train.csv")
	if err != nil {
		return nil, nil, err
	}
	docs := make([]Doc, len(rows))
	byID := make(map[string]map[string]string, len(rows))
	for i, r := range rows {
		at, _ := time.ParseInLocation("2006-01-02 15:04", r["replyDate"], time.Local)
		docs[i] = Doc{ID: r["replyID"], Text: r["title"] + "\n" + r["replyContentMain"], At: at}
		byID[r["replyID"]] = r
	}
	return docs, byID, nil
}
