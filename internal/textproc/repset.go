package textproc

import "math/bits"

// repSet holds a cluster's representative SimHashes (its members that are
// not copies of another) and answers whether a hash is within copyBits of
// one of them. A small set is scanned; past repScan hashes it is indexed by
// the four 16-bit quarters of each hash. Two hashes within copyBits < 4 bits
// of each other agree on at least one whole quarter (four quarters, at most
// three of them touched), so looking only at the hashes sharing one of the
// query's quarters finds every near one: the same answer as the scan, without
// a big cluster's every join paying for each distinct message it holds
// (issue 19: a mass complaint told in thousands of different words).
type repSet struct {
	hashes   []uint64
	quarters *[4]map[uint16][]int32 // nil until len(hashes) > repScan
}

// repScan is how many hashes a repSet scans before it indexes them.
const repScan = 64

// The quarters find every near hash only while copyBits < 4.
const _ = uint(3 - copyBits)

// near reports whether a hash in the set is within copyBits of h.
func (s *repSet) near(h uint64) bool {
	if s.quarters == nil {
		for _, r := range s.hashes {
			if bits.OnesCount64(r^h) <= copyBits {
				return true
			}
		}
		return false
	}
	for q := range 4 {
		for _, i := range s.quarters[q][uint16(h>>(16*q))] {
			if bits.OnesCount64(s.hashes[i]^h) <= copyBits {
				return true
			}
		}
	}
	return false
}

// add puts h in the set.
func (s *repSet) add(h uint64) {
	s.hashes = append(s.hashes, h)
	switch {
	case s.quarters != nil:
		s.index(len(s.hashes) - 1)
	case len(s.hashes) > repScan:
		s.quarters = &[4]map[uint16][]int32{}
		for q := range s.quarters {
			s.quarters[q] = make(map[uint16][]int32)
		}
		for i := range s.hashes {
			s.index(i)
		}
	}
}

func (s *repSet) index(i int) {
	h := s.hashes[i]
	for q := range 4 {
		k := uint16(h >> (16 * q))
		s.quarters[q][k] = append(s.quarters[q][k], int32(i))
	}
}

// len returns how many hashes the set holds.
func (s *repSet) len() int { return len(s.hashes) }
