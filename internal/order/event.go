package order

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// Event is one entry of an order's timeline. Its hash covers its content and
// the previous event's hash, so a changed, deleted or reordered event breaks
// the chain (hotline verify).
type Event struct {
	OrderID  string
	Seq      int
	At       time.Time
	Actor    string
	Action   string
	From     Status
	To       Status
	Body     map[string]any
	PrevHash string
	Hash     string
}

// GenesisHash is the "previous hash" of an order's first event.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the SHA-256 over the previous hash and the event's
// canonical content. The body is JSON with sorted keys (encoding/json sorts
// map keys), and times are truncated to microseconds in UTC because that is
// what both databases store.
func (e *Event) ComputeHash() string {
	body, _ := json.Marshal(e.Body)
	h := sha256.New()
	for _, part := range []string{
		e.PrevHash, e.OrderID, strconv.Itoa(e.Seq), e.At.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano),
		e.Actor, e.Action, string(e.From), string(e.To), string(body),
	} {
		h.Write([]byte(strconv.Itoa(len(part))))
		h.Write([]byte{':'})
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Seal sets the event's sequence number, previous hash and hash.
func (e *Event) Seal(seq int, prev string) {
	e.Seq = seq
	e.PrevHash = prev
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Hash = e.ComputeHash()
}

// Break describes the first problem found in a chain.
type Break struct {
	Seq    int
	Reason string
}

// VerifyChain checks a timeline in sequence order: consecutive sequence
// numbers from 1, each event's prev hash equal to the previous hash, and each
// hash matching the content. It returns nil when the chain is intact.
func VerifyChain(events []Event) *Break {
	prev := GenesisHash
	for i, e := range events {
		if e.Seq != i+1 {
			return &Break{Seq: e.Seq, Reason: "sequence gap or reorder: expected " + strconv.Itoa(i+1)}
		}
		if e.PrevHash != prev {
			return &Break{Seq: e.Seq, Reason: "previous-hash link broken (an event before it was changed, deleted or moved)"}
		}
		if e.ComputeHash() != e.Hash {
			return &Break{Seq: e.Seq, Reason: "content does not match its hash (the event, or the one before it, was changed)"}
		}
		prev = e.Hash
	}
	return nil
}
