package intel

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// fileMessages: two problems reported several times each (群租 three
// times, the third months later; the street light twice) and two one-off
// messages.
func fileMessages() []FileMessage {
	rows := [][4]string{
		{"m1", "三江小区29号楼群租", "三江小区29号楼有人群租，一套房住了二十多人，进出杂乱", "2026-03-01 09:00:00"},
		{"m2", "投诉路灯", "宾阳路和月河路口的路灯坏了一个星期", "2026-03-01 10:00:00"},
		{"m3", "三江小区群租扰民", "三江小区29号楼群租房 人员复杂，晚上吵闹", "2026-03-02 21:30:00"},
		{"m4", "咨询养老金", "退休人员养老金什么时候调整", "yesterday"},
		{"m5", "宾阳路路灯不亮", "宾阳路月河路口路灯坏了，晚上很黑", "2026-03-04 19:00:00"},
		{"m6", "三江小区29号楼群租", "反映三江小区29号楼群租问题，一套房住很多人", "2026-08-20 09:00:00"},
		{"m7", "孩子入学", "想咨询小学入学需要哪些材料", "2026-03-05 11:00:00"},
	}
	out := make([]FileMessage, len(rows))
	for i, r := range rows {
		out[i] = FileMessage{ID: r[0], Text: r[1] + "\n" + r[2], Subject: r[1], Body: r[2], Time: r[3], Caller: "c" + r[0], Likes: " 3 ", Dislikes: "-2"}
	}
	return out
}

// TestHotspotsOfFile checks the work behind `hotline hotspots` without the
// command line: the clusters of 2 or more, their members in the file's
// order, the time window splitting a late report off, unreadable times
// counted, and the ranking measured at the file's last message.
func TestHotspotsOfFile(t *testing.T) {
	ctx := context.Background()
	msgs := fileMessages()
	hs, err := HotspotsOfFile(ctx, msgs, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if hs.Messages != 7 || len(hs.Clusters) != 2 || hs.BadTimes != 0 || !hs.Latest.IsZero() {
		t.Fatalf("untimed: %d messages, %d clusters, %d bad times, latest %v", hs.Messages, len(hs.Clusters), hs.BadTimes, hs.Latest)
	}
	if got := hs.Members(hs.Clusters[0]); !slices.Equal(got, []string{"m1", "m3", "m6"}) {
		t.Errorf("largest cluster %v, want m1 m3 m6 in file order", got)
	}
	if got := hs.Members(hs.Clusters[1]); !slices.Equal(got, []string{"m2", "m5"}) {
		t.Errorf("second cluster %v, want m2 m5", got)
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if r := hs.Ranking(1, now); len(r) != 1 || r[0].Rank != 1 {
		t.Errorf("top 1: %+v", r)
	}
	if r := hs.Ranking(0, now); len(r) != 2 {
		t.Errorf("top 0 is all: %d", len(r))
	}

	// With times and a 90-day window the August report starts afresh; the
	// unreadable time is counted and clustered without a limit.
	hs, err = HotspotsOfFile(ctx, msgs, FileOptions{Timed: true, Window: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if hs.BadTimes != 1 {
		t.Errorf("bad times %d, want 1 (m4)", hs.BadTimes)
	}
	if want := time.Date(2026, 8, 20, 1, 0, 0, 0, time.UTC); !hs.Latest.Equal(want) {
		t.Errorf("latest %v, want %v (China time)", hs.Latest, want)
	}
	for _, c := range hs.Clusters {
		if slices.Contains(c.Members, "m6") {
			t.Errorf("m6 (August) joined a March cluster: %v", c.Members)
		}
	}
	// Ranked at the file's last message, not at the clock given.
	r := hs.Ranking(0, now)
	if len(r) == 0 || r[0].Heat.Value == 0 {
		t.Fatalf("ranking %+v", r)
	}
	if again := hs.Ranking(0, now.Add(1000*time.Hour)); again[0].Heat.Value != r[0].Heat.Value {
		t.Errorf("heat moved with the clock (%v, %v): a timed file is ranked at its last message", r[0].Heat.Value, again[0].Heat.Value)
	}
	// Likes as written (" 3 " is 3), dislikes never negative.
	b := hs.Workbook(r)
	if b == nil {
		t.Fatal("no workbook")
	}
	if m := hs.msgs["m1"]; m.Likes != 3 || m.Dislikes != 0 || m.Subject != "三江小区29号楼群租" || m.At == nil {
		t.Errorf("m1 as shown: %+v", m)
	}

	// Duplicate ids name both rows.
	dup := append(fileMessages(), FileMessage{ID: "m3", Text: "x"})
	if _, err := HotspotsOfFile(ctx, dup, FileOptions{}); err == nil || !strings.Contains(err.Error(), `id "m3" appears twice (rows 3 and 8`) {
		t.Errorf("duplicate id: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := HotspotsOfFile(cancelled, msgs, FileOptions{}); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
}
