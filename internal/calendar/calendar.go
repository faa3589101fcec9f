// Package calendar is China's working-day calendar, used to turn "N working
// days" into a deadline (see the working-day rule in the workflow spec).
//
// A working day is a Monday–Friday that is not an official holiday off day,
// or a Saturday/Sunday that the State Council declared a make-up working day
// (调休, tiáoxiū: the weekend day "lent" to lengthen a holiday and worked
// instead). Ordinary weekends are not listed anywhere; only the special days
// are, so an empty Calendar is simply the plain Monday–Friday week.
//
// Days are always counted in Asia/Shanghai, whatever the location of the
// time.Time handed in: an order received at 2026-01-01T17:00:00Z arrived on
// 2 January in China, and that is the day the rule looks at.
//
// The package does no I/O of its own: year files come from an io.Reader or
// from the holiday-cn data embedded at build time (holidays/, MIT licence,
// upstream commit in holidays/UPSTREAM_COMMIT). Admins can add, correct and
// remove days and load a new year's file at run time, so a Calendar is safe
// for concurrent use.
package calendar

import (
	"cmp"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"sync"
	"time"

	_ "time/tzdata" // so Asia/Shanghai resolves even on hosts without zoneinfo
)

// Shanghai is the Asia/Shanghai location all working days are counted in.
// time/tzdata is linked in, so the fallback (a fixed UTC+8 zone, which is the
// same thing since China dropped daylight saving time in 1991) is only a
// belt-and-braces measure.
var Shanghai = loadShanghai()

func loadShanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Day is one special day of the official schedule.
type Day struct {
	Date string `json:"date"` // YYYY-MM-DD, a calendar day in China
	Name string `json:"name"` // the holiday it belongs to, e.g. 春节 or 国庆节
	// OffDay is true for a holiday off day and false for a make-up working
	// day (调休) – usually a Saturday or Sunday that is worked.
	OffDay bool `json:"off_day"`
}

// entry is a special day keyed by its day number, so lookups and arithmetic
// never have to parse or format a date string.
type entry struct {
	day int64 // days since 1970-01-01
	Day
}

// Calendar is a set of special days on top of the plain Monday–Friday week.
// The zero value is an empty calendar, like New. All methods are safe for
// concurrent use.
type Calendar struct {
	mu sync.RWMutex
	// days is sorted by day and never modified in place: writers build a new
	// slice and swap it in, which keeps LoadYear all-or-nothing.
	days []entry
}

// New returns an empty calendar: every Monday–Friday is a working day and
// every Saturday and Sunday is not, until days are loaded or set.
func New() *Calendar {
	return &Calendar{}
}

//go:embed holidays/*.json holidays/LICENSE holidays/UPSTREAM_COMMIT
var embedded embed.FS

// yearFile matches the embedded year files (and not schema.json).
var yearFile = regexp.MustCompile(`^[0-9]{4}\.json$`)

// Embedded returns a calendar loaded with every year file embedded in the
// binary (holiday-cn, 2007 onwards). Files are merged by date in name order.
// An error means the embedded data is broken, i.e. a bad build.
func Embedded() (*Calendar, error) {
	c := New()
	names, err := fs.Glob(embedded, "holidays/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		if !yearFile.MatchString(path.Base(name)) {
			continue
		}
		f, err := embedded.Open(name)
		if err != nil {
			return nil, err
		}
		_, err = c.LoadYear(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("calendar: embedded %s: %w", name, err)
		}
	}
	return c, nil
}

// maxYearFile bounds how much LoadYear reads: a real year file is a few
// kilobytes, and an admin upload should not be able to exhaust memory.
const maxYearFile = 4 << 20

// yearDoc is the holiday-cn year file. Pointers tell a missing field from a
// zero one: a day without "isOffDay" must be rejected, not silently read as
// a make-up working day.
type yearDoc struct {
	Year *int `json:"year"`
	Days *[]struct {
		Name     *string `json:"name"`
		Date     *string `json:"date"`
		IsOffDay *bool   `json:"isOffDay"`
	} `json:"days"`
}

// LoadYear reads one year file in the holiday-cn format
// ({"year": 2026, "papers": [...], "days": [{"name", "date", "isOffDay"}]})
// and merges its days into the calendar by date. The file's year is not used
// as a key because a file can hold dates of the neighbouring year
// (2019.json announces 2018-12-29..31). Loaded days replace any day already
// known for the same date, including an earlier admin override.
//
// It returns the number of distinct dates loaded (a file listing a date
// twice keeps the last entry). On any error – unreadable input, invalid
// JSON, a missing field, a bad date – the calendar is left unchanged.
func (c *Calendar) LoadYear(r io.Reader) (int, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxYearFile+1))
	if err != nil {
		return 0, fmt.Errorf("calendar: read year file: %w", err)
	}
	if len(data) > maxYearFile {
		return 0, fmt.Errorf("calendar: year file larger than %d bytes", maxYearFile)
	}
	var doc yearDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return 0, fmt.Errorf("calendar: year file: %w", err)
	}
	if doc.Year == nil {
		return 0, errors.New(`calendar: year file: missing "year"`)
	}
	if doc.Days == nil {
		return 0, errors.New(`calendar: year file: missing "days"`)
	}
	byDay := make(map[int64]entry, len(*doc.Days))
	for i, d := range *doc.Days {
		if d.Name == nil || d.Date == nil || d.IsOffDay == nil {
			return 0, fmt.Errorf(`calendar: year file: days[%d]: "name", "date" and "isOffDay" are required`, i)
		}
		day, err := parseDate(*d.Date)
		if err != nil {
			return 0, fmt.Errorf("calendar: year file: days[%d]: %w", i, err)
		}
		byDay[day] = entry{day: day, Day: Day{Date: *d.Date, Name: *d.Name, OffDay: *d.IsOffDay}}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	merged := make([]entry, 0, len(c.days)+len(byDay))
	for _, e := range c.days {
		if _, replaced := byDay[e.day]; !replaced {
			merged = append(merged, e)
		}
	}
	for _, e := range byDay {
		merged = append(merged, e)
	}
	slices.SortFunc(merged, func(a, b entry) int { return cmp.Compare(a.day, b.day) })
	c.days = merged
	return len(byDay), nil
}

// Set adds a special day or corrects an existing one (admin override, e.g.
// a local government's extra day off, or next year's schedule before its
// file is available). The date must be a valid YYYY-MM-DD.
func (c *Calendar) Set(d Day) error {
	day, err := parseDate(d.Date)
	if err != nil {
		return fmt.Errorf("calendar: set: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	i, found := c.search(day)
	next := make([]entry, 0, len(c.days)+1)
	next = append(next, c.days[:i]...)
	next = append(next, entry{day: day, Day: d})
	if found {
		i++
	}
	next = append(next, c.days[i:]...)
	c.days = next
	return nil
}

// Remove drops a special day, so the date falls back to the plain week rule.
// Removing a date that is not special is not an error (the result is the
// same); only a malformed date is.
func (c *Calendar) Remove(date string) error {
	day, err := parseDate(date)
	if err != nil {
		return fmt.Errorf("calendar: remove: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	i, found := c.search(day)
	if !found {
		return nil
	}
	next := make([]entry, 0, len(c.days)-1)
	next = append(next, c.days[:i]...)
	next = append(next, c.days[i+1:]...)
	c.days = next
	return nil
}

// Days returns the special days (off days and 调休 working days) whose date
// falls in the given year, sorted by date. Ordinary weekends are not listed.
func (c *Calendar) Days(year int) []Day {
	first := dayNumber(year, time.January, 1)
	last := dayNumber(year, time.December, 31)
	c.mu.RLock()
	defer c.mu.RUnlock()
	lo, _ := c.search(first)
	var out []Day
	for _, e := range c.days[lo:] {
		if e.day > last {
			break
		}
		out = append(out, e.Day)
	}
	return out
}

// IsWorkingDay reports whether the calendar day of t in Asia/Shanghai is a
// working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	day := shanghaiDay(t)
	c.mu.RLock()
	defer c.mu.RUnlock()
	if i, found := c.search(day); found {
		return !c.days[i].OffDay
	}
	return isWeekday(day)
}

// maxAdd caps n in AddWorkingDays so the day arithmetic cannot overflow; it
// is millions of years, far beyond any real deadline.
const maxAdd = 1 << 30

// AddWorkingDays implements the deadline rule: it returns the end
// (23:59:59 Asia/Shanghai) of the n-th working day after the calendar day of
// t. The day of t itself never counts, whatever the hour and whether or not
// it is a working day: in a plain week, an order received on Friday at 08:00
// and one received on Sunday at 23:00 are both due at Monday 23:59:59 for
// n = 1.
//
// For n <= 0 there is no working day to count and t is returned unchanged
// (not converted to Shanghai). n above 2^30 is treated as 2^30 so the day
// arithmetic cannot overflow. The result is in the Shanghai location.
//
// The cost is proportional to the number of special days passed, not to n:
// stretches of plain weeks are skipped arithmetically, and nothing is
// allocated.
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	if n <= 0 {
		return t
	}
	if n > maxAdd {
		n = maxAdd
	}
	cur := shanghaiDay(t)
	left := int64(n)

	c.mu.RLock()
	i, found := c.search(cur)
	if found {
		i++ // the day of t never counts
	}
	for ; i < len(c.days); i++ {
		s := c.days[i]
		// Plain weekdays strictly between cur and the next special day.
		plain := weekdaysThrough(s.day-1) - weekdaysThrough(cur)
		if left <= plain {
			break // the deadline falls before s
		}
		left -= plain
		cur = s.day
		if !s.OffDay {
			left--
			if left == 0 {
				c.mu.RUnlock()
				return endOfDay(cur)
			}
		}
	}
	c.mu.RUnlock()
	return endOfDay(addWeekdays(cur, left))
}

// WorkingDaysBetween counts the working days strictly after the calendar day
// of from, up to and including the calendar day of to (both in Shanghai): the
// inverse of AddWorkingDays, e.g. to measure how many working days an order
// took. It is 0 when to's day is not after from's.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	a, b := shanghaiDay(from), shanghaiDay(to)
	if b <= a {
		return 0
	}
	n := weekdaysThrough(b) - weekdaysThrough(a)
	c.mu.RLock()
	defer c.mu.RUnlock()
	i, found := c.search(a)
	if found {
		i++
	}
	for ; i < len(c.days) && c.days[i].day <= b; i++ {
		e := c.days[i]
		switch weekday := isWeekday(e.day); {
		case weekday && e.OffDay:
			n--
		case !weekday && !e.OffDay:
			n++
		}
	}
	return int(n)
}

// search finds day in c.days: the index of the first entry not before it,
// and whether that entry is the day itself. The caller holds c.mu.
func (c *Calendar) search(day int64) (int, bool) {
	return slices.BinarySearchFunc(c.days, day, func(e entry, d int64) int { return cmp.Compare(e.day, d) })
}

// parseDate checks a strict YYYY-MM-DD date (two-digit month and day, real
// day of month) and returns its day number.
func parseDate(s string) (int64, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("bad date %q: want YYYY-MM-DD", s)
	}
	return t.Unix() / secondsPerDay, nil
}

const secondsPerDay = 24 * 60 * 60

// dayNumber is the number of days from 1970-01-01 to the given date.
func dayNumber(year int, month time.Month, day int) int64 {
	// Midnight UTC is an exact multiple of a day, so the division is exact
	// even before 1970.
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
}

// shanghaiDay is the day number of t's calendar day in China.
func shanghaiDay(t time.Time) int64 {
	y, m, d := t.In(Shanghai).Date()
	return dayNumber(y, m, d)
}

// endOfDay is 23:59:59 Shanghai time on the given day.
func endOfDay(day int64) time.Time {
	y, m, d := time.Unix(day*secondsPerDay, 0).UTC().Date()
	return time.Date(y, m, d, 23, 59, 59, 0, Shanghai)
}

// mondayDay is the day number of Monday 1969-12-29, the origin of the
// weekday arithmetic below.
const mondayDay = -3

// isWeekday reports whether the day is a Monday–Friday.
func isWeekday(day int64) bool {
	return floorMod(day-mondayDay, 7) < 5
}

// weekdaysThrough counts Monday–Fridays from mondayDay up to and including
// day (negative before it). Only differences are meaningful:
// weekdaysThrough(b) - weekdaysThrough(a) is the number of Monday–Fridays
// in (a, b].
func weekdaysThrough(day int64) int64 {
	k := day - mondayDay
	return floorDiv(k, 7)*5 + min(floorMod(k, 7)+1, 5)
}

// addWeekdays returns the n-th Monday–Friday after day (n >= 1), ignoring
// special days.
func addWeekdays(day, n int64) int64 {
	target := weekdaysThrough(day) + n - 1 // 0-based index of the weekday
	return mondayDay + floorDiv(target, 5)*7 + floorMod(target, 5)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	return a - floorDiv(a, b)*b
}
