package oidc

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// MaxRotation is the longest interval [WithRotation] accepts.
const MaxRotation = 7 * 24 * time.Hour

// WithSigner makes the issuer sign with s (a KMS or HSM key, or any
// in-process key) under key id kid; an empty kid means the key's RFC 7638
// SHA-256 thumbprint, which stays the same across restarts. The algorithm
// is pinned to the key: ES256 for P-256, ES384 for P-384, ES512 for P-521,
// EdDSA for Ed25519, and PS256 for RSA of at least 2048 bits unless
// [WithAlgorithm] picks RS256 (or another RS*/PS*). A [WithAlgorithm] that
// does not fit the key, a key the verifier would refuse, or a Signer whose
// self-test signature does not verify under its Public() is refused by
// NewIssuer with an error wrapping [ErrSigner]. The issuer calls only
// s.Public and s.Sign: the private key never leaves the Signer. Such an
// issuer cannot [Issuer.Rotate] and refuses [WithRotation]; restarting it
// with the same Signer keeps every outstanding token valid. Issuer only.
func WithSigner(s crypto.Signer, kid string) Option {
	return func(c *config) error {
		only(c, forIssuer, "WithSigner")
		if s == nil {
			return fmt.Errorf("%w: nil signer", ErrConfig)
		}
		if len(kid) > maxKeyIDLen {
			return fmt.Errorf("%w: key id of %d bytes (at most %d)", ErrConfig, len(kid), maxKeyIDLen)
		}
		c.signer, c.signerKID = s, kid
		return nil
	}
}

// WithKeyStore makes the issuer one replica of a fleet sharing ks: it
// publishes its public keys there before signing with them, and its JWKS
// (and [Issuer.Handler]) serves every live key of the fleet, so a token
// minted by any replica verifies against any replica's JWKS. See
// [KeyStore] for the contract and [Issuer.Publish] for start-up. Issuer
// only.
func WithKeyStore(ks KeyStore) Option {
	return func(c *config) error {
		only(c, forIssuer, "WithKeyStore")
		if ks == nil {
			return fmt.Errorf("%w: nil key store", ErrConfig)
		}
		c.store = ks
		return nil
	}
}

// WithRotation rotates the issuer's in-memory key every d (at least the
// token TTL, at most [MaxRotation]). The next key is generated and
// published one interval before it starts signing, so that every replica's
// JWKS and every verifier's cache can hold it in time; the previous key
// stays published until every token it signed has expired (TTL plus a
// minute of grace), then is withdrawn. With [WithKeyStore], the next key
// is published again when it is promoted, before it signs: one the store
// revoked meanwhile ([KeyStore.Revoke]) never signs (the issuer rotates to
// a fresh key), and while the store cannot answer it does not sign either
// (Mint fails with [ErrNotPublished]). Rotation happens in Mint (and
// [Issuer.Publish]) when due: the issuer starts no goroutine. Refused
// together with [WithSigner]. Issuer only.
func WithRotation(d time.Duration) Option {
	return func(c *config) error {
		only(c, forIssuer, "WithRotation")
		if d <= 0 || d > MaxRotation {
			return fmt.Errorf("%w: rotation interval %v outside (0, %v]", ErrConfig, d, MaxRotation)
		}
		c.rotation = d
		return nil
	}
}

// checkFleet rejects conflicting issuer options.
func (c *config) checkFleet() error {
	switch {
	case c.rotation > 0 && c.signer != nil:
		return fmt.Errorf("%w: WithRotation generates keys and WithSigner supplies one: choose one", ErrConfig)
	case c.rotation > 0 && c.rotation < c.ttl:
		return fmt.Errorf("%w: rotation interval %v is shorter than the token TTL %v", ErrConfig, c.rotation, c.ttl)
	}
	return nil
}

// publishRetry is how long after a failed publish the issuer waits before
// trying again, so that during a key-store outage Mint does not wait on the
// store each time while its key's publication still covers the token.
const publishRetry = 5 * time.Second

// publishAhead is how far beyond the longest-living token a key's
// publication reaches. It is also how long a replica goes on minting once
// the key store stops answering: past it, Mint fails with ErrNotPublished.
func (i *Issuer) publishAhead() time.Duration { return i.cfg.ttl }

// wantUntil is the NotAfter the issuer publishes for k at now: a full
// token lifetime, the grace and publishAhead beyond the later of now and
// the time k starts signing.
func (i *Issuer) wantUntil(k *signingKey, now time.Time) time.Time {
	from := now
	if k.notBefore.After(now) {
		from = k.notBefore
	}
	return from.Add(i.cfg.ttl + retireGrace + i.publishAhead())
}

// needsPublish reports whether k's publication must be renewed (it
// has less than half of publishAhead left). Called with i.mu held.
func (i *Issuer) needsPublish(k *signingKey, now time.Time) bool {
	return i.cfg.store != nil && k != nil && !k.revoked && k.publishedUntil.Before(i.wantUntil(k, now).Add(-i.publishAhead()/2))
}

// dueLocked reports whether rotation or publishing is due. Called with
// i.mu held.
func (i *Issuer) dueLocked(now time.Time) bool {
	if i.cfg.rotation > 0 && (i.next == nil || !now.Before(i.rotateAt)) {
		return true
	}
	return i.needsPublish(i.active, now) || i.needsPublish(i.next, now)
}

// promote makes k the active key; the previous one retires and stays in
// this issuer's JWKS until its last token has expired. Called with i.mu
// held.
func (i *Issuer) promote(now time.Time, k *signingKey) {
	old := i.active
	old.retireUntil = now.Add(i.cfg.ttl + retireGrace)
	i.retired = append(i.retired, old)
	if k.notBefore.IsZero() || k.notBefore.After(now) {
		k.notBefore = now
	}
	i.active = k
	if i.cfg.rotation > 0 {
		i.rotateAt = now.Add(i.cfg.rotation)
	}
}

// signingKey returns the key to sign a token expiring at exp, rotating and
// publishing first when due. With a key store, the key must be published
// until at least exp plus the grace.
func (i *Issuer) signingKey(ctx context.Context, now, exp time.Time) (*signingKey, error) {
	i.mu.RLock()
	k, due := i.active, i.dueLocked(now) || i.active.revoked
	i.mu.RUnlock()
	if !due {
		revoked, err := i.storeRevoked(ctx, k)
		if err != nil {
			return nil, err
		}
		if !revoked {
			return k, nil // the common case: no lock beyond the read lock
		}
		// Revoked by another replica since we last asked the store:
		// never sign with it; a rotating issuer rotates away below.
		i.revoke(k)
	}
	// Hold maint from publishing to reading the active key, so that a
	// concurrent Rotate cannot make an unpublished key active in between.
	i.maint.Lock()
	perr := i.maintain(ctx, now)
	i.mu.RLock()
	k, until, revoked := i.active, i.active.publishedUntil, i.active.revoked
	i.mu.RUnlock()
	i.maint.Unlock()
	if revoked {
		return nil, fmt.Errorf("%w: %w: kid %q", ErrNotPublished, ErrKeyRevoked, k.public.KeyID)
	}
	if revoked, err := i.storeRevoked(ctx, k); err != nil {
		return nil, err
	} else if revoked {
		i.revoke(k)
		return nil, fmt.Errorf("%w: %w: kid %q", ErrNotPublished, ErrKeyRevoked, k.public.KeyID)
	}
	if i.cfg.store != nil && exp.Add(retireGrace).After(until) {
		return nil, fmt.Errorf("%w: kid %q is published until %s, the token would need %s (last publish error: %v)",
			ErrNotPublished, k.public.KeyID, until.UTC().Format(time.RFC3339), exp.Add(retireGrace).UTC().Format(time.RFC3339), perr)
	}
	return k, nil
}

// storeRevoked asks the key store, when it is a [RevocationChecker],
// whether k was revoked. A store that cannot answer fails closed.
func (i *Issuer) storeRevoked(ctx context.Context, k *signingKey) (bool, error) {
	rc, ok := i.cfg.store.(RevocationChecker)
	if !ok {
		return false, nil
	}
	revoked, err := rc.Revoked(ctx, k.public.KeyID)
	if err != nil {
		return false, fmt.Errorf("%w: asking whether kid %q is revoked: %w", ErrKeyStore, k.public.KeyID, err)
	}
	return revoked, nil
}

// Publish runs the issuer's scheduled work now: the rotation when due, and,
// with [WithKeyStore], publishing (or renewing) its active and next keys.
// It returns an error when the active key is not published for a full token
// lifetime, so a replica calls it at start-up and takes traffic once it
// returns nil. Mint does the same work when it is due, so calling Publish
// is optional.
func (i *Issuer) Publish(ctx context.Context) error {
	now := i.cfg.now()
	i.maint.Lock()
	err := i.maintain(ctx, now)
	i.mu.RLock()
	kid, until, revoked := i.active.public.KeyID, i.active.publishedUntil, i.active.revoked
	i.mu.RUnlock()
	i.maint.Unlock()
	if i.cfg.store == nil {
		return err
	}
	if revoked {
		return fmt.Errorf("%w: %w: kid %q", ErrNotPublished, ErrKeyRevoked, kid)
	}
	if need := now.Add(i.cfg.ttl + retireGrace); need.After(until) {
		return fmt.Errorf("%w: kid %q: %w", ErrNotPublished, kid, err)
	}
	return nil
}

// maintain rotates when due and publishes what needs it. Failures are
// logged and returned joined; the caller decides whether the active key is
// still usable. Called with i.maint held.
func (i *Issuer) maintain(ctx context.Context, now time.Time) error {
	err := i.maintainOnce(ctx, now)
	i.mu.RLock()
	again := i.cfg.rotation > 0 && i.active.revoked
	i.mu.RUnlock()
	if again {
		// This pass's publish found the active key revoked: rotate away
		// from it now (to the next key, or a fresh one published first),
		// so that the Mint that learned of it signs rather than fails. A
		// second pass only: a key revoked again fails the caller.
		err = errors.Join(err, i.maintainOnce(ctx, now))
	}
	return err
}

// maintainOnce is one pass of maintain. Called with i.maint held.
func (i *Issuer) maintainOnce(ctx context.Context, now time.Time) error {
	var errs []error
	if i.cfg.rotation > 0 {
		i.mu.Lock()
		// A revoked active key is rotated away from at once.
		due := !now.Before(i.rotateAt) || i.active.revoked
		if due && i.next != nil {
			n := i.next
			i.next = nil
			if i.cfg.store != nil {
				// Its publication reaches a rotation interval ahead, so
				// its renewal (the store's check that it is not revoked,
				// [KeyStore.Revoke]) is that far off, on schedule or early
				// (the active key was revoked). Publish it again before it
				// signs: a key the store revoked meanwhile is refused
				// there, and one the store cannot confirm does not sign
				// (ErrNotPublished) until it can.
				n.publishedUntil = time.Time{}
			}
			i.promote(now, n)
			due = false
		}
		i.mu.Unlock()
		if due {
			// No next key was made in time: rotate to a fresh one, which
			// is published below before it signs.
			if k, err := newSigningKey(i.cfg.alg); err != nil {
				errs = append(errs, err)
			} else {
				i.mu.Lock()
				i.promote(now, k)
				i.mu.Unlock()
			}
		}
		i.mu.RLock()
		missing := i.next == nil
		i.mu.RUnlock()
		if missing {
			if k, err := newSigningKey(i.cfg.alg); err != nil {
				errs = append(errs, err)
			} else {
				i.mu.Lock()
				if i.next == nil {
					k.notBefore = i.rotateAt
					i.next = k
				}
				i.mu.Unlock()
			}
		}
	}
	if i.cfg.store == nil {
		return errors.Join(errs...)
	}
	type publication struct {
		k   *signingKey
		rec PublishedKey
	}
	i.mu.RLock()
	var todo []publication
	for _, k := range []*signingKey{i.active, i.next} {
		if i.needsPublish(k, now) {
			todo = append(todo, publication{k, PublishedKey{ID: k.public.KeyID, Algorithm: k.alg, Key: k.public.Key,
				NotBefore: k.notBefore, NotAfter: i.wantUntil(k, now)}})
		}
	}
	i.mu.RUnlock()
	if len(todo) > 0 && !i.pubFailedAt.IsZero() && now.Sub(i.pubFailedAt) < publishRetry && !now.Before(i.pubFailedAt) {
		// The store failed moments ago: do not make every Mint wait for it.
		return errors.Join(append(errs, i.pubErr)...)
	}
	i.pubFailedAt, i.pubErr = time.Time{}, nil
	for _, p := range todo {
		k, rec := p.k, p.rec
		if err := i.cfg.store.Publish(ctx, rec); err != nil {
			i.cfg.logger.WarnContext(ctx, "oidc: publishing signing key to the fleet key store failed", "kid", rec.ID, "error", err)
			err = fmt.Errorf("publish kid %q: %w", rec.ID, err)
			errs = append(errs, err)
			if errors.Is(err, ErrKeyRevoked) {
				i.revoke(k)
				continue // not a store outage: no retry delay for the others
			}
			i.pubFailedAt, i.pubErr = now, err
			continue
		}
		i.mu.Lock()
		if rec.NotAfter.After(k.publishedUntil) {
			k.publishedUntil = rec.NotAfter
		}
		i.mu.Unlock()
	}
	return errors.Join(errs...)
}

// revoke marks k revoked by the key store: it is withdrawn from this
// issuer's JWKS and never signs again. A revoked next key is dropped (the
// next rotation makes a fresh one); a rotating issuer whose active key is
// revoked rotates away from it in the same maintain call.
func (i *Issuer) revoke(k *signingKey) {
	i.mu.Lock()
	defer i.mu.Unlock()
	k.revoked, k.publishedUntil = true, time.Time{}
	if i.next == k {
		i.next = nil
	}
}

// ownKeys returns this issuer's keys that its JWKS holds at now: without a
// key store its active and next keys and every retired key whose tokens
// may still be valid; with one, those of them that are published. Retired
// keys past that are dropped. With a key store and listed non-nil (the
// kids of the store's answer), a key whose kid the store no longer lists
// (revoked, or lost) is left out too, and counts as unpublished, so that
// it signs again only once a new Publish succeeds.
func (i *Issuer) ownKeys(now time.Time, listed map[string]bool) []jose.JSONWebKey {
	i.mu.Lock()
	defer i.mu.Unlock()
	visible := func(k *signingKey, retired bool) bool {
		switch {
		case i.cfg.store != nil && listed != nil && !listed[k.public.KeyID]:
			k.publishedUntil = time.Time{}
			return false
		case i.cfg.store != nil:
			return now.Before(k.publishedUntil)
		case retired:
			return now.Before(k.retireUntil)
		}
		return true
	}
	i.retired = slices.DeleteFunc(i.retired, func(k *signingKey) bool { return !visible(k, true) })
	var out []jose.JSONWebKey
	for _, k := range []*signingKey{i.active, i.next} {
		if k != nil && visible(k, false) {
			out = append(out, k.public)
		}
	}
	for _, k := range i.retired {
		out = append(out, k.public)
	}
	return out
}

func (i *Issuer) ownJWKS(now time.Time) []byte {
	return marshalJWKS(i.ownKeys(now, nil))
}

func marshalJWKS(keys []jose.JSONWebKey) []byte {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey{}, keys...)})
	if err != nil {
		panic("oidc: marshal JWKS of validated public keys: " + err.Error()) // cannot happen: every key was checked
	}
	return b
}

// jwks returns the JWKS to serve: this issuer's own keys and, with a key
// store, every live fleet key that passes [PublishedKey.Validate]. A fleet
// key whose id is one of ours with other key material is left out and
// logged. It fails when the store cannot answer or the union would exceed
// [MaxFleetKeys].
func (i *Issuer) jwks(ctx context.Context) ([]byte, error) {
	now := i.cfg.now()
	if i.cfg.store == nil {
		return marshalJWKS(i.ownKeys(now, nil)), nil
	}
	fleet, err := i.cfg.store.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyStore, err)
	}
	// The store decides which of our keys are live: one it no longer lists
	// was revoked (its private half may be stolen) and is served no more.
	listed := make(map[string]bool, len(fleet))
	for _, k := range fleet {
		listed[k.ID] = true
	}
	own := i.ownKeys(now, listed)
	seen := make(map[string]PublishedKey, len(own)+len(fleet))
	for _, k := range own {
		seen[k.KeyID] = PublishedKey{ID: k.KeyID, Algorithm: Algorithm(k.Algorithm), Key: k.Key}
	}
	keys := own
	checked := i.checkedKeys()
	for _, k := range fleet {
		if err := checked.validate(k, now); err != nil {
			i.cfg.logger.ErrorContext(ctx, "oidc: fleet key not served", "kid", k.ID, "error", err)
			continue
		}
		if o, ok := seen[k.ID]; ok {
			if !o.sameKey(k) {
				i.cfg.logger.ErrorContext(ctx, "oidc: fleet key not served", "kid", k.ID, "error", ErrKeyConflict)
			}
			continue
		}
		seen[k.ID] = k
		keys = append(keys, k.jwk())
	}
	if len(keys) > MaxFleetKeys {
		return nil, fmt.Errorf("%w: %d live keys, at most %d", ErrTooManyKeys, len(keys), MaxFleetKeys)
	}
	return marshalJWKS(keys), nil
}

// validatedKeys remembers the fleet records whose shape was checked, so a
// JWKS request re-checks only their times. Entries are replaced on every
// use, so it holds at most the fleet's current records.
type validatedKeys struct {
	mu   sync.Mutex
	seen map[string]PublishedKey
}

func (i *Issuer) checkedKeys() *validatedKeys {
	i.validatedOnce.Do(func() { i.validated = &validatedKeys{seen: map[string]PublishedKey{}} })
	return i.validated
}

// validate is [PublishedKey.Validate], skipping the shape check of a
// record already checked with the same key and times.
func (v *validatedKeys) validate(k PublishedKey, now time.Time) error {
	v.mu.Lock()
	old, ok := v.seen[k.ID]
	v.mu.Unlock()
	if ok && old.sameKey(k) && old.NotBefore.Equal(k.NotBefore) && old.NotAfter.Equal(k.NotAfter) {
		switch {
		case !k.NotAfter.After(now):
			return fmt.Errorf("%w: kid %q expired", ErrKeyRecord, k.ID)
		case k.NotAfter.Sub(now) > MaxKeyHorizon:
			return fmt.Errorf("%w: kid %q published more than %v ahead", ErrKeyRecord, k.ID, MaxKeyHorizon)
		}
		return nil
	}
	if err := k.Validate(now); err != nil {
		return err
	}
	v.mu.Lock()
	if len(v.seen) >= 2*MaxFleetKeys {
		clear(v.seen)
	}
	v.seen[k.ID] = k
	v.mu.Unlock()
	return nil
}

// servedAlgorithms lists the algorithms of the keys a fleet's tokens may be
// signed with: this issuer's, then every other one in the fleet's key set
// (a verifier such as go-oidc accepts only the algorithms discovery
// advertises). When the key store cannot answer, only this issuer's.
func (i *Issuer) servedAlgorithms(ctx context.Context) []string {
	algs := []string{string(i.cfg.alg)}
	if i.cfg.store == nil {
		return algs
	}
	fleet, err := i.cfg.store.Keys(ctx)
	if err != nil {
		return algs
	}
	for _, k := range fleet {
		if k.Algorithm.valid() && !slices.Contains(algs, string(k.Algorithm)) {
			algs = append(algs, string(k.Algorithm))
		}
	}
	return algs
}
