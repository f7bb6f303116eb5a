package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
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
// never yield a different key silently. Neither may put key material in
// an error. Wrap owns the slice it is given (Envelope passes a copy).
type KeyWrapper interface {
	KeyID() string
	Wrap(ctx context.Context, dek []byte) ([]byte, error)
	Unwrap(ctx context.Context, wrapped []byte) ([]byte, error)
}

// MaxKeyIDLen bounds a key id; the record stores its length in one byte.
const MaxKeyIDLen = 255

// KeySize is the size of a local KEK and of every data key: AES-256.
const KeySize = 32

// Key is a local AES-256-GCM key-encryption key with its id. It redacts
// itself when printed, logged or marshalled. The zero Key is unusable.
type Key struct {
	id  string
	aes cipher.AEAD
}

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
	return Key{id: id, aes: gcm}, nil
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

// Wrap seals dek under the KEK: nonce || AES-GCM(dek).
func (k Key) Wrap(_ context.Context, dek []byte) ([]byte, error) {
	if k.aes == nil {
		return nil, fmt.Errorf("%w: zero Key", ErrConfig)
	}
	nonce := make([]byte, k.aes.NonceSize(), k.aes.NonceSize()+len(dek)+k.aes.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSeal, err)
	}
	return k.aes.Seal(nonce, nonce, dek, k.kekAAD()), nil
}

// Unwrap opens a data key wrapped by [Key.Wrap] under this KEK.
func (k Key) Unwrap(_ context.Context, wrapped []byte) ([]byte, error) {
	if k.aes == nil {
		return nil, fmt.Errorf("%w: zero Key", ErrConfig)
	}
	ns := k.aes.NonceSize()
	if len(wrapped) < ns+k.aes.Overhead() {
		return nil, fmt.Errorf("%w: wrapped key is %d bytes", ErrMalformed, len(wrapped))
	}
	dek, err := k.aes.Open(nil, wrapped[:ns], wrapped[ns:], k.kekAAD())
	if err != nil {
		return nil, fmt.Errorf("%w: wrapped data key under key %q", ErrTampered, k.id)
	}
	return dek, nil
}

// String redacts the key material.
func (k Key) String() string { return "seal.Key(" + k.id + ", [REDACTED])" }

// GoString redacts the key material under %#v.
func (k Key) GoString() string { return k.String() }

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
