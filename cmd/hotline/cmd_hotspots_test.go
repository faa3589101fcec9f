package main

import (
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// hotspotInput is written for the test: two problems reported several
// times each, and unrelated one-off messages.
const hotspotInput = "\ufeffno,title,body,time\n" +
	"m1,三江小区29号楼群租,三江小区29号楼有人群租，一套房住了二十多人，进出杂乱,2026-03-01 09:00:00\n" +
	"m2,投诉路灯,宾阳路和月河路口的路灯坏了一个星期,2026-03-01 10:00:00\n" +
	"m3,三江小区群租扰民,\"三江小区29号楼群租房\n人员复杂，晚上吵闹\",2026-03-02 21:30:00\n" +
	"m4,咨询养老金,退休人员养老金什么时候调整,2026-03-03 08:00:00\n" +
	"m5,宾阳路路灯不亮,宾阳路月河路口路灯坏了，晚上很黑,2026-03-04 19:00:00\n" +
	"m6,三江小区29号楼群租,反映三江小区29号楼群租问题，一套房住很多人,2026-08-20 09:00:00\n" +
	"m7,孩子入学,想咨询小学入学需要哪些材料,2026-03-05 11:00:00\n"

func hotspotRows(t *testing.T, out string) map[string]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, out)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "cluster,id" {
		t.Fatalf("bad header in %q", out)
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[1]] = r[0]
	}
	return got
}

func TestHotspots(t *testing.T) {
	t.Parallel()
	code, out, errOut := runIntelCLI(t, hotspotInput, "hotspots", "--in", "-", "--id-col", "no", "--text-cols", "title,body")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got := hotspotRows(t, out)
	if got["m1"] == "" || got["m1"] != got["m3"] || got["m1"] != got["m6"] {
		t.Errorf("群租 messages not clustered together: %v", got)
	}
	if got["m2"] == "" || got["m2"] != got["m5"] || got["m2"] == got["m1"] {
		t.Errorf("路灯 messages not clustered on their own: %v", got)
	}
	for _, id := range []string{"m4", "m7"} {
		if got[id] != "" {
			t.Errorf("one-off message %s was put in cluster %s", id, got[id])
		}
	}
	if got["m1"] != "1" {
		t.Errorf("largest cluster should be numbered 1: %v", got)
	}

	// With times, the August report is too late for the March cluster.
	code, out, errOut = runIntelCLI(t, hotspotInput, "hotspots", "--in", "-", "--id-col", "no", "--text-cols", "title,body", "--time-col", "time", "--window-days", "30")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got = hotspotRows(t, out)
	if got["m1"] == "" || got["m1"] != got["m3"] || got["m6"] != "" {
		t.Errorf("time window not applied: %v", got)
	}
}

func TestHotspotsUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"hotspots"},
		{"hotspots", "--in", "-", "--text-cols", "title"},
		{"hotspots", "--in", "-", "--id-col", "no", "--text-cols", "nosuch"},
		{"hotspots", "--in", "-", "--id-col", "no", "--text-cols", "title", "--time-col", "when"},
		{"hotspots", "--in", "-", "--id-col", "no", "--text-cols", "title", "--threshold", "2"},
	} {
		if code, _, errOut := runIntelCLI(t, hotspotInput, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
	dup := "id,t\n1,路灯坏了\n1,路灯坏了\n"
	if code, _, _ := runIntelCLI(t, dup, "hotspots", "--in", "-", "--id-col", "id", "--text-cols", "t"); code != 1 {
		t.Errorf("duplicate ids: exit %d, want 1", code)
	}
}

// TestHotspotsRankingAndWorkbook: --top prints the ranking, --out writes
// the competition's two sheets, and the heat counts distinct residents and
// likes (the 群租 hotspot has three residents and likes, so it ranks first).
func TestHotspotsRankingAndWorkbook(t *testing.T) {
	t.Parallel()
	in := "\ufeffno,user,title,body,time,likes,dislikes\n" +
		"m1,u1,三江小区29号楼群租,三江小区29号楼有人群租，一套房住了二十多人，进出杂乱,2026-03-01 09:00:00,5,0\n" +
		"m2,u2,投诉路灯,宾阳路和月河路口的路灯坏了一个星期,2026-03-01 10:00:00,0,0\n" +
		"m3,u3,三江小区群租扰民,\"三江小区29号楼群租房\n人员复杂，晚上吵闹\",2026-03-02 21:30:00,1,1\n" +
		"m5,u2,宾阳路路灯不亮,宾阳路月河路口路灯坏了，晚上很黑,2026-03-04 19:00:00,0,0\n" +
		"m6,u4,三江小区29号楼群租,反映三江小区29号楼群租问题，一套房住很多人,2026-03-05 09:00:00,0,0\n"
	out := filepath.Join(t.TempDir(), "hot.xlsx")
	code, stdout, errOut := runIntelCLI(t, in, "hotspots", "--in", "-", "--id-col", "no", "--text-cols", "title,body",
		"--time-col", "time", "--user-col", "user", "--likes-col", "likes", "--dislikes-col", "dislikes", "--top", "5", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "热度排名") || !strings.Contains(lines[1], "三江小区") ||
		!strings.Contains(lines[1], "2026/03/01 至 2026/03/05") || !strings.Contains(lines[2], "宾阳路") {
		t.Fatalf("ranking:\n%s", stdout)
	}
	if strings.Contains(stdout, "u1") {
		t.Error("the ranking shows a sender")
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	top, err := f.GetRows("热点问题表")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(top[0], ",") != "热度排名,问题ID,热度指数,时间范围,地点/人群,问题描述" || len(top) != 3 || top[1][0] != "1" || top[1][4] != "三江小区" {
		t.Errorf("ranking sheet %q", top)
	}
	detail, err := f.GetRows("热点问题留言明细表")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(detail[0], ",") != "问题ID,留言编号,留言主题,留言时间,留言详情,点赞数,反对数" || len(detail) != 6 {
		t.Fatalf("detail sheet %q", detail)
	}
	if detail[1][0] != "1" || detail[1][1] != "m1" || detail[1][2] != "三江小区29号楼群租" || detail[1][5] != "5" || detail[1][3] != "2026-03-01 09:00" {
		t.Errorf("detail row %q", detail[1])
	}

	for _, args := range [][]string{
		{"--top", "-1"},
		{"--out", filepath.Join(t.TempDir(), "hot.csv")},
		{"--user-col", "nosuch", "--top", "3"},
	} {
		full := append([]string{"hotspots", "--in", "-", "--id-col", "no", "--text-cols", "title,body"}, args...)
		if code, _, errOut := runIntelCLI(t, in, full...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
}
