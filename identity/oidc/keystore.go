package oidc

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Limits of a fleet's shared key set.
const (
	// MaxFleetKeys is the most keys a fleet's key set may hold; it equals
	// the most keys a [Verifier] accepts in one JWKS.
	MaxFleetKeys = maxKeys
	// MaxPublishedKeySize is the largest encoded [PublishedKey] accepted.
	MaxPublishedKeySize = 16 << 10
	// MaxKeyHorizon is how far ahead of now a published key's NotAfter may
	// lie (the longest rotation interval, 7 days, plus two token lifetimes
	// and the grace). A record reaching further is refused: it would pin a
	// key in every replica's JWKS for longer than any token needs.
	MaxKeyHorizon = 8 * 24 * time.Hour
	// maxKeyIDLen bounds a key id.
	maxKeyIDLen = 256
)

// Errors of the shared key set.
var (
	// ErrKeyStore: the fleet's key store could not answer (unreachable, or
	// its last good set is older than its staleness bound). An issuer then
	// serves no fleet key set (its Handler answers 503) and mints only
	// while its own key's published lifetime covers the token.
	ErrKeyStore = errors.New("oidc: fleet key store unavailable")
	// ErrNotPublished: the issuer's signing key is not published in the
	// fleet's key store for as long as the token would live, so no token is
	// minted (a verifier fetching another replica's JWKS could not verify
	// it). It wraps [ErrKeyStore].
	ErrNotPublished = fmt.Errorf("%w: signing key not published for the token's lifetime", ErrKeyStore)
	// ErrKeyRecord: a published key record is malformed, oversized, holds
	// private key material, a key the verifier would refuse, an algorithm
	// that does not fit the key, or times out of order or too far ahead. Such
	// a record is never served.
	ErrKeyRecord = errors.New("oidc: invalid published key record")
	// ErrKeyConflict: a key id is already published with another public key
	// or algorithm. The first record stands.
	ErrKeyConflict = errors.New("oidc: key id already published with another key")
	// ErrTooManyKeys: the fleet's key set would hold more than
	// [MaxFleetKeys] live keys. Publishing a new key is refused, and a
	// store that holds more serves none (fail closed) rather than choosing.
	ErrTooManyKeys = errors.New("oidc: fleet key set holds too many keys")
	// ErrKeyRevoked: the key id was revoked in the fleet's key store
	// ([KeyStore.Revoke]); it is never published or served again.
	ErrKeyRevoked = errors.New("oidc: key id revoked")
)

// PublishedKey is one verification key of an issuer fleet: public material,
// its id and algorithm, and its lifetime. It never holds a private key.
type PublishedKey struct {
	// ID is the JWS kid.
	ID string
	// Algorithm is the only algorithm the key verifies (the JWK "alg").
	Algorithm Algorithm
	// Key is the public key: *ecdsa.PublicKey, ed25519.PublicKey or
	// *rsa.PublicKey.
	Key crypto.PublicKey
	// NotBefore is when the key starts signing. A key is published before
	// it signs (a rotating issuer publishes its next key one rotation
	// interval ahead) so that every replica's JWKS holds it by then.
	NotBefore time.Time
	// NotAfter is when the key is withdrawn from every JWKS. An issuer
	// mints with a key only while the token's expiry plus a minute of grace
	// is before it, so no token outlives its key's publication.
	NotAfter time.Time
}

// Validate checks k as a record to store or serve at now: a non-empty kid
// of at most 256 bytes, a public key the [Verifier] accepts, an algorithm
// that fits it, NotBefore before NotAfter, NotAfter after now and at most
// [MaxKeyHorizon] ahead. Errors wrap [ErrKeyRecord].
func (k PublishedKey) Validate(now time.Time) error {
	if err := k.shape(); err != nil {
		return err
	}
	switch {
	case !k.NotAfter.After(now):
		return fmt.Errorf("%w: kid %q expired at %s", ErrKeyRecord, k.ID, k.NotAfter.UTC().Format(time.RFC3339))
	case k.NotAfter.Sub(now) > MaxKeyHorizon:
		return fmt.Errorf("%w: kid %q published until %s, more than %v ahead", ErrKeyRecord, k.ID, k.NotAfter.UTC().Format(time.RFC3339), MaxKeyHorizon)
	}
	return nil
}

// shape checks everything Validate does except the times relative to now.
func (k PublishedKey) shape() error {
	if err := CheckKeyID(k.ID); err != nil {
		return err
	}
	switch {
	case !isPublicKey(k.Key):
		return fmt.Errorf("%w: kid %q: %T is not a public key the verifier accepts", ErrKeyRecord, k.ID, k.Key)
	case k.NotBefore.IsZero() || !k.NotBefore.Before(k.NotAfter):
		return fmt.Errorf("%w: kid %q: not-before %s is not before not-after %s", ErrKeyRecord, k.ID,
			k.NotBefore.UTC().Format(time.RFC3339), k.NotAfter.UTC().Format(time.RFC3339))
	}
	// The verifier's own rules decide what a usable key is.
	raw, err := json.Marshal(k.jwk())
	if err != nil {
		return fmt.Errorf("%w: kid %q: %v", ErrKeyRecord, k.ID, err)
	}
	vk, _, err := parseVerificationKey(raw)
	if err != nil {
		return fmt.Errorf("%w: kid %q: %v", ErrKeyRecord, k.ID, err)
	}
	if len(vk.algs) != 1 || vk.algs[0] != k.Algorithm {
		return fmt.Errorf("%w: kid %q: algorithm %q does not fit a %s key", ErrKeyRecord, k.ID, k.Algorithm, keyKind(k.Key))
	}
	return nil
}

// isPublicKey reports whether k is a non-nil public key of a type the
// verifier knows (never a private or symmetric key).
func isPublicKey(k any) bool {
	switch k := k.(type) {
	case *ecdsa.PublicKey:
		return k != nil
	case *rsa.PublicKey:
		return k != nil
	case ed25519.PublicKey:
		return len(k) == ed25519.PublicKeySize
	}
	return false
}

func (k PublishedKey) jwk() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.Key, KeyID: k.ID, Algorithm: string(k.Algorithm), Use: "sig"}
}

// sameKey reports whether k and o publish the same key material and
// algorithm (their times may differ).
func (k PublishedKey) sameKey(o PublishedKey) bool {
	eq, ok := k.Key.(interface{ Equal(crypto.PublicKey) bool })
	return k.ID == o.ID && k.Algorithm == o.Algorithm && ok && eq.Equal(o.Key)
}

// publishedJSON is the record's encoding: the JWK (kty, kid, alg, use and
// the public members only) and the lifetime.
type publishedJSON struct {
	JWK       json.RawMessage `json:"jwk"`
	NotBefore time.Time       `json:"nbf"`
	NotAfter  time.Time       `json:"exp"`
}

var registeredRecord = [...]string{"jwk", "nbf", "exp", "kty", "use", "key_ops", "alg", "kid", "x5u", "x5c", "x5t",
	"x5t#S256", "crv", "x", "y", "d", "n", "e", "p", "q", "dp", "dq", "qi", "oth", "r", "t", "k"}

// MarshalJSON encodes k as a key-store record:
// {"jwk":{...},"nbf":RFC 3339,"exp":RFC 3339}. It refuses a key that
// [PublishedKey.Validate] would refuse for its shape.
func (k PublishedKey) MarshalJSON() ([]byte, error) {
	if err := k.shape(); err != nil {
		return nil, err
	}
	jwk, err := json.Marshal(k.jwk())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyRecord, err)
	}
	return json.Marshal(publishedJSON{JWK: jwk, NotBefore: k.NotBefore.UTC(), NotAfter: k.NotAfter.UTC()})
}

// ParsePublishedKey decodes a record written by [PublishedKey.MarshalJSON],
// treating it as untrusted: at most [MaxPublishedKeySize] bytes; no
// repeated or case-variant member names ([ErrAmbiguousJSON]); a JWK with
// "kid" and "alg", "use" absent or "sig", no private members; a key the
// verifier accepts and an algorithm that fits it; NotBefore before
// NotAfter. The times are not checked against a clock: call
// [PublishedKey.Validate]. Errors wrap [ErrKeyRecord].
func ParsePublishedKey(b []byte) (PublishedKey, error) {
	if len(b) > MaxPublishedKeySize {
		return PublishedKey{}, fmt.Errorf("%w: %d bytes, more than %d", ErrKeyRecord, len(b), MaxPublishedKeySize)
	}
	if err := strict(b, registeredRecord[:]...); err != nil {
		return PublishedKey{}, fmt.Errorf("%w: %w", ErrKeyRecord, err)
	}
	var rec publishedJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil || dec.More() {
		return PublishedKey{}, fmt.Errorf("%w: not one record object: %v", ErrKeyRecord, err)
	}
	if len(rec.JWK) == 0 || rec.JWK[0] != '{' {
		return PublishedKey{}, fmt.Errorf("%w: no jwk object", ErrKeyRecord)
	}
	if err := checkNoPrivate(rec.JWK); err != nil {
		return PublishedKey{}, fmt.Errorf("%w: jwk: %w", ErrKeyRecord, err)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(rec.JWK); err != nil {
		return PublishedKey{}, fmt.Errorf("%w: jwk: %v", ErrKeyRecord, err)
	}
	if !jwk.IsPublic() || !isPublicKey(jwk.Key) {
		return PublishedKey{}, fmt.Errorf("%w: jwk holds private or symmetric key material", ErrKeyRecord)
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return PublishedKey{}, fmt.Errorf("%w: jwk use %q", ErrKeyRecord, jwk.Use)
	}
	if jwk.Algorithm == "" {
		return PublishedKey{}, fmt.Errorf("%w: jwk without alg: a published key is pinned to one algorithm", ErrKeyRecord)
	}
	k := PublishedKey{ID: jwk.KeyID, Algorithm: Algorithm(jwk.Algorithm), Key: jwk.Key, NotBefore: rec.NotBefore, NotAfter: rec.NotAfter}
	if err := k.shape(); err != nil {
		return PublishedKey{}, err
	}
	return k, nil
}

// KeyStore holds the public keys of an issuer fleet, shared by every
// replica, so that each replica's JWKS serves every key any replica signs
// with. It holds public keys only; private keys stay in each issuer's
// [crypto.Signer].
//
// Publish adds k (already checked with [PublishedKey.Validate]) to the set,
// or, when k.ID is already published with the same key and algorithm,
// extends that record: its NotAfter becomes the later of the two and its
// NotBefore the earlier (a record is never shortened, so replicas sharing
// one KMS key cannot withdraw each other's tokens). It returns an error
// wrapping [ErrKeyConflict] when k.ID is published with another key or
// algorithm, [ErrTooManyKeys] when a new key would make more than
// [MaxFleetKeys] live keys, and any other error when the write may not have
// happened; the issuer then does not count the key as published.
//
// Keys returns every published key whose NotAfter is after now, each valid
// per [PublishedKey.Validate], at most [MaxFleetKeys]. It returns an error
// (wrapping [ErrKeyStore]) when it cannot vouch for the set: an
// implementation backed by a remote engine serves its last good set for a
// documented staleness bound, then errors. It must never return a key it
// did not decode and validate itself.
//
// Revoke withdraws kid from the set for good, for a key whose private half
// may be stolen: Keys never returns it again, and every later Publish of it
// fails with an error wrapping [ErrKeyRevoked], whichever replica sends it
// and even if it was already in flight when Revoke ran (a replica still
// renewing the key must not bring it back). A kid that is not published, or
// already revoked, is revoked all the same (nil: revoking is idempotent). A
// kid that [PublishedKey.Validate] would refuse (empty, longer than 256
// bytes) is an error wrapping [ErrKeyRecord]. Any other error means the
// revocation may not have been recorded: retry. An [Issuer] serves its own
// keys only while Keys lists them, and stops signing with a key once
// Publish refuses it with [ErrKeyRevoked]. A revocation is permanent;
// in a store with a record bound it holds one record for good.
//
// Implementations are safe for concurrent use. [MemoryKeyStore] serves one
// process; package identity/oidc/natskeys shares the set over NATS
// JetStream KV.
type KeyStore interface {
	Publish(ctx context.Context, k PublishedKey) error
	Keys(ctx context.Context) ([]PublishedKey, error)
	Revoke(ctx context.Context, kid string) error
}

// CheckKeyID refuses a kid no record may carry (empty, or longer than 256
// bytes) with an error wrapping [ErrKeyRecord]: [KeyStore.Revoke]
// implementations check their argument with it.
func CheckKeyID(kid string) error {
	if kid == "" || len(kid) > maxKeyIDLen {
		return fmt.Errorf("%w: kid of %d bytes (1 to %d)", ErrKeyRecord, len(kid), maxKeyIDLen)
	}
	return nil
}

// MemoryKeyStore is a [KeyStore] in memory, shared by the issuers of one
// process (or a test fleet). It keeps at most [MaxFleetKeys] live keys and
// drops expired ones; a revoked kid stays refused for the store's life.
type MemoryKeyStore struct {
	now func() time.Time

	mu      sync.Mutex
	keys    map[string]PublishedKey
	revoked map[string]struct{}
}

// NewMemoryKeyStore returns an empty store; now is its clock (nil means
// time.Now).
func NewMemoryKeyStore(now func() time.Time) *MemoryKeyStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryKeyStore{now: now, keys: map[string]PublishedKey{}, revoked: map[string]struct{}{}}
}

// Publish implements [KeyStore].
func (m *MemoryKeyStore) Publish(_ context.Context, k PublishedKey) error {
	now := m.now()
	if err := k.Validate(now); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.revoked[k.ID]; ok {
		return fmt.Errorf("%w: kid %q", ErrKeyRevoked, k.ID)
	}
	merged, err := MergePublished(m.keys[k.ID], k, now)
	if err != nil {
		return err
	}
	if _, ok := m.keys[k.ID]; !ok {
		for id, o := range m.keys {
			if !o.NotAfter.After(now) {
				delete(m.keys, id)
			}
		}
		if len(m.keys) >= MaxFleetKeys {
			return fmt.Errorf("%w: %d live keys", ErrTooManyKeys, len(m.keys))
		}
	}
	m.keys[k.ID] = merged
	return nil
}

// Keys implements [KeyStore].
func (m *MemoryKeyStore) Keys(context.Context) ([]PublishedKey, error) {
	now := m.now()
	m.mu.Lock()
	out := make([]PublishedKey, 0, len(m.keys))
	for _, k := range m.keys {
		if k.NotAfter.After(now) {
			out = append(out, k)
		}
	}
	m.mu.Unlock()
	SortPublished(out)
	return out, nil
}

// Revoke implements [KeyStore].
func (m *MemoryKeyStore) Revoke(_ context.Context, kid string) error {
	if err := CheckKeyID(kid); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, kid)
	m.revoked[kid] = struct{}{}
	return nil
}

// Revoked implements [RevocationChecker]: whether kid was revoked in this
// store. It does no I/O.
func (m *MemoryKeyStore) Revoked(_ context.Context, kid string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.revoked[kid]
	return ok, nil
}

// RevocationChecker is an optional interface of a [KeyStore] that can tell
// without I/O whether a key id was revoked ([KeyStore.Revoke]), from its
// own in-memory view of the set (natskeys keeps it current with a watch on
// the bucket). An issuer whose store implements it asks before every
// signature, so a replica stops signing with a key another replica revoked
// as soon as its store has seen the revocation, rather than at its next
// renewal or JWKS request (up to half a token lifetime later). Revoked
// must be cheap (Mint calls it each time); an error means the store cannot
// answer, and the issuer then mints nothing (fail closed: the error wraps
// [ErrKeyStore]).
type RevocationChecker interface {
	Revoked(ctx context.Context, kid string) (bool, error)
}

var _ RevocationChecker = (*MemoryKeyStore)(nil)

// MergePublished returns the record a store keeps when k is published over
// old (the zero PublishedKey, or an expired record, when there is none):
// k itself, or old extended to the later NotAfter and earlier NotBefore.
// It returns an error wrapping [ErrKeyConflict] when old is live and holds
// another key or algorithm under the same id. [KeyStore] implementations
// use it so that every engine merges alike.
func MergePublished(old, k PublishedKey, now time.Time) (PublishedKey, error) {
	if old.ID == "" || !old.NotAfter.After(now) {
		return k, nil
	}
	if !old.sameKey(k) {
		return PublishedKey{}, fmt.Errorf("%w: kid %q", ErrKeyConflict, k.ID)
	}
	if old.NotBefore.Before(k.NotBefore) {
		k.NotBefore = old.NotBefore
	}
	if old.NotAfter.After(k.NotAfter) {
		k.NotAfter = old.NotAfter
	}
	return k, nil
}

// SortPublished orders keys by NotBefore, then id: the order in which a
// JWKS lists the fleet's keys.
func SortPublished(keys []PublishedKey) {
	slices.SortFunc(keys, func(a, b PublishedKey) int {
		return cmp.Or(a.NotBefore.Compare(b.NotBefore), cmp.Compare(a.ID, b.ID))
	})
}
