package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"

	"hotline/internal/apperr"
	"hotline/internal/sqldb"
)

// The view log: on PostgreSQL, where a store given a file (UseViewJournal;
// serve does by default) keeps the audited views it answers before they
// move into PostgreSQL's audit_log. An append-only file on this machine:
//
//	header:  "HLVIEWS1" | id (16 bytes) | base (int64) | len (uint16) | database | CRC-32C of the above
//	records: len (uint32) | CRC-32C of the payload (uint32) | payload
//	payload: rows (uvarint), then per row at (varint, µs), actor, action, target, detail (uvarint length + bytes)
//
// A batch of views is one record, one write(2) — a view committed to
// PostgreSQL cost the server an INSERT and a commit and us a round trip,
// and one committed to a SQLite file of its own cost us ~45 µs in SQLite's
// pager; neither let a dispatcher's fetch reach 0.8 of a leader's (issue
// 19's tenth round, docs/benchmarks.md). A record is in the operating
// system's cache when write returns — kept if the process is killed — and
// on disk within sqldb.LazyFlushWithin (a FileSyncer).
//
// A move (move) reads the records after the mark — the log position up to
// which rows were moved, kept in PostgreSQL's settings under
// audit_journal_moved:ID and written in the same transaction as the rows —
// copies them into audit_log, and then empties the file, writing a header
// whose base is the position reached, so positions only grow and a kill
// between the commit and the emptying moves nothing twice. Appends and
// moves hold an exclusive flock on the file (and a mutex in the process):
// two servers started in one folder share the file safely. A record torn by
// a power cut is cut off when the file is next opened.
type viewLog struct {
	path   string
	owner  string // the database's identity (sqldb.Identity)
	mu     sync.Mutex
	f      *os.File
	syncr  *sqldb.FileSyncer
	closed bool // under mu
}

const (
	viewLogMagic    = "HLVIEWS1"
	viewLogMaxOwner = 1024
	viewLogMaxRec   = 64 << 20 // a record longer than this is damage, not views
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// logHeader is the start of the file.
type logHeader struct {
	id    [16]byte
	base  int64 // the log position of the first record in the file
	owner string
	size  int // bytes
}

func (h logHeader) key() string { return journalMark + ":" + hex.EncodeToString(h.id[:]) }

func encodeLogHeader(h logHeader) []byte {
	b := append([]byte(viewLogMagic), h.id[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(h.base))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h.owner)))
	b = append(b, h.owner...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

var errLogHeader = errors.New("not a view log, or its header is damaged")

func parseLogHeader(b []byte) (logHeader, error) {
	var h logHeader
	const fixed = len(viewLogMagic) + 16 + 8 + 2
	if len(b) < fixed+4 || string(b[:len(viewLogMagic)]) != viewLogMagic {
		return h, errLogHeader
	}
	n := int(binary.LittleEndian.Uint16(b[fixed-2:]))
	if n > viewLogMaxOwner || len(b) < fixed+n+4 {
		return h, errLogHeader
	}
	if crc32.Checksum(b[:fixed+n], castagnoli) != binary.LittleEndian.Uint32(b[fixed+n:]) {
		return h, errLogHeader
	}
	copy(h.id[:], b[len(viewLogMagic):])
	h.base = int64(binary.LittleEndian.Uint64(b[len(viewLogMagic)+16:]))
	h.owner = string(b[fixed : fixed+n])
	h.size = fixed + n + 4
	if h.base < 0 {
		return h, errLogHeader
	}
	return h, nil
}

// encodeLogRecord makes one record of audit rows (at, actor, action,
// target, detail).
func encodeLogRecord(rows [][]any) []byte {
	p := make([]byte, 8, 8+64*len(rows))
	p = binary.AppendUvarint(p, uint64(len(rows)))
	for _, r := range rows {
		p = binary.AppendVarint(p, r[0].(int64))
		for _, v := range r[1:] {
			s := v.(string)
			p = binary.AppendUvarint(p, uint64(len(s)))
			p = append(p, s...)
		}
	}
	binary.LittleEndian.PutUint32(p[0:], uint32(len(p)-8))
	binary.LittleEndian.PutUint32(p[4:], crc32.Checksum(p[8:], castagnoli))
	return p
}

// parseLogRecords reads the whole records at the start of b: their rows,
// and how many bytes they take (the rest is a torn or damaged tail, or
// nothing).
func parseLogRecords(b []byte) (rows [][]any, valid int) {
	for len(b)-valid >= 8 {
		n := int(binary.LittleEndian.Uint32(b[valid:]))
		if n > viewLogMaxRec || len(b)-valid-8 < n {
			break
		}
		p := b[valid+8 : valid+8+n]
		if crc32.Checksum(p, castagnoli) != binary.LittleEndian.Uint32(b[valid+4:]) {
			break
		}
		got, ok := parseLogPayload(p)
		if !ok {
			break
		}
		rows = append(rows, got...)
		valid += 8 + n
	}
	return rows, valid
}

func parseLogPayload(p []byte) ([][]any, bool) {
	count, k := binary.Uvarint(p)
	if k <= 0 || count > uint64(len(p)) { // every row takes at least a byte
		return nil, false
	}
	p = p[k:]
	rows := make([][]any, 0, count)
	for range count {
		at, k := binary.Varint(p)
		if k <= 0 {
			return nil, false
		}
		p = p[k:]
		row := []any{at}
		for range 4 {
			n, k := binary.Uvarint(p)
			if k <= 0 || n > uint64(len(p)-k) {
				return nil, false
			}
			row = append(row, string(p[k:k+int(n)]))
			p = p[k+int(n):]
		}
		rows = append(rows, row)
	}
	return rows, len(p) == 0
}

// openViewLog opens (or makes) the view log at path for the database
// owner, and cuts off a torn tail. A log made for another database is
// refused; so is a file that is not a view log.
func openViewLog(path, owner string) (*viewLog, error) {
	if len(owner) > viewLogMaxOwner {
		owner = owner[:viewLogMaxOwner]
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, apperr.Wrap(err, "create the view log's folder %s", dir)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, apperr.Wrap(err, "open the view log %s", path)
	}
	l := &viewLog{path: path, owner: owner, f: f}
	err = l.locked(func() error {
		data, h, err := l.read()
		switch {
		case errors.Is(err, io.EOF): // a new file, or emptied by a move killed before its header
			return l.newHeader()
		case err != nil:
			return err
		case h.owner != owner:
			return apperr.New(apperr.Invalid, "the view log %s holds the views of the database %s, not of %s: give this database a log of its own", path, h.owner, owner)
		}
		if _, valid := parseLogRecords(data[h.size:]); h.size+valid < len(data) {
			return f.Truncate(int64(h.size + valid)) // a record torn by a power cut
		}
		return nil
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	l.syncr = sqldb.NewFileSyncer(path)
	return l, nil
}

// locked runs fn holding the log: the process's mutex and the file's flock.
func (l *viewLog) locked(fn func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return apperr.New(apperr.Internal, "the view log %s is closed", l.path)
	}
	if err := lockFile(l.f); err != nil {
		return apperr.Wrap(err, "lock the view log %s", l.path)
	}
	defer unlockFile(l.f)
	return fn()
}

// read reads the whole file and its header; io.EOF for an empty file.
func (l *viewLog) read() ([]byte, logHeader, error) {
	st, err := l.f.Stat()
	if err != nil {
		return nil, logHeader{}, err
	}
	if st.Size() == 0 {
		return nil, logHeader{}, io.EOF
	}
	data := make([]byte, st.Size())
	if _, err := l.f.ReadAt(data, 0); err != nil {
		return nil, logHeader{}, err
	}
	h, err := parseLogHeader(data)
	if err != nil {
		return nil, h, apperr.New(apperr.Internal, "the view log %s: %v; move it aside and tell the people who keep the audit log", l.path, err)
	}
	return data, h, nil
}

// reset empties the file and writes h as its header, durably.
func (l *viewLog) reset(h logHeader) error {
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	if _, err := l.f.Write(encodeLogHeader(h)); err != nil {
		return err
	}
	return l.f.Sync()
}

// newHeader gives an empty file a header with a new id (so a new mark)
// and base 0.
func (l *viewLog) newHeader() error {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return err
	}
	return l.reset(logHeader{id: id, owner: l.owner})
}

// append writes a batch of views as one record. A file left empty (a move
// whose header write failed, say on a full disk) gets a header first.
func (l *viewLog) append(rows [][]any) error {
	rec := encodeLogRecord(rows)
	err := l.locked(func() error {
		if st, err := l.f.Stat(); err != nil {
			return err
		} else if st.Size() == 0 {
			if err := l.newHeader(); err != nil {
				return err
			}
		}
		_, err := l.f.Write(rec)
		return err
	})
	if err != nil {
		return apperr.Wrap(err, "write the view log %s", l.path)
	}
	l.syncr.Kick()
	return nil
}

// move moves the log's rows past the mark into the database (commit, with
// the new mark in the same transaction), then empties the file.
func (l *viewLog) move(ctx context.Context, s *Store) error {
	return l.locked(func() error {
		data, h, err := l.read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		recs := data[h.size:]
		mark, err := s.markAt(ctx, h.key())
		if err != nil {
			return err
		}
		start := min(max(mark-h.base, 0), int64(len(recs)))
		rows, valid := parseLogRecords(recs[start:])
		end := h.base + start + int64(valid)
		if len(rows) > 0 {
			if err := s.commitMoved(ctx, h.key(), rows, end); err != nil {
				return err
			}
		}
		if end == h.base+int64(len(recs)) && len(recs) > 0 {
			h.base = end
			return l.reset(h)
		}
		return nil
	})
}

// close stops the syncer (a last fsync) and closes the file; once.
func (l *viewLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	l.syncr.Close()
	return l.f.Close()
}
