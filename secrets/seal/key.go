package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/ztci/ztci/internal/redact"
)

// KeyWrapper protects data keys with a key-encryption key (KEK) that it
// alone can use — a local AES key ([Key]) or a vendor's KMS. It is the seam a
// vendor implements over their KMS (Encrypt/Decrypt of a 32-byte data key).
//
// KeyID names the KEK; it is stored in every record so that [Envelope.Open]
// finds the wrapper again after rotation. It must be stable, non-empty, at
// most [MaxKeyIDLen] bytes, and must not be a secret.
//
// Wrap and Unwrap must be safe for concurrent use. Unwrap must authenticate
// what it is given: a changed wrapped key must fail (return an error
// wrapping [ErrTampered] when the failure is an authentication failure),
// never yield a different key silently. Unwrap must use this KEK only: a
// KMS whose ciphertexts name their own key (AWS KMS Decrypt without KeyId,
// for one) would otherwise open a data key that whoever can encrypt under
// any key the service may decrypt with wrapped, and a record naming this
// id would open with it. Neither may put key material in an error;
// [Envelope] does not quote their errors anyway ([WrapperError]). Wrap
// owns the slice it is given (Envelope passes a copy).
type KeyWrapper interface {
	KeyID() string
	Wrap(ctx context.Context, dek []byte) ([]byte, error)
	Unwrap(ctx context.Context, wrapped []byte) ([]byte, error)
}

// MaxKeyIDLen bounds a key id; the record stores its length in one byte.
const MaxKeyIDLen = 255

// KeySize is the size of a local KEK and of every data key: AES-256.
const KeySize = 32

// Key is a local AES-256 key-encryption key with its id. It redacts itself
// when printed, logged or marshalled. The zero Key is unusable.
//
// A long-lived KEK wraps one data key per record, so it may wrap billions:
// random 96-bit GCM nonces under it would be likely to repeat long before
// the key is rotated (NIST SP 800-38D bounds them to 2^32 per key), and a
// repeated nonce gives away the GCM authentication key. Each wrap
// therefore uses a 192-bit random nonce and a key derived from it
// (C2SP XAES-256-GCM), which has no practical bound on the number of wraps.
type Key struct {
	id    string
	block cipher.Block // the KEK; Wrap derives a GCM key per wrap from it
	aes   cipher.AEAD  // AES-256-GCM under the KEK itself: legacy wraps only
}

// Wrapped data keys. Current: wrapV2 | 24-byte nonce | XAES-256-GCM(dek).
// Legacy (before wrapV2): 12-byte nonce | AES-256-GCM(dek), always
// legacyWrappedLen bytes since data keys are KeySize; still read.
const (
	wrapV2           = 0x02
	xaesNonceLen     = 24
	wrappedLen       = 1 + xaesNonceLen + KeySize + tagLen
	legacyWrappedLen = nonceLen + KeySize + tagLen
)

// NewKey makes a local KEK from 32 bytes of key material (for example read
// from a file only the service can read). The material is copied into the
// cipher; the caller may clear its slice afterwards.
func NewKey(id string, material []byte) (Key, error) {
	if err := checkKeyID(id); err != nil {
		return Key{}, err
	}
	if len(material) != KeySize {
		// The length is not secret; the material is never printed.
		return Key{}, fmt.Errorf("%w: key %q: material is %d bytes, want %d", ErrConfig, id, len(material), KeySize)
	}
	block, err := aes.NewCipher(material)
	if err != nil {
		return Key{}, fmt.Errorf("%w: key %q: %w", ErrConfig, id, err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return Key{}, fmt.Errorf("%w: key %q: %w", ErrConfig, id, err)
	}
	return Key{id: id, block: block, aes: gcm}, nil
}

// GenerateKey makes a local KEK from fresh random material. Useful for tests
// and for processes whose records need not outlive them.
func GenerateKey(id string) (Key, error) {
	material := make([]byte, KeySize)
	defer clear(material)
	if _, err := rand.Read(material); err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return NewKey(id, material)
}

func checkKeyID(id string) error {
	if id == "" || len(id) > MaxKeyIDLen {
		return fmt.Errorf("%w: key id must be 1..%d bytes, got %d", ErrConfig, MaxKeyIDLen, len(id))
	}
	return nil
}

// KeyID returns the key's id.
func (k Key) KeyID() string { return k.id }

// kekAAD binds a wrapped data key to the id of the KEK that wrapped it, so
// a wrapped key cannot be relabelled to another id that shares material.
func (k Key) kekAAD() []byte { return append([]byte("ztci-seal-kek-v1\x00"), k.id...) }

// Wrap seals a KeySize-byte dek under the KEK: wrapV2 || nonce ||
// XAES-256-GCM(dek), with a fresh random 192-bit nonce.
func (k Key) Wrap(_ context.Context, dek []byte) ([]byte, error) {
	if k.block == nil {
		return nil, fmt.Errorf("%w: zero Key", ErrConfig)
	}
	if len(dek) != KeySize {
		return nil, fmt.Errorf("%w: data key is %d bytes, want %d", ErrSeal, len(dek), KeySize)
	}
	out := make([]byte, 1+xaesNonceLen, wrappedLen)
	out[0] = wrapV2
	nonce := out[1:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSeal, err)
	}
	gcm, err := k.derive(nonce)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSeal, err)
	}
	return gcm.Seal(out, nonce[xaesNonceLen-nonceLen:], dek, k.kekAAD()), nil
}

// Unwrap opens a data key wrapped by [Key.Wrap] under this KEK, or by the
// legacy format earlier versions wrote. The two differ in length, so the
// stored bytes cannot make one read as the other.
func (k Key) Unwrap(_ context.Context, wrapped []byte) ([]byte, error) {
	if k.block == nil {
		return nil, fmt.Errorf("%w: zero Key", ErrConfig)
	}
	var dek []byte
	var err error
	switch {
	case len(wrapped) == wrappedLen && wrapped[0] == wrapV2:
		nonce := wrapped[1 : 1+xaesNonceLen]
		var gcm cipher.AEAD
		if gcm, err = k.derive(nonce); err == nil {
			dek, err = gcm.Open(nil, nonce[xaesNonceLen-nonceLen:], wrapped[1+xaesNonceLen:], k.kekAAD())
		}
	case len(wrapped) == legacyWrappedLen:
		dek, err = k.aes.Open(nil, wrapped[:nonceLen], wrapped[nonceLen:], k.kekAAD())
	default:
		return nil, fmt.Errorf("%w: wrapped key is %d bytes", ErrMalformed, len(wrapped))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: wrapped data key under key %q", ErrTampered, k.id)
	}
	return dek, nil
}

// derive returns AES-256-GCM under the key XAES-256-GCM derives from the
// KEK and the first 12 bytes of a 24-byte nonce; the last 12 are its GCM
// nonce. See https://c2sp.org/XAES-256-GCM.
func (k Key) derive(nonce []byte) (cipher.AEAD, error) {
	var k1 [aes.BlockSize]byte
	k.block.Encrypt(k1[:], k1[:])
	msb := k1[0] >> 7
	for i := range len(k1) - 1 {
		k1[i] = k1[i]<<1 | k1[i+1]>>7
	}
	k1[len(k1)-1] <<= 1
	k1[len(k1)-1] ^= msb * 0x87
	var kx [KeySize]byte
	defer clear(kx[:])
	defer clear(k1[:])
	for i, half := range [][]byte{kx[:aes.BlockSize], kx[aes.BlockSize:]} {
		m := [aes.BlockSize]byte{0, byte(i + 1), 'X', 0}
		copy(m[4:], nonce[:xaesNonceLen-nonceLen])
		subtle.XORBytes(m[:], m[:], k1[:])
		k.block.Encrypt(half, m[:])
	}
	return newGCM(kx[:])
}

// String redacts the key material.
func (k Key) String() string { return "seal.Key(" + k.id + ", [REDACTED])" }

// GoString redacts the key material under %#v.
func (k Key) GoString() string { return k.String() }

// Format writes String for every verb: without it, verbs a Stringer does
// not answer (%d) print the struct by reflection.
func (k Key) Format(f fmt.State, _ rune) { redact.Format(f, k.String()) }

// LogValue redacts the key material in slog output.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key_id", k.id), slog.String("material", "[REDACTED]"))
}

// MarshalJSON redacts the key material.
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		KeyID    string `json:"key_id"`
		Material string `json:"material"`
	}{k.id, "[REDACTED]"})
}
