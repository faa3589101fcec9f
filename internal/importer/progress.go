package importer

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// CountingReader counts the bytes read through it (for the progress bar).
type CountingReader struct {
	R io.Reader
	n atomic.Int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// N is the number of bytes read so far.
func (c *CountingReader) N() int64 { return c.n.Load() }

// IsTerminal reports whether w is a terminal (a character device), where a
// progress bar may redraw itself.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Bar draws "[=====>    ]  45%  45,000 orders  12,345/s" on one terminal
// line, redrawn every 200 ms from the bytes read of the file.
type Bar struct {
	w     io.Writer
	read  func() int64
	total int64
	start time.Time
	mu    sync.Mutex
	stats Stats
	stop  chan struct{}
	done  chan struct{}
}

// StartBar starts drawing; total is the file size (0 if unknown).
func StartBar(w io.Writer, read func() int64, total int64) *Bar {
	b := &Bar{w: w, read: read, total: total, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				b.draw()
				fmt.Fprintln(b.w)
				return
			case <-t.C:
				b.draw()
			}
		}
	}()
	return b
}

// Update records the latest counts.
func (b *Bar) Update(s Stats) {
	b.mu.Lock()
	b.stats = s
	b.mu.Unlock()
}

// Stop draws the last state and ends the line.
func (b *Bar) Stop() {
	close(b.stop)
	<-b.done
}

func (b *Bar) draw() {
	b.mu.Lock()
	s := b.stats
	b.mu.Unlock()
	frac := 0.0
	if b.total > 0 {
		frac = min(1, float64(b.read())/float64(b.total))
	}
	const width = 30
	full := int(frac * width)
	bar := strings.Repeat("=", full)
	if full < width {
		bar += ">" + strings.Repeat(" ", width-full-1)
	}
	rate := 0.0
	if el := time.Since(b.start).Seconds(); el > 0 {
		rate = float64(s.Imported+s.Existing) / el
	}
	fmt.Fprintf(b.w, "\r[%s] %3.0f%%  %s imported  %s skipped  %s/s ", bar, frac*100, group(s.Imported), group(s.Skipped()), group(int(rate)))
}

// group writes 12345 as 12,345.
func group(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
