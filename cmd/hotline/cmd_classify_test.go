package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runIntelCLI runs the hotline command in-process with the given stdin.
func runIntelCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := env{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := run(context.Background(), e, args)
	return code, stdout.String(), stderr.String()
}

// syntheticLabelled writes a small labelled CSV (written for the test, no
// real messages) with a BOM, quoted cells and newlines inside cells.
func syntheticLabelled(t *testing.T) string {
	t.Helper()
	topics := []struct{ label, title, body string }{
		{"市容", "路灯不亮", "小区门口的路灯坏了好几天，晚上很黑，\n老人出行不便"},
		{"市容", "窨井盖缺失", "人行道上的窨井盖丢了，很危险，请尽快补上"},
		{"环境", "夜间施工噪音", "工地每天夜里施工，噪音扰民，影响休息"},
		{"环境", "饭店油烟扰民", "楼下饭店油烟直排，窗户都不敢开"},
		{"劳动", "拖欠工资", "公司拖欠三个月工资，老板联系不上"},
		{"劳动", "社保断缴", "单位没有给我们缴纳社保，要求补缴"},
	}
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"编号", "标题", "内容", "分类"})
	for i := range 60 {
		tp := topics[i%len(topics)]
		_ = w.Write([]string{fmt.Sprint(1000 + i), tp.title, fmt.Sprintf("%s（第%d次反映）", tp.body, i/len(topics)+1), tp.label})
	}
	w.Flush()
	path := filepath.Join(t.TempDir(), "labelled.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClassifyTrainPredict(t *testing.T) {
	t.Parallel()
	in := syntheticLabelled(t)
	model := filepath.Join(t.TempDir(), "model.bin")
	code, _, errOut := runIntelCLI(t, "", "classify", "train", "--in", in, "--text-cols", "标题,内容", "--label-col", "分类", "--out", model, "--cv", "3")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "3-fold cross-validation") || !strings.Contains(errOut, "accuracy") {
		t.Errorf("train stderr lacks the CV summary:\n%s", errOut)
	}

	// Predict from standard input, ids in an arbitrary order, one text
	// spanning lines.
	input := "\ufeffid,title,body\n" +
		"b7,路灯坏了,\"晚上路灯不亮\n很黑\"\n" +
		"a1,噪音,夜间施工噪音扰民\n" +
		"z9,工资,老板拖欠工资\n"
	code, out, errOut := runIntelCLI(t, input, "classify", "predict", "--model", model, "--in", "-", "--id-col", "id", "--text-cols", "title,body")
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, out)
	}
	want := [][2]string{{"id", "label"}, {"b7", "市容"}, {"a1", "环境"}, {"z9", "劳动"}}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d:\n%s", len(rows), len(want), out)
	}
	if strings.Join(rows[0], ",") != "id,label,confidence" {
		t.Errorf("header %q", rows[0])
	}
	for i, w := range want[1:] {
		r := rows[i+1]
		if r[0] != w[0] || r[1] != w[1] {
			t.Errorf("row %d = %q, want id %s label %s", i+1, r, w[0], w[1])
		}
		var c float64
		if _, err := fmt.Sscanf(r[2], "%f", &c); err != nil || c < 0 || c > 1 || len(r[2]) != 6 {
			t.Errorf("row %d confidence %q: want 4 decimals in [0,1]", i+1, r[2])
		}
	}
}

func TestClassifyUsageErrors(t *testing.T) {
	t.Parallel()
	in := syntheticLabelled(t)
	for _, args := range [][]string{
		{"classify"},
		{"classify", "fit"},
		{"classify", "train", "--in", in, "--text-cols", "标题", "--label-col", "分类"},                                 // no --out
		{"classify", "train", "--in", in, "--text-cols", "标题,没有", "--label-col", "分类", "--out", "x"},                // unknown column
		{"classify", "train", "--in", in, "--text-cols", "标题", "--label-col", "分类", "--out", "x", "--algo", "tree"}, // unknown algorithm
		{"classify", "train", "--nope"},
		{"classify", "predict", "--model", "m", "--in", in, "--text-cols", "标题"}, // no --id-col
	} {
		code, _, errOut := runIntelCLI(t, "", args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
	}
	code, _, _ := runIntelCLI(t, "", "classify", "predict", "--model", filepath.Join(t.TempDir(), "missing"), "--in", in, "--id-col", "编号", "--text-cols", "标题")
	if code != 1 {
		t.Errorf("missing model file: exit %d, want 1", code)
	}
	if code, _, _ := runIntelCLI(t, "", "classify", "train", "-h"); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
}
