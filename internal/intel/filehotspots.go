package intel

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"hotline/internal/report"
	"hotline/internal/textproc"
)

// The hotspots of a file of messages (`hotline hotspots`): the same
// clustering and heat as the running service's hotspots, over messages
// that are not orders — a city's message-board export, a competition's
// data set. The command line reads the file and prints; the work is here,
// where it can be called and tested without a terminal.

// FileMessage is one message of a file, its cells as read.
type FileMessage struct {
	ID string
	// Text is what is clustered: the title as the first line, the body
	// after it (textproc.ClusterDoc's Text).
	Text string
	// Subject and Body are the title and the rest, as the workbook shows
	// them.
	Subject, Body string
	// Caller identifies the sender (distinct senders weigh in the heat
	// index; never shown). Likes and Dislikes are counts as written (an
	// unreadable or negative one counts 0). Time is the message's time as
	// written (see ParseMessageTime); read only when FileOptions.Timed.
	Caller, Likes, Dislikes, Time string
}

// FileOptions tune the hotspots of a file.
type FileOptions struct {
	// Threshold and Legacy are textproc.ClusterOptions'.
	Threshold float64
	Legacy    bool
	// Timed says the file has times: messages are taken in time order and
	// join a hotspot only within Window of its last message (0: no limit).
	Timed  bool
	Window time.Duration
}

// FileHotspots are the hotspots of a file of messages.
type FileHotspots struct {
	// Messages is how many messages were clustered.
	Messages int
	// Clusters are the clusters of 2 or more, the largest first.
	Clusters []textproc.Cluster
	// BadTimes is how many messages had no readable time (with
	// FileOptions.Timed): they were clustered without a time limit.
	BadTimes int
	// Latest is the time of the file's last message (zero without times).
	Latest time.Time
	// Took is the clustering's time.
	Took time.Duration

	row  map[string]int // a message's place in the file, by id
	msgs map[string]report.HotspotMessage
}

// HotspotsOfFile clusters a file's messages into hotspots. Message ids must
// be unique; the error names the two rows (1-based) that share one.
func HotspotsOfFile(ctx context.Context, in []FileMessage, o FileOptions) (*FileHotspots, error) {
	f := &FileHotspots{Messages: len(in), row: make(map[string]int, len(in)), msgs: make(map[string]report.HotspotMessage, len(in))}
	docs := make([]textproc.ClusterDoc, len(in))
	for i, m := range in {
		if j, dup := f.row[m.ID]; dup {
			return nil, fmt.Errorf("id %q appears twice (rows %d and %d of the data)", m.ID, j+1, i+1)
		}
		f.row[m.ID] = i
		docs[i] = textproc.ClusterDoc{ID: m.ID, Text: m.Text, Caller: m.Caller, Likes: count(m.Likes), Dislikes: count(m.Dislikes)}
		shown := report.HotspotMessage{ID: m.ID, Subject: m.Subject, Text: m.Body, Likes: docs[i].Likes, Dislikes: docs[i].Dislikes}
		if o.Timed {
			at, ok := ParseMessageTime(m.Time)
			if !ok {
				f.BadTimes++
			} else {
				shown.At = at
				if at.After(f.Latest) {
					f.Latest = at
				}
			}
			docs[i].At = at
		}
		f.msgs[m.ID] = shown
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts := textproc.ClusterOptions{Threshold: o.Threshold, Legacy: o.Legacy}
	if o.Timed {
		opts.Window = o.Window
	}
	start := time.Now()
	f.Clusters = textproc.ClusterAll(docs, opts).Clusters(2)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.Took = time.Since(start).Round(time.Millisecond)
	return f, nil
}

// count reads a likes or dislikes cell: a whole number, else 0.
func count(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return max(n, 0)
}

// Members are a cluster's message ids in the file's order.
func (f *FileHotspots) Members(c textproc.Cluster) []string {
	ids := slices.Clone(c.Members)
	slices.SortFunc(ids, func(a, b string) int { return f.row[a] - f.row[b] })
	return ids
}

// Ranking ranks the hotspots by heat, the top ones only when top > 0. Heat
// is measured at the file's last message, so a file of past messages is
// ranked as it stood when it was exported (now, for a file without times).
func (f *FileHotspots) Ranking(top int, now time.Time) []textproc.Ranked {
	if !f.Latest.IsZero() {
		now = f.Latest
	}
	ranked := textproc.Rank(f.Clusters, now)
	if top > 0 && len(ranked) > top {
		ranked = ranked[:top]
	}
	return ranked
}

// Workbook is the ranking and its messages in the competition's two tables
// (report.HotspotBook).
func (f *FileHotspots) Workbook(ranked []textproc.Ranked) *report.Book {
	return report.HotspotBook(ranked, f.msgs)
}

// shanghai is China time, in which the data's times are written; fixed
// +08:00 (China has no daylight saving) so no time zone database is needed.
var shanghai = time.FixedZone("CST", 8*3600)

// ParseMessageTime reads the time formats found in hotline exports: RFC
// 3339, or a date with an optional time of day in China time.
func ParseMessageTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04:05", "2006/01/02 15:04", "2006-01-02", "2006/01/02"} {
		if t, err := time.ParseInLocation(layout, s, shanghai); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
