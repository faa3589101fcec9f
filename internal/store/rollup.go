package store

import (
	"time"
)

// Rollups (issue 5): the dashboards read pre-aggregated counters instead of
// scanning orders. Every counter is a sum, over orders or over callbacks, of
// a function of the order's *current* row (its current unit, status, round
// times and deadlines) — exactly the terms of the brute-force scan in
// MetricsScan. So each write keeps them exact by subtracting the order's old
// contribution and adding its new one, in the same transaction as the action
// (rollupCreate from CreateOrder, rollupUpdate from UpdateOrder). The one
// time-dependent term, "due has passed without a reply", is not stored: the
// rollup counts replied orders and MetricsRollup adds, at read time, the
// unreplied counted orders whose due < now through the small partial index
// orders_unreplied.
//
// Keys: the Asia/Shanghai day (day number since 1970-01-01, Shanghai has no
// daylight saving), the unit ("" for the center), the category and the type.

const (
	dayMicros    = int64(86400_000_000)
	shanghaiOffs = int64(8 * 3600_000_000)
)

// DayOf is the Asia/Shanghai day number of a time.
func DayOf(t time.Time) int64 { return dayOfMicros(t.UnixMicro()) }

func dayOfMicros(us int64) int64 {
	v := us + shanghaiOffs
	d := v / dayMicros
	if v%dayMicros < 0 {
		d--
	}
	return d
}

// DayStart is the first instant of a Shanghai day number (in UTC).
func DayStart(day int64) time.Time { return time.UnixMicro(day*dayMicros - shanghaiOffs).UTC() }

// DayDate formats a day number as YYYY-MM-DD.
func DayDate(day int64) string { return time.Unix(day*86400, 0).UTC().Format("2006-01-02") }

// exactDay returns the day number of t when t is a Shanghai midnight.
func exactDay(t time.Time) (int64, bool) {
	d := DayOf(t)
	return d, DayStart(d).Equal(t)
}

// rates vector positions.
const (
	rDispatched = iota
	rResponded
	rReplied
	rOnTime
	rClosed
	rReopened
	rCallbacks
	rCbResolved
	rCbSatisfied
	rN
)

var rateCols = [rN]string{"dispatched", "responded", "replied", "on_time", "closed", "reopened", "callbacks", "cb_resolved", "cb_satisfied"}

// monthStart is the day number of the first day of the (Shanghai calendar)
// month holding day.
func monthStart(day int64) int64 {
	t := time.Unix(day*86400, 0).UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// nextMonth is the day number of the first day of the month after day's.
func nextMonth(day int64) int64 {
	t := time.Unix(monthStart(day)*86400, 0).UTC()
	return t.AddDate(0, 1, 0).Unix() / 86400
}
