package textproc

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// scanNear is the plain scan a repSet must agree with.
func scanNear(hashes []uint64, h uint64) bool {
	for _, r := range hashes {
		if bits.OnesCount64(r^h) <= copyBits {
			return true
		}
	}
	return false
}

// flip returns h with n distinct random bits flipped.
func flip(r *rand.Rand, h uint64, n int) uint64 {
	for _, b := range r.Perm(64)[:n] {
		h ^= 1 << b
	}
	return h
}

// TestRepSetMatchesScan: a cluster's joins decide copy or not the same
// with the quarter index as with the scan, message after message, for
// new texts, copies (1–3 bits away from a representative) and near misses
// (4–6 bits away), before and after the index is built (repScan).
func TestRepSetMatchesScan(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 3))
	var set repSet
	var ref []uint64
	copies, misses := 0, 0
	for i := range 20000 {
		h, flipped := r.Uint64(), 0
		if len(ref) > 0 && i%3 != 0 {
			flipped = 1 + r.IntN(6)
			h = flip(r, ref[r.IntN(len(ref))], flipped)
		}
		want := scanNear(ref, h)
		if got := set.near(h); got != want {
			t.Fatalf("message %d (%d representatives): near %v, the scan %v", i, len(ref), got, want)
		}
		if want {
			copies++
			continue
		}
		if flipped > copyBits {
			misses++
		}
		set.add(h)
		ref = append(ref, h)
	}
	if set.len() != len(ref) || set.quarters == nil || copies == 0 || misses == 0 {
		t.Fatalf("%d representatives (%d in the scan), indexed %v, %d copies, %d near misses", set.len(), len(ref), set.quarters != nil, copies, misses)
	}
}

// BenchmarkRepSetNear: a join's copy check against a cluster of n distinct
// messages, indexed by quarters (repSet) and scanned (the code before).
func BenchmarkRepSetNear(b *testing.B) {
	for _, n := range []int{100, 30000} {
		r := rand.New(rand.NewPCG(1, 2))
		var set repSet
		var ref []uint64
		for range n {
			h := r.Uint64()
			set.add(h)
			ref = append(ref, h)
		}
		queries := make([]uint64, 1024)
		for i := range queries {
			queries[i] = flip(r, ref[r.IntN(len(ref))], 4) // near misses: the scan's worst case
		}
		b.Run(fmt.Sprintf("distinct=%d/quarters", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				set.near(queries[i%len(queries)])
				i++
			}
		})
		b.Run(fmt.Sprintf("distinct=%d/scan", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				scanNear(ref, queries[i%len(queries)])
				i++
			}
		})
	}
}
