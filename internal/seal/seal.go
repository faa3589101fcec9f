// Package seal keeps personal data encrypted at rest (community.md §1 "At
// rest"): ID numbers, phones, notes and campaign answers are sealed with
// authenticated encryption before they reach a database, and found again
// exactly through a blind index, a keyed hash that never needs a decryption.
//
// The cryptography is Google's Tink (keysets, key rotation, AEAD, PRF), not
// primitives assembled here: a key file holds two Tink keysets,
//
//   - "aead": AES-256-GCM keys; the primary seals, every key opens. Rotation
//     adds a new primary and keeps the old keys, so rows sealed yesterday stay
//     readable while a background job re-seals them (see Resealer).
//   - "index": one HMAC-SHA256 PRF key for the blind index. It is never
//     rotated with the AEAD keys: rotating it would change every stored index
//     at once and lose every exact lookup until all rows were rewritten.
//
// The package does no database I/O; it reads only the key file it is given.
package seal

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/prf"
	tinkpb "github.com/tink-crypto/tink-go/v2/proto/tink_go_proto"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// IndexSize is the length of a blind index in bytes. 128 bits keep
// accidental collisions out of reach for any registry while halving the
// index's size against the full HMAC output.
const IndexSize = 16

// ReloadEvery is how often a Keys loaded from a file looks at the file's
// modification time when it is used, so that a server running on it picks up
// `hotline keys rotate` within seconds without a restart.
const ReloadEvery = 2 * time.Second

// maxKeyFile bounds what Parse accepts; a real key file is a few kilobytes.
const maxKeyFile = 1 << 20

const (
	aesGCMTypeURL  = "type.googleapis.com/google.crypto.tink.AesGcmKey"
	hmacPRFTypeURL = "type.googleapis.com/google.crypto.tink.HmacPrfKey"
	// tinkPrefix is the first byte of a ciphertext made by a key with Tink's
	// output prefix; the next four bytes are the key id.
	tinkPrefix = 0x01
	prefixSize = 5
)

// ErrOpen is returned by Open for any ciphertext it cannot open: a wrong
// context, tampering, truncation or a key this key file does not hold. The
// reasons are deliberately not told apart.
var ErrOpen = errors.New("seal: cannot open the sealed value (wrong context, tampered, or unknown key)")

// ErrNoKey is what a module that keeps personal data returns when it is
// given no key: there is no plaintext fallback.
var ErrNoKey = errors.New("no data key: personal data is kept encrypted; give HOTLINE_DATA_KEY or --data-key-file (create one with `hotline keys generate --out FILE`)")

// file is the JSON of a key file. Both keysets are Tink's own JSON keyset
// format, kept as raw JSON so that Tink reads exactly what it wrote.
type file struct {
	Format string          `json:"format"`
	AEAD   json.RawMessage `json:"aead"`
	Index  json.RawMessage `json:"index"`
}

const fileFormat = "hotline-data-key/1"

// ring is one immutable state of the keys; a reload swaps it whole.
type ring struct {
	aead    tink.AEAD
	prf     *prf.Set
	primary uint32
	ids     map[uint32]bool // every AEAD key id that can open
	indexID uint32          // the PRF key's id, which must never change under a running server
}

// Keys seals, opens and indexes personal data. It is safe for concurrent
// use; a Keys from LoadFile follows its file (see Refresh).
type Keys struct {
	cur       atomic.Pointer[ring]
	path      string
	mu        sync.Mutex // serializes reloads
	stat      os.FileInfo
	lastCheck atomic.Int64 // unix nanoseconds of the last look at the file
}

// Generate returns the content of a new key file: an AES-256-GCM AEAD keyset
// and an HMAC-SHA256 PRF keyset, as JSON. It is a secret: write it 0600.
func Generate() ([]byte, error) {
	ah, err := keyset.NewHandle(aead.AES256GCMKeyTemplate())
	if err != nil {
		return nil, fmt.Errorf("seal: new AEAD keyset: %w", err)
	}
	ph, err := keyset.NewHandle(prf.HMACSHA256PRFKeyTemplate())
	if err != nil {
		return nil, fmt.Errorf("seal: new PRF keyset: %w", err)
	}
	return encode(ah, ph)
}

func encode(ah, ph *keyset.Handle) ([]byte, error) {
	var a, p bytes.Buffer
	if err := insecurecleartextkeyset.Write(ah, keyset.NewJSONWriter(&a)); err != nil {
		return nil, fmt.Errorf("seal: write AEAD keyset: %w", err)
	}
	if err := insecurecleartextkeyset.Write(ph, keyset.NewJSONWriter(&p)); err != nil {
		return nil, fmt.Errorf("seal: write PRF keyset: %w", err)
	}
	out, err := json.MarshalIndent(file{Format: fileFormat, AEAD: a.Bytes(), Index: p.Bytes()}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// decode reads a key file's content, or its base64 (the usual form of an
// environment variable), into the two keyset handles, checking that they are
// what this package makes: AES-GCM keys with Tink's prefix (Current and the
// reload on an unknown key rely on it) and HMAC PRF keys.
func decode(content []byte) (ah, ph *keyset.Handle, err error) {
	if len(content) > maxKeyFile {
		return nil, nil, errors.New("seal: key content too large")
	}
	content = bytes.TrimSpace(content)
	if isHexSecret(content) {
		// Hex is also valid base64: read it as the secret it is, never as
		// base64 that might happen to decode to something JSON-like.
		return fromSecret(content)
	}
	if len(content) > 0 && content[0] != '{' {
		s := strings.Join(strings.Fields(string(content)), "")
		var dec []byte
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if dec, err = enc.DecodeString(s); err == nil {
				break
			}
		}
		if err != nil || !bytes.HasPrefix(bytes.TrimSpace(dec), []byte("{")) || !json.Valid(dec) {
			// Not a key file: a master secret (fromSecret).
			return fromSecret(content)
		}
		content = bytes.TrimSpace(dec)
	}
	var f file
	if err := json.Unmarshal(content, &f); err != nil {
		return nil, nil, errors.New("seal: key content is not a key file's JSON")
	}
	if f.Format != fileFormat {
		return nil, nil, fmt.Errorf("seal: key file format %q, want %q", f.Format, fileFormat)
	}
	if len(f.AEAD) == 0 || len(f.Index) == 0 {
		return nil, nil, errors.New("seal: key file needs both an \"aead\" and an \"index\" keyset")
	}
	if ah, err = insecurecleartextkeyset.Read(keyset.NewJSONReader(bytes.NewReader(f.AEAD))); err != nil {
		return nil, nil, errors.New("seal: the \"aead\" keyset cannot be read")
	}
	if ph, err = insecurecleartextkeyset.Read(keyset.NewJSONReader(bytes.NewReader(f.Index))); err != nil {
		return nil, nil, errors.New("seal: the \"index\" keyset cannot be read")
	}
	for _, ki := range ah.KeysetInfo().GetKeyInfo() {
		if ki.GetTypeUrl() != aesGCMTypeURL || ki.GetOutputPrefixType() != tinkpb.OutputPrefixType_TINK {
			return nil, nil, fmt.Errorf("seal: the \"aead\" keyset holds key %d of type %s/%s; only AES-GCM with Tink's prefix", ki.GetKeyId(), ki.GetTypeUrl(), ki.GetOutputPrefixType())
		}
	}
	for _, ki := range ph.KeysetInfo().GetKeyInfo() {
		if ki.GetTypeUrl() != hmacPRFTypeURL {
			return nil, nil, fmt.Errorf("seal: the \"index\" keyset holds key %d of type %s; only HMAC PRF", ki.GetKeyId(), ki.GetTypeUrl())
		}
	}
	return ah, ph, nil
}

func newRing(ah, ph *keyset.Handle) (*ring, error) {
	a, err := aead.New(ah)
	if err != nil {
		return nil, fmt.Errorf("seal: AEAD keyset: %w", err)
	}
	p, err := prf.NewPRFSet(ph)
	if err != nil {
		return nil, fmt.Errorf("seal: PRF keyset: %w", err)
	}
	r := &ring{aead: a, prf: p, primary: ah.KeysetInfo().GetPrimaryKeyId(), ids: map[uint32]bool{}, indexID: p.PrimaryID}
	for _, ki := range ah.KeysetInfo().GetKeyInfo() {
		if ki.GetStatus() == tinkpb.KeyStatusType_ENABLED {
			r.ids[ki.GetKeyId()] = true
		}
	}
	return r, nil
}

// Parse reads keys from a key file's content or from HOTLINE_DATA_KEY's
// value (the JSON itself, its base64, or a master secret of at least 32
// bytes from which both keys are derived: fromSecret). Such keys never
// reload.
func Parse(content []byte) (*Keys, error) {
	ah, ph, err := decode(content)
	if err != nil {
		return nil, err
	}
	r, err := newRing(ah, ph)
	if err != nil {
		return nil, err
	}
	k := &Keys{}
	k.cur.Store(r)
	return k, nil
}

// LoadFile reads keys from a key file and remembers the path: the keys
// follow the file when it changes (a rotation), see Refresh.
func LoadFile(path string) (*Keys, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("seal: data key file: %w", err)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seal: data key file: %w", err)
	}
	k, err := Parse(content)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	k.path, k.stat = path, st
	k.lastCheck.Store(time.Now().UnixNano())
	return k, nil
}

// Path is the key file these keys follow, "" when they came from content.
func (k *Keys) Path() string { return k.path }

// Refresh looks at the key file and reloads it when it changed (another
// modification time, size or inode: a rotation renames a new file over it).
// It reports whether the AEAD primary key changed. A file that no longer
// parses, or that would change the blind index key or drop a key these keys
// can open, is refused and the keys in use stay: a running server must never
// lose the ability to read what it wrote. Keys from content never change.
func (k *Keys) Refresh() (primaryChanged bool, err error) {
	if k.path == "" {
		return false, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lastCheck.Store(time.Now().UnixNano())
	st, err := os.Stat(k.path)
	if err != nil {
		return false, fmt.Errorf("seal: data key file: %w", err)
	}
	if k.stat != nil && os.SameFile(st, k.stat) && st.ModTime().Equal(k.stat.ModTime()) && st.Size() == k.stat.Size() {
		return false, nil
	}
	content, err := os.ReadFile(k.path)
	if err != nil {
		return false, fmt.Errorf("seal: data key file: %w", err)
	}
	ah, ph, err := decode(content)
	if err != nil {
		return false, fmt.Errorf("%w (file %s; keeping the keys in use)", err, k.path)
	}
	r, err := newRing(ah, ph)
	if err != nil {
		return false, err
	}
	old := k.cur.Load()
	if r.indexID != old.indexID {
		return false, fmt.Errorf("seal: %s has another blind index key; refusing it while running (every exact lookup would fail)", k.path)
	}
	for id := range old.ids {
		if !r.ids[id] {
			return false, fmt.Errorf("seal: %s no longer holds key %d; refusing it while running (restart to drop keys)", k.path, id)
		}
	}
	k.cur.Store(r)
	k.stat = st
	return r.primary != old.primary, nil
}

// maybeRefresh is the cheap check on the hot path: at most one stat per
// ReloadEvery. A failed reload keeps the keys in use; Refresh reports why.
func (k *Keys) maybeRefresh() {
	if k.path == "" {
		return
	}
	last := k.lastCheck.Load()
	now := time.Now().UnixNano()
	if now-last < int64(ReloadEvery) || !k.lastCheck.CompareAndSwap(last, now) {
		return
	}
	_, _ = k.Refresh()
}

// Seal encrypts plain under the primary key, bound to context: the
// associated data, e.g. "residents.phone:"+id, so that a ciphertext copied to
// another row or field does not open there.
func (k *Keys) Seal(plain, context []byte) ([]byte, error) {
	k.maybeRefresh()
	ct, err := k.cur.Load().aead.Encrypt(plain, context)
	if err != nil {
		return nil, fmt.Errorf("seal: encrypt: %w", err)
	}
	return ct, nil
}

// Open decrypts a ciphertext made by Seal with the same context, under any
// key of the keyset. When the ciphertext names a key this Keys does not
// hold, the key file is looked at once more (another instance may have
// rotated it a moment ago) before giving up with ErrOpen.
func (k *Keys) Open(ct, context []byte) ([]byte, error) {
	r := k.cur.Load()
	plain, err := r.aead.Decrypt(ct, context)
	if err == nil {
		return plain, nil
	}
	if id, ok := keyID(ct); ok && !r.ids[id] && k.path != "" {
		if _, rerr := k.Refresh(); rerr == nil {
			if plain, err = k.cur.Load().aead.Decrypt(ct, context); err == nil {
				return plain, nil
			}
		}
	}
	return nil, ErrOpen
}

func keyID(ct []byte) (uint32, bool) {
	if len(ct) < prefixSize || ct[0] != tinkPrefix {
		return 0, false
	}
	return binary.BigEndian.Uint32(ct[1:prefixSize]), true
}

// KeyID is the id of the key ct was sealed under, read from its Tink prefix
// (0 and false for anything else). Modules store it beside a sealed value
// so their re-encryption finds stale rows by an index, not by opening every
// value; taken from the ciphertext itself it cannot disagree with it, even
// when a rotation lands while the value is being sealed.
func KeyID(ct []byte) (uint32, bool) { return keyID(ct) }

// Current reports whether ct was sealed under today's primary key; a
// background job re-seals the rows for which it is false.
func (k *Keys) Current(ct []byte) bool {
	k.maybeRefresh()
	id, ok := keyID(ct)
	return ok && id == k.cur.Load().primary
}

// PrimaryID is the id of the AEAD key Seal uses now (for logs and tests;
// it is not secret).
func (k *Keys) PrimaryID() uint32 { return k.cur.Load().primary }

// Index is the blind index of value in a domain (e.g. "residents.id_number"):
// HMAC-SHA256 under the index key over the domain and the normalized value,
// truncated to IndexSize bytes. The same value gives the same index across
// AEAD rotations, and different indexes in different domains, so an index
// column of phones cannot be joined against one of ID numbers. Exact lookup
// stores it beside the ciphertext and compares; nothing is decrypted.
func (k *Keys) Index(domain, value string) []byte {
	in := make([]byte, 0, binary.MaxVarintLen64+len(domain)+len(value))
	in = binary.AppendUvarint(in, uint64(len(domain)))
	in = append(in, domain...)
	in = append(in, Normalize(value)...)
	out, err := k.cur.Load().prf.ComputePrimaryPRF(in, IndexSize)
	if err != nil {
		// HMAC-SHA256 gives 32 bytes to any input; asking for 16 cannot fail
		// with a keyset that passed Parse.
		panic("seal: blind index: " + err.Error())
	}
	return out
}

// Normalize is what Index applies to a value so that the same identifier
// typed differently finds the same row: surrounding and inner spaces and
// hyphens dropped, full-width characters (common in Chinese spreadsheets:
// "１３８") made ASCII, ASCII letters upper-cased (the X of an ID number).
// Callers still validate; this is not a validator.
func Normalize(value string) string {
	var b strings.Builder
	b.Grow(len(value))
	for _, r := range value {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII block
			r -= 0xFEE0
		}
		switch {
		case r == '-' || unicode.IsSpace(r):
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Rotate returns the key file content with a new AES-256-GCM key added to
// the AEAD keyset and made primary. The old keys stay (rows sealed under
// them still open) and the index keyset is untouched (indexes stay valid).
func Rotate(content []byte) ([]byte, error) {
	ah, ph, err := decode(content)
	if err != nil {
		return nil, err
	}
	m := keyset.NewManagerFromHandle(ah)
	id, err := m.Add(aead.AES256GCMKeyTemplate())
	if err != nil {
		return nil, fmt.Errorf("seal: add key: %w", err)
	}
	if err := m.SetPrimary(id); err != nil {
		return nil, fmt.Errorf("seal: set primary: %w", err)
	}
	nh, err := m.Handle()
	if err != nil {
		return nil, fmt.Errorf("seal: rotated keyset: %w", err)
	}
	return encode(nh, ph)
}

// Resealer is implemented by a module that keeps sealed data (the residents'
// registry, campaigns…). Reseal re-encrypts up to batch values that are not
// Current under k and returns how many it rewrote; 0 means nothing is left.
// The app runs every registered Resealer periodically and soon after a
// rotation, until it reports 0 (internal/app/reseal.go).
type Resealer interface {
	Reseal(ctx context.Context, k *Keys, batch int) (int, error)
}
