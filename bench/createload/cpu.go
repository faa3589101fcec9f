package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU accounting: what one operation costs in CPU, in this process (the
// server and the load's clients; on SQLite the database too) and in the
// PostgreSQL server's processes. On a machine whose CPUs are all busy, the
// rate is bounded by (CPUs / CPU per operation), whatever the code's
// latency: this is the figure that says how far a rate can go here.

// cpuTimes is the CPU used so far by this process and by the PostgreSQL
// server processes we know of, by pid.
type cpuTimes struct {
	self time.Duration
	db   map[int]time.Duration
}

// cpuMeter takes cpuTimes snapshots. pg is nil on SQLite.
type cpuMeter struct{ pg *sql.DB }

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go runs on.
const clockTicks = 100

func (m cpuMeter) now(ctx context.Context) cpuTimes {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	t := cpuTimes{self: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), db: map[int]time.Duration{}}
	if m.pg == nil {
		return t
	}
	// Every backend and background process of this cluster (and only of
	// this cluster: another PostgreSQL on the machine is not counted).
	rows, err := m.pg.QueryContext(ctx, `SELECT pid FROM pg_stat_activity`)
	if err != nil {
		return t
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			if d, ok := procCPU(pid); ok {
				t.db[pid] = d
			}
		}
	}
	return t
}

// procCPU reads a process's user+system CPU from /proc/PID/stat.
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 { // f[0] is field 3 (state); utime and stime are fields 14 and 15
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	k, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+k) * time.Second / clockTicks, true
}

// cpuPerOp is the CPU an operation took between two snapshots, in this
// process and in the database server. A database process that started in
// between counts from zero; one that ended in between is lost (the pools
// keep their connections, so there are few of either).
func cpuPerOp(a, b cpuTimes, ops int) (self, db time.Duration) {
	if ops <= 0 {
		return 0, 0
	}
	var d time.Duration
	for pid, t := range b.db {
		d += t - a.db[pid]
	}
	return (b.self - a.self) / time.Duration(ops), d / time.Duration(ops)
}

func (m cpuMeter) line(a, b cpuTimes, ops int) string {
	self, db := cpuPerOp(a, b, ops)
	us := func(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d)/1e3) }
	if m.pg == nil {
		return "CPU/op " + us(self) + " (this process, database included)"
	}
	return fmt.Sprintf("CPU/op %s = %s this process + %s PostgreSQL", us(self+db), us(self), us(db))
}
