package seal

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// Encrypter seals records at rest and opens them again. It is the seam a
// component that stores data (the secrets lease journal, audit fields)
// accepts; [*Envelope] is the implementation.
//
// aad (additional authenticated data) is not stored; it binds the record to
// its context — a file name, a lease id — and Open must be given the same
// aad, so a record moved to another context is refused.
//
// Implementations are safe for concurrent use. Open returns either the
// authentic plaintext or an error wrapping [ErrOpen]; on error the caller
// must use nothing of the record (fail closed). Errors never contain the
// plaintext or key material.
type Encrypter interface {
	Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error)
	Open(ctx context.Context, sealed, aad []byte) ([]byte, error)
}

// Record format, version 1 (all lengths big-endian):
//
//	"ZS" | 0x01 | idLen u8 | keyID | wrappedLen u16 | wrapped DEK | nonce (12) | AES-256-GCM(plaintext) incl. 16-byte tag
//
// The body's GCM additional data is the whole header (magic through wrapped
// DEK) followed by the caller's aad: a changed key id, wrapped key or
// version fails authentication even where Unwrap would not notice.
const (
	magic0, magic1 = 'Z', 'S'
	version1       = 1
	// MaxWrappedLen bounds a wrapped data key (KMS ciphertexts carry
	// metadata and may be a few hundred bytes).
	MaxWrappedLen = 4096
	nonceLen      = 12
	tagLen        = 16
)

// Envelope is envelope encryption: every record gets a fresh random AES-256
// data key, the data key is wrapped by the current [KeyWrapper], and the
// wrapper's key id travels in the record header. Rotation: construct a new
// Envelope with the new KEK as current and the old ones after it; old
// records still open, new records use the new id.
type Envelope struct {
	current   KeyWrapper
	currentID string // current's id as New checked and registered it
	byID      map[string]KeyWrapper
}

// New returns an Envelope that seals with current and opens records sealed
// under current or any of previous. Key ids must be distinct.
func New(current KeyWrapper, previous ...KeyWrapper) (*Envelope, error) {
	if current == nil {
		return nil, fmt.Errorf("%w: nil current key", ErrConfig)
	}
	e := &Envelope{current: current, byID: make(map[string]KeyWrapper, 1+len(previous))}
	for i, w := range append([]KeyWrapper{current}, previous...) {
		if w == nil {
			return nil, fmt.Errorf("%w: key %d is nil", ErrConfig, i)
		}
		id := w.KeyID()
		if err := checkKeyID(id); err != nil {
			return nil, err
		}
		if _, dup := e.byID[id]; dup {
			return nil, fmt.Errorf("%w: key id %q given twice", ErrConfig, id)
		}
		e.byID[id] = w
		if i == 0 {
			e.currentID = id
		}
	}
	return e, nil
}

// NewLocal returns an Envelope over local AES-256-GCM KEKs: keys[0] seals,
// all of them open.
func NewLocal(keys ...Key) (*Envelope, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: NewLocal needs at least one key", ErrConfig)
	}
	ws := make([]KeyWrapper, len(keys))
	for i, k := range keys {
		if k.aes == nil {
			return nil, fmt.Errorf("%w: key %d is the zero Key; use NewKey", ErrConfig, i)
		}
		ws[i] = k
	}
	return New(ws[0], ws[1:]...)
}

// CurrentKeyID is the id new records are sealed under.
func (e *Envelope) CurrentKeyID() string { return e.currentID }

// Seal encrypts plaintext under a fresh data key bound to aad.
func (e *Envelope) Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error) {
	if e == nil || e.current == nil {
		return nil, fmt.Errorf("%w: Envelope not made by New or NewLocal", ErrSeal)
	}
	dek := make([]byte, KeySize)
	defer clear(dek)
	if _, err := rand.Read(dek); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSeal, err)
	}
	// The record names the id New checked and registered, and only while
	// the wrapper still answers to it: one whose KeyID changed since (a KMS
	// alias resolving to a newer version) would have its records name an
	// id that opens with another key, or none, or (past MaxKeyIDLen)
	// overflow the length byte — records that never open again.
	id := e.currentID
	if got := e.current.KeyID(); got != id {
		return nil, fmt.Errorf("%w: key %q now names itself by a %d-byte id; a KeyWrapper's id must not change", ErrSeal, id, len(got))
	}
	// The wrapper gets its own copy: a KMS client may encode or clear the
	// slice it is given, and dek still has to seal the body.
	toWrap := bytes.Clone(dek)
	defer clear(toWrap)
	wrapped, err := e.current.Wrap(ctx, toWrap)
	if err != nil {
		return nil, &WrapperError{KeyID: id, Op: "wrap", class: ErrSeal, cause: err}
	}
	if len(wrapped) == 0 || len(wrapped) > MaxWrappedLen {
		return nil, fmt.Errorf("%w: key %q wrapped the data key into %d bytes, want 1..%d", ErrSeal, id, len(wrapped), MaxWrappedLen)
	}
	if carriesKey(wrapped, dek) {
		// A no-op wrapper, or a KMS wrapper that returned the plaintext
		// field of its answer, or all of the answer (GenerateDataKey's,
		// marshalled): the record would carry its own key.
		return nil, fmt.Errorf("%w: key %q returned the data key in clear as its wrapped form", ErrSeal, id)
	}
	hdrLen := 3 + 1 + len(id) + 2 + len(wrapped)
	out := make([]byte, 0, hdrLen+nonceLen+len(plaintext)+tagLen)
	out = append(out, magic0, magic1, version1, byte(len(id)))
	out = append(out, id...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(wrapped)))
	out = append(out, wrapped...)
	nonce := out[hdrLen : hdrLen+nonceLen]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSeal, err)
	}
	out = out[:hdrLen+nonceLen]
	gcm, err := newGCM(dek)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSeal, err)
	}
	return gcm.Seal(out, nonce, plaintext, bodyAAD(out[:hdrLen], aad)), nil
}

// Open authenticates and decrypts a record made by [Envelope.Seal] with the
// same aad. Any failure wraps [ErrOpen] and returns no plaintext; the
// error quotes nothing the record holds.
func (e *Envelope) Open(ctx context.Context, sealed, aad []byte) ([]byte, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: nil Envelope", ErrUnknownKey)
	}
	h, err := parseHeader(sealed)
	if err != nil {
		return nil, err
	}
	w, ok := e.byID[h.keyID]
	if !ok {
		// Named by its length, not quoted: the record comes from storage
		// (a lease journal, an audit field) whoever wrote it could fill
		// with anything. KeyIDOf reads the id for rotation.
		return nil, fmt.Errorf("%w: a key id of %d bytes (this Envelope holds %d keys)", ErrUnknownKey, len(h.keyID), len(e.byID))
	}
	// From here h.keyID equals the id of a key this Envelope holds: the
	// errors below quote configuration, not text the record chose.
	// The wrapper gets its own copy, as in Seal: one that decrypts in
	// place (gcm.Open(wrapped[:0], …)) would otherwise write the data key
	// into the caller's record, and the clear below would zero it there.
	dek, err := w.Unwrap(ctx, bytes.Clone(h.wrapped))
	if err != nil {
		return nil, &WrapperError{KeyID: h.keyID, Op: "unwrap", class: unwrapClass(err), cause: err}
	}
	defer clear(dek)
	if len(dek) != KeySize {
		return nil, fmt.Errorf("%w: key %q unwrapped a %d-byte data key", ErrTampered, h.keyID, len(dek))
	}
	gcm, err := newGCM(dek)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTampered, err)
	}
	body := sealed[h.len:]
	pt, err := gcm.Open(nil, body[:nonceLen], body[nonceLen:], bodyAAD(sealed[:h.len], aad))
	if err != nil {
		return nil, fmt.Errorf("%w: record under key %q (changed, wrong key, or wrong context)", ErrTampered, h.keyID)
	}
	return pt, nil
}

// KeyIDOf returns the key id a sealed record names, without opening it — to
// find records still under a retired key and re-seal them. The id is
// unauthenticated until [Envelope.Open] succeeds.
func KeyIDOf(sealed []byte) (string, error) {
	h, err := parseHeader(sealed)
	if err != nil {
		return "", err
	}
	return h.keyID, nil
}

type header struct {
	keyID   string
	wrapped []byte
	len     int // header bytes, up to the nonce
}

func parseHeader(b []byte) (header, error) {
	if len(b) < 4 || b[0] != magic0 || b[1] != magic1 {
		return header{}, fmt.Errorf("%w: not a sealed record", ErrMalformed)
	}
	if b[2] != version1 {
		return header{}, fmt.Errorf("%w: version %d, this build reads %d", ErrMalformed, b[2], version1)
	}
	n := 4
	idLen := int(b[3])
	if idLen == 0 || len(b) < n+idLen+2 {
		return header{}, fmt.Errorf("%w: truncated key id", ErrMalformed)
	}
	id := string(b[n : n+idLen])
	n += idLen
	wLen := int(binary.BigEndian.Uint16(b[n:]))
	n += 2
	if wLen == 0 || wLen > MaxWrappedLen {
		return header{}, fmt.Errorf("%w: wrapped key length %d out of range", ErrMalformed, wLen)
	}
	if len(b) < n+wLen+nonceLen+tagLen {
		return header{}, fmt.Errorf("%w: truncated record", ErrMalformed)
	}
	return header{keyID: id, wrapped: b[n : n+wLen], len: n + wLen}, nil
}

// carriesKey reports whether b holds key as it is, in hex or in base64
// (standard or URL alphabet).
func carriesKey(b, key []byte) bool {
	found := containsKey(b, key)
	for _, enc := range []func([]byte) []byte{
		func(k []byte) []byte { return hex.AppendEncode(nil, k) },
		func(k []byte) []byte { return bytes.ToUpper(hex.AppendEncode(nil, k)) },
		func(k []byte) []byte { return base64.RawStdEncoding.AppendEncode(nil, k) },
		func(k []byte) []byte { return base64.RawURLEncoding.AppendEncode(nil, k) },
	} {
		form := enc(key)
		found = containsKey(b, form) || found
		clear(form)
	}
	return found
}

// containsKey reports whether key occurs in b, comparing every window in
// constant time and without stopping early, so that how long it takes
// says nothing of the key.
func containsKey(b, key []byte) bool {
	found := 0
	for i := 0; i+len(key) <= len(b); i++ {
		found |= subtle.ConstantTimeCompare(b[i:i+len(key)], key)
	}
	return found == 1
}

func bodyAAD(hdr, aad []byte) []byte {
	out := make([]byte, 0, len(hdr)+len(aad))
	return append(append(out, hdr...), aad...)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
