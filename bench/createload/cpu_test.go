package main

import (
	"context"
	"os"
	"testing"
	"time"
)

// procCPU reads this process's own CPU from /proc (the same file the
// PostgreSQL processes' CPU is read from), and it grows with work done.
func TestProcCPUGrows(t *testing.T) {
	before, ok := procCPU(os.Getpid())
	if !ok {
		t.Skip("no /proc/PID/stat on this system")
	}
	x := 0
	for start := time.Now(); time.Since(start) < 150*time.Millisecond; {
		x++
	}
	after, ok := procCPU(os.Getpid())
	if !ok || after <= before {
		t.Fatalf("CPU before %v, after %v of busy work (%d)", before, after, x)
	}
	if _, ok := procCPU(-1); ok {
		t.Fatal("a process that does not exist has a CPU time")
	}
}

// Without PostgreSQL the meter reports this process only, per operation.
func TestCPUPerOp(t *testing.T) {
	m := cpuMeter{}
	a := m.now(context.Background())
	b := cpuTimes{self: a.self + 10*time.Millisecond, db: map[int]time.Duration{}}
	if self, db := cpuPerOp(a, b, 10); self != time.Millisecond || db != 0 {
		t.Fatalf("per op: self %v, db %v; want 1ms, 0", self, db)
	}
	if self, _ := cpuPerOp(a, b, 0); self != 0 {
		t.Fatal("zero operations must not divide by zero")
	}
	a.db, b.db = map[int]time.Duration{7: time.Second}, map[int]time.Duration{7: 2 * time.Second, 8: time.Second}
	if _, db := cpuPerOp(a, b, 2); db != time.Second {
		t.Fatalf("database CPU per op %v, want 1s (1s more in pid 7, 1s in new pid 8, over 2 ops)", db)
	}
}
