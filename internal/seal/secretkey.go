package seal

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/tink-crypto/tink-go/v2/aead/aesgcm"
	"github.com/tink-crypto/tink-go/v2/insecuresecretdataaccess"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/prf/hmacprf"
	"github.com/tink-crypto/tink-go/v2/secretdata"
)

// MinSecret is the shortest master secret accepted as HOTLINE_DATA_KEY when
// it is not a key file: 32 bytes (256 bits), given as base64, hex or text.
const MinSecret = 32

// fromSecret derives the two keysets from a master secret: what an operator
// who puts "32 random bytes" in HOTLINE_DATA_KEY (as most servers ask for an
// AES-256 key) expects to work. The AEAD key and the index key are separate
// HKDF-SHA256 outputs of the secret, and the AEAD key's id is derived too, so
// the same secret gives the same keys (and the same ciphertext prefixes) on
// every start and every instance. Such keys cannot rotate: a key file can
// (hotline keys generate / rotate).
func fromSecret(content []byte) (ah, ph *keyset.Handle, err error) {
	secret := secretBytes(string(content))
	if len(secret) < MinSecret {
		return nil, nil, errors.New("seal: the data key is neither a key file (JSON or its base64) nor a secret of at least 32 bytes (base64, hex or text); create a key file with `hotline keys generate`")
	}
	derive := func(info string, n int) ([]byte, error) {
		return hkdf.Key(sha256.New, secret, []byte("hotline-data-key/1"), info, n)
	}
	ak, err := derive("aead aes-256-gcm", 32)
	if err != nil {
		return nil, nil, err
	}
	pk, err := derive("index hmac-sha256", 32)
	if err != nil {
		return nil, nil, err
	}
	idb, err := derive("aead key id", 4)
	if err != nil {
		return nil, nil, err
	}
	id := binary.BigEndian.Uint32(idb) | 1 // never 0
	params, err := aesgcm.NewParameters(aesgcm.ParametersOpts{KeySizeInBytes: 32, IVSizeInBytes: 12, TagSizeInBytes: 16, Variant: aesgcm.VariantTink})
	if err != nil {
		return nil, nil, err
	}
	key, err := aesgcm.NewKey(secretdata.NewBytesFromData(ak, insecuresecretdataaccess.Token{}), id, params)
	if err != nil {
		return nil, nil, err
	}
	am := keyset.NewManager()
	aid, err := am.AddKey(key)
	if err != nil {
		return nil, nil, err
	}
	if err := am.SetPrimary(aid); err != nil {
		return nil, nil, err
	}
	if ah, err = am.Handle(); err != nil {
		return nil, nil, err
	}
	pparams, err := hmacprf.NewParameters(32, hmacprf.SHA256)
	if err != nil {
		return nil, nil, err
	}
	pkey, err := hmacprf.NewKey(secretdata.NewBytesFromData(pk, insecuresecretdataaccess.Token{}), pparams)
	if err != nil {
		return nil, nil, err
	}
	pm := keyset.NewManager()
	pid, err := pm.AddKey(pkey)
	if err != nil {
		return nil, nil, err
	}
	if err := pm.SetPrimary(pid); err != nil {
		return nil, nil, err
	}
	ph, err = pm.Handle()
	return ah, ph, err
}

// secretBytes reads a master secret: base64 or hex of at least MinSecret
// bytes, else the text itself.
func secretBytes(s string) []byte {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) >= MinSecret {
		return b
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) >= MinSecret {
			return b
		}
	}
	return []byte(s)
}

// isHexSecret reports whether content is hex of at least MinSecret bytes
// (a key file is JSON, or base64 of JSON, which begins "ey": never hex).
func isHexSecret(content []byte) bool {
	b, err := hex.DecodeString(string(content))
	return err == nil && len(b) >= MinSecret
}
