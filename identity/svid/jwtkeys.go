package svid

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/cryptosigner"
	"github.com/spiffe/go-spiffe/v2/bundle/jwtbundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"

	"github.com/ztci/ztci/identity/oidc"
)

// jwtGrace is how long past its last JWT-SVID's expiry a key stays in the
// JWT bundle (and in the shared key set): go-spiffe validates a JWT-SVID
// with go-jose's default leeway of one minute, so a verifier accepts it
// until then.
const jwtGrace = time.Minute

// jwtPublishRetry is how long after a failed publish the issuer waits
// before asking the key store again, so that during an outage JWTSVID does
// not wait on the store each time while its key's publication still covers
// the SVID.
const jwtPublishRetry = 5 * time.Second

// maxJWTKeyID bounds a caller's key id (the key store's limit).
const maxJWTKeyID = 256

// jwtAlgorithms are the JWT-SVID algorithms (go-spiffe accepts these and
// no others; the JWT-SVID specification excludes EdDSA).
var jwtAlgorithms = []oidc.Algorithm{oidc.ES256, oidc.ES384, oidc.ES512, oidc.RS256, oidc.RS384, oidc.RS512, oidc.PS256, oidc.PS384, oidc.PS512}

// WithJWTSigner makes JWT-SVIDs be signed by s (a KMS or HSM key shared by
// the issuer's replicas, or any in-process key) under key id kid instead
// of a fresh in-memory P-256 key; an empty kid means the unpadded base64url
// SHA-256 of the key's PKIX encoding, the same on every replica and across
// restarts. The algorithm follows the key: ES256, ES384 or ES512 for ECDSA
// P-256, P-384 or P-521, PS256 for RSA of at least 2048 bits. Ed25519 is
// refused: the JWT-SVID specification does not allow EdDSA. NewIssuer signs
// a probe with s and refuses ([ErrConfig]) a Signer whose signature does not
// verify under its Public(). The issuer calls only s.Public and s.Sign.
func WithJWTSigner(s crypto.Signer, kid string) Option {
	return func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: nil JWT signer", ErrConfig)
		}
		if len(kid) > maxJWTKeyID {
			return fmt.Errorf("%w: JWT key id of %d bytes (at most %d)", ErrConfig, len(kid), maxJWTKeyID)
		}
		if _, err := jwtAlgorithm(s.Public()); err != nil {
			return err
		}
		c.jwtSigner, c.jwtKID = s, kid
		return nil
	}
}

// WithJWTKeyStore makes the issuer one replica of a fleet sharing ks (for
// example identity/oidc/natskeys on its own bucket): it publishes its JWT
// signing key's public half there before signing with it and keeps the
// record renewed while it signs, and its JWT bundle holds every live key of
// the fleet, so a JWT-SVID from any replica verifies with any replica's
// bundle. Call [Issuer.PublishJWTKey] at start-up. The store holds public
// keys only; give each issuer fleet (trust domain) a store of its own,
// apart from the OIDC issuer's.
func WithJWTKeyStore(ks oidc.KeyStore) Option {
	return func(c *config) error {
		if ks == nil {
			return fmt.Errorf("%w: nil JWT key store", ErrConfig)
		}
		c.store = ks
		return nil
	}
}

// jwtAlgorithm is the JWT-SVID algorithm for a signing key.
func jwtAlgorithm(pub crypto.PublicKey) (oidc.Algorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return oidc.ES256, nil
		case elliptic.P384():
			return oidc.ES384, nil
		case elliptic.P521():
			return oidc.ES512, nil
		}
	case *rsa.PublicKey:
		if k.N.BitLen() >= 2048 {
			return oidc.PS256, nil
		}
	}
	return "", fmt.Errorf("%w: JWT signing key %T (or its size) unsupported: use ECDSA P-256, P-384 or P-521, or RSA of at least 2048 bits", ErrConfig, pub)
}

// jwtKey is one JWT-SVID signing key of this issuer.
type jwtKey struct {
	kid    string
	alg    oidc.Algorithm
	pub    crypto.PublicKey
	signer jose.Signer
	// notBefore is when the key started signing.
	notBefore time.Time
	// retireUntil is zero while the key signs; once retired, when its last
	// JWT-SVID has expired, plus the grace.
	retireUntil time.Time
	// publishedUntil is the NotAfter the key store last acknowledged; zero
	// when not published. Guarded by Issuer.jmu.
	publishedUntil time.Time
}

// newJWTKey wraps s (nil: a fresh P-256 key) as a JWT-SVID signing key,
// after checking that its signatures verify under its public key.
func newJWTKey(s crypto.Signer, kid string) (*jwtKey, error) {
	if s == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("%w: JWT key: %v", ErrIssue, err)
		}
		s = k
	}
	pub := s.Public()
	alg, err := jwtAlgorithm(pub)
	if err != nil {
		return nil, err
	}
	if kid == "" {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("%w: JWT key: %v", ErrConfig, err)
		}
		sum := sha256.Sum256(der)
		kid = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	var key any = cryptosigner.Opaque(s) // a KMS key: only Public and Sign
	switch k := s.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey:
		key = k // go-jose's own signers, without the opaque indirection
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("%w: JWT signer: %v", ErrConfig, err)
	}
	probe, err := signer.Sign([]byte("ztci svid JWT signer self-test"))
	if err != nil {
		return nil, fmt.Errorf("%w: JWT signer self-test: %v", ErrConfig, err)
	}
	if _, err := probe.Verify(pub); err != nil {
		return nil, fmt.Errorf("%w: JWT signer self-test: the %s signature does not verify under the signer's public key", ErrConfig, alg)
	}
	return &jwtKey{kid: kid, alg: alg, pub: pub, signer: signer}, nil
}

// record is k's entry for the key store, published until notAfter.
func (k *jwtKey) record(notAfter time.Time) oidc.PublishedKey {
	return oidc.PublishedKey{ID: k.kid, Algorithm: k.alg, Key: k.pub, NotBefore: k.notBefore, NotAfter: notAfter}
}

// publishAhead is how far beyond the longest-living JWT-SVID a key's
// publication reaches; it is also how long a replica goes on signing once
// the key store stops answering.
func (i *Issuer) publishAhead() time.Duration { return i.cfg.jwtTTL }

// wantUntil is the NotAfter the issuer publishes for its key at now: a
// full JWT-SVID lifetime, the grace and publishAhead ahead.
func (i *Issuer) wantUntil(now time.Time) time.Time {
	return now.Add(i.cfg.jwtTTL + jwtGrace + i.publishAhead())
}

// needsPublish reports whether k's publication must be renewed (less than
// half of publishAhead left). Called with i.jmu held.
func (i *Issuer) needsPublish(k *jwtKey, now time.Time) bool {
	return i.cfg.store != nil && k.publishedUntil.Before(i.wantUntil(now).Add(-i.publishAhead()/2))
}

// jwtSigningKey returns the key to sign a JWT-SVID expiring at exp,
// publishing it first when due. With a key store, the key must be
// published until at least exp plus the grace.
func (i *Issuer) jwtSigningKey(ctx context.Context, now, exp time.Time) (*jwtKey, error) {
	i.jmu.RLock()
	k, due := i.jwtActive, i.needsPublish(i.jwtActive, now)
	i.jmu.RUnlock()
	if !due {
		return k, nil // the common case: nothing to publish
	}
	perr := i.publish(ctx, now)
	i.jmu.RLock()
	k, until := i.jwtActive, i.jwtActive.publishedUntil
	i.jmu.RUnlock()
	if exp.Add(jwtGrace).After(until) {
		return nil, &NotPublishedError{KeyID: k.kid, Until: until, Need: exp.Add(jwtGrace), Err: perr}
	}
	return k, nil
}

// NotPublishedError reports that the JWT signing key is not published in
// the fleet's key store for as long as a JWT-SVID would live, so none is
// issued: a verifier using another replica's bundle could not verify it.
// It matches [ErrIssue] and [oidc.ErrNotPublished].
type NotPublishedError struct {
	KeyID       string
	Until, Need time.Time
	Err         error // the last publish error, if any
}

func (e *NotPublishedError) Error() string {
	return fmt.Sprintf("%v: JWT key %q published until %s, the SVID needs %s (last publish error: %v)", ErrIssue, e.KeyID,
		e.Until.UTC().Format(time.RFC3339), e.Need.UTC().Format(time.RFC3339), e.Err)
}

func (e *NotPublishedError) Unwrap() []error { return []error{ErrIssue, oidc.ErrNotPublished} }

// publish publishes (or renews) the active key's record when due. A
// failure is logged and returned; for jwtPublishRetry after it the store is
// not asked again.
func (i *Issuer) publish(ctx context.Context, now time.Time) error {
	i.jmaint.Lock()
	defer i.jmaint.Unlock()
	i.jmu.RLock()
	k, due := i.jwtActive, i.needsPublish(i.jwtActive, now)
	rec := k.record(i.wantUntil(now))
	i.jmu.RUnlock()
	if !due {
		return nil // published by a concurrent caller
	}
	if !i.pubFailedAt.IsZero() && now.Sub(i.pubFailedAt) < jwtPublishRetry && !now.Before(i.pubFailedAt) {
		return i.pubErr
	}
	i.pubFailedAt, i.pubErr = time.Time{}, nil
	if err := i.cfg.store.Publish(ctx, rec); err != nil {
		i.cfg.logger.WarnContext(ctx, "svid: publishing the JWT signing key to the fleet key store failed", "kid", rec.ID, "error", err)
		i.pubFailedAt, i.pubErr = now, fmt.Errorf("publish kid %q: %w", rec.ID, err)
		return i.pubErr
	}
	i.jmu.Lock()
	if rec.NotAfter.After(k.publishedUntil) {
		k.publishedUntil = rec.NotAfter
	}
	i.jmu.Unlock()
	return nil
}

// PublishJWTKey publishes (or renews) the JWT signing key in the key store
// of [WithJWTKeyStore] now. It returns an error (a [*NotPublishedError])
// unless the key is then published for a full JWT-SVID lifetime, so a
// replica calls it at start-up and takes traffic once it returns nil.
// JWTSVID does the same work when it is due. Without a key store it does
// nothing.
func (i *Issuer) PublishJWTKey(ctx context.Context) error {
	if i.cfg.store == nil {
		return nil
	}
	now := i.cfg.now()
	err := i.publish(ctx, now)
	i.jmu.RLock()
	kid, until := i.jwtActive.kid, i.jwtActive.publishedUntil
	i.jmu.RUnlock()
	if need := now.Add(i.cfg.jwtTTL + jwtGrace); need.After(until) {
		return &NotPublishedError{KeyID: kid, Until: until, Need: need, Err: err}
	}
	return nil
}

// RotateJWTKey makes s (nil: a fresh in-memory P-256 key) the JWT-SVID
// signing key, under kid (empty: derived from the key, see
// [WithJWTSigner]). With [WithJWTKeyStore] the new key is published first,
// and if that fails the previous key goes on signing and the error is
// returned. The previous key stays in this issuer's JWT bundle until every
// JWT-SVID it signed has expired, plus go-jose's minute of leeway; in the
// key store its record stays until that moment at least (and lapses at
// most one JWT-SVID lifetime later), so every replica's bundle keeps it
// too. A kid that such a retired key still holds is refused ([ErrConfig]):
// the bundle would name two keys by it, and tokens of the new key would not
// verify until the old one retired. Verifiers that cache a bundle must
// refresh it to learn the new key.
func (i *Issuer) RotateJWTKey(ctx context.Context, s crypto.Signer, kid string) error {
	if len(kid) > maxJWTKeyID {
		return fmt.Errorf("%w: JWT key id of %d bytes (at most %d)", ErrConfig, len(kid), maxJWTKeyID)
	}
	k, err := newJWTKey(s, kid)
	if err != nil {
		return err
	}
	i.jmaint.Lock()
	defer i.jmaint.Unlock()
	now := i.cfg.now()
	k.notBefore = now
	i.jmu.RLock()
	same := i.jwtActive.kid == k.kid
	// A key id still held by a retired key would name two keys in the
	// bundle, one of which the other overwrites: tokens signed by the
	// new key would not verify until the old one retires.
	retained := slices.ContainsFunc(i.jwtRetired, func(r *jwtKey) bool { return r.kid == k.kid && now.Before(r.retireUntil) })
	i.jmu.RUnlock()
	revoked := i.revoked(k.kid, now)
	switch {
	case same:
		return fmt.Errorf("%w: JWT key %q is already the signing key", ErrConfig, k.kid)
	case revoked:
		return fmt.Errorf("%w: JWT key id %q was revoked (RevokeJWTKey); choose another", ErrConfig, k.kid)
	case retained:
		return fmt.Errorf("%w: JWT key id %q is still held by a retired key; choose another", ErrConfig, k.kid)
	}
	if i.cfg.store != nil {
		rec := k.record(i.wantUntil(now))
		if err := i.cfg.store.Publish(ctx, rec); err != nil {
			return &NotPublishedError{KeyID: k.kid, Need: now.Add(i.cfg.jwtTTL + jwtGrace), Err: err}
		}
		k.publishedUntil = rec.NotAfter
	}
	i.jmu.Lock()
	defer i.jmu.Unlock()
	old := i.jwtActive
	// JWTSVID calls that took old before this lock sign with it: their
	// SVIDs expire by now plus the TTL.
	old.retireUntil = now.Add(i.cfg.jwtTTL + jwtGrace)
	i.jwtRetired = append(i.jwtRetired, old)
	i.jwtActive = k
	i.cfg.logger.InfoContext(ctx, "svid: JWT signing key rotated", "kid", k.kid, "previous_kid", old.kid)
	return nil
}

// ownJWTKeys returns this issuer's keys its JWT bundle holds at now: the
// active key and every retired key whose SVIDs may still be valid (the
// others are dropped).
func (i *Issuer) ownJWTKeys(now time.Time) map[string]crypto.PublicKey {
	expired := func(k *jwtKey) bool { return !now.Before(k.retireUntil) }
	i.jmu.RLock()
	prune := slices.ContainsFunc(i.jwtRetired, expired)
	i.jmu.RUnlock()
	if prune { // rare: once per rotation
		i.jmu.Lock()
		i.jwtRetired = slices.DeleteFunc(i.jwtRetired, expired)
		i.jmu.Unlock()
	}
	i.jmu.RLock()
	defer i.jmu.RUnlock()
	out := make(map[string]crypto.PublicKey, 1+len(i.jwtRetired))
	out[i.jwtActive.kid] = i.jwtActive.pub
	for _, k := range i.jwtRetired {
		if !expired(k) {
			out[k.kid] = k.pub
		}
	}
	return out
}

// jwtAuthorities returns the JWT bundle's keys: this issuer's own and, with
// a key store, every live fleet key of a JWT-SVID algorithm that passes
// [oidc.PublishedKey.Validate] and that this issuer has not revoked. A fleet key whose id is one of ours with
// other key material is left out and logged. When the store cannot answer,
// or the union would exceed [oidc.MaxFleetKeys], it returns this issuer's
// own keys, never more, and the error.
func (i *Issuer) jwtAuthorities(ctx context.Context) (map[string]crypto.PublicKey, error) {
	now := i.cfg.now()
	own := i.ownJWTKeys(now)
	if i.cfg.store == nil {
		return own, nil
	}
	fleet, err := i.cfg.store.Keys(ctx)
	if err != nil {
		return own, fmt.Errorf("%w: %w", oidc.ErrKeyStore, err)
	}
	out := make(map[string]crypto.PublicKey, len(own)+len(fleet))
	for kid, k := range own {
		out[kid] = k
	}
	i.jmu.RLock()
	revoked := maps.Clone(i.jwtRevoked) // nil, the common case, allocates nothing
	i.jmu.RUnlock()
	for _, k := range fleet {
		if until, ok := revoked[k.ID]; ok && now.Before(until) {
			continue // RevokeJWTKey: even if the store still serves it
		}
		if err := i.fleetKeys.validate(k, now); err != nil {
			i.cfg.logger.ErrorContext(ctx, "svid: fleet JWT key not served", "kid", k.ID, "error", err)
			continue
		}
		if o, ok := out[k.ID]; ok {
			if !samePublic(o, k.Key) {
				i.cfg.logger.ErrorContext(ctx, "svid: fleet JWT key not served", "kid", k.ID, "error", oidc.ErrKeyConflict)
			}
			continue
		}
		out[k.ID] = k.Key
	}
	if len(out) > oidc.MaxFleetKeys {
		return own, fmt.Errorf("%w: %d live JWT keys, at most %d", oidc.ErrTooManyKeys, len(out), oidc.MaxFleetKeys)
	}
	return out, nil
}

func samePublic(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// validatedKeys remembers the fleet records already checked with
// [oidc.PublishedKey.Validate], so that building a bundle re-checks only
// their times. It holds at most 2*[oidc.MaxFleetKeys] records.
type validatedKeys struct {
	mu   sync.Mutex
	seen map[string]oidc.PublishedKey
}

// validate checks k for the JWT bundle at now: a JWT-SVID algorithm and
// [oidc.PublishedKey.Validate], skipping the shape check of a record seen
// before with the same key and times.
func (v *validatedKeys) validate(k oidc.PublishedKey, now time.Time) error {
	if !slices.Contains(jwtAlgorithms, k.Algorithm) {
		return fmt.Errorf("%w: kid %q: algorithm %q is not one JWT-SVIDs may use", oidc.ErrKeyRecord, k.ID, k.Algorithm)
	}
	v.mu.Lock()
	old, ok := v.seen[k.ID]
	v.mu.Unlock()
	if ok && old.Algorithm == k.Algorithm && samePublic(old.Key, k.Key) && old.NotBefore.Equal(k.NotBefore) && old.NotAfter.Equal(k.NotAfter) {
		switch {
		case !k.NotAfter.After(now):
			return fmt.Errorf("%w: kid %q expired", oidc.ErrKeyRecord, k.ID)
		case k.NotAfter.Sub(now) > oidc.MaxKeyHorizon:
			return fmt.Errorf("%w: kid %q published more than %v ahead", oidc.ErrKeyRecord, k.ID, oidc.MaxKeyHorizon)
		}
		return nil
	}
	if err := k.Validate(now); err != nil {
		return err
	}
	v.mu.Lock()
	if len(v.seen) >= 2*oidc.MaxFleetKeys {
		clear(v.seen)
	}
	v.seen[k.ID] = k
	v.mu.Unlock()
	return nil
}

// JWTBundle returns the JWT bundle: the keys that verify this issuer's
// JWT-SVIDs (the signing key, and a rotated-out key until its SVIDs have
// expired) and, with [WithJWTKeyStore], every live key of the fleet. When
// the key store cannot answer, it holds this issuer's own keys only, never
// more (SVIDs of other replicas then fail to verify: fail closed) and the
// failure is logged; use [Issuer.FleetJWTBundle] to see the error.
func (i *Issuer) JWTBundle() *jwtbundle.Bundle {
	keys, err := i.jwtAuthorities(context.Background())
	if err != nil {
		// Debug: a verifier builds the bundle per SVID, and the key store
		// logs its own outage.
		i.cfg.logger.Debug("svid: JWT bundle holds this replica's keys only", "error", err)
	}
	return jwtbundle.FromJWTAuthorities(i.td, keys)
}

// FleetJWTBundle is [Issuer.JWTBundle] that fails instead of falling back
// to this issuer's own keys when the key store cannot answer (an error
// wrapping [oidc.ErrKeyStore]) or holds more than [oidc.MaxFleetKeys] keys:
// for a caller that publishes the bundle to others, which must keep their
// last good bundle rather than take a partial one.
func (i *Issuer) FleetJWTBundle(ctx context.Context) (*jwtbundle.Bundle, error) {
	keys, err := i.jwtAuthorities(ctx)
	if err != nil {
		return nil, err
	}
	return jwtbundle.FromJWTAuthorities(i.td, keys), nil
}

// FleetJWTBundleMaxAge is how long after a [Issuer.FleetJWTBundle] read
// every fleet key in it has lapsed from the key store: two JWT-SVID
// lifetimes and go-jose's minute of leeway, the furthest ahead a replica
// with this issuer's JWT-SVID TTL publishes its key (records of replicas
// with a longer TTL may reach further). Past it, a bundle that was read
// then holds no key that any unexpired JWT-SVID of another replica needs,
// so a caller that keeps its last good bundle through a key store outage
// keeps it for no longer than this.
func (i *Issuer) FleetJWTBundleMaxAge() time.Duration {
	return i.cfg.jwtTTL + jwtGrace + i.publishAhead()
}

// GetJWTBundleForTrustDomain implements jwtbundle.Source: [Issuer.JWTBundle]
// for the issuer's trust domain, an error for any other.
func (i *Issuer) GetJWTBundleForTrustDomain(td spiffeid.TrustDomain) (*jwtbundle.Bundle, error) {
	if td != i.td {
		return nil, fmt.Errorf("svid: no JWT bundle for trust domain %q", td)
	}
	return i.JWTBundle(), nil
}
