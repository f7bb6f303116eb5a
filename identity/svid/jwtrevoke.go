package svid

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/identity/oidc"
)

// Errors of [Issuer.RevokeJWTKey].
var (
	// ErrJWTKeyActive: the key id is this issuer's JWT signing key, which
	// cannot be revoked while it signs: rotate it out first
	// ([Issuer.RotateJWTKey]), then revoke it.
	ErrJWTKeyActive = errors.New("svid: the JWT signing key cannot be revoked: rotate it out first")
	// ErrJWTKeyUnknown: the key id is in no JWT bundle this issuer serves
	// and was not revoked by it: nothing trusts it here, so there is
	// nothing to revoke (a typo must not leave a revocation in the store
	// for good).
	ErrJWTKeyUnknown = errors.New("svid: JWT key id not in the JWT bundle")
)

// RevokeJWTKey withdraws the JWT-SVID verification key kid, whose private
// half may be stolen, from the JWT bundle at once, instead of letting it
// stay until its JWT-SVIDs have expired as [Issuer.RotateJWTKey] does:
// JWT-SVIDs it signed, genuine or forged, no longer verify. kid may be a
// key this issuer rotated out or, with [WithJWTKeyStore], any key of the
// fleet's bundle; the signing key is refused ([ErrJWTKeyActive]: rotate
// first), and so is a kid in no bundle ([ErrJWTKeyUnknown]). Revoking a
// kid again is not an error (and records it in the store again), so a
// caller retries a failed call as it is.
//
// With a key store the revocation is recorded there ([oidc.KeyStore.Revoke])
// for good: every replica drops the key from its bundle at its store's
// next refresh (identity/oidc/natskeys: its watch, within milliseconds, or
// its full read every WithRefresh, 30s by default, at the latest), no replica can publish it
// again, and a replica still signing with it (one sharing a KMS key) stops
// issuing JWT-SVIDs once its last publication lapses. If the store fails,
// this issuer has revoked the key all the same and the error (matching
// [oidc.ErrKeyStore]) says the fleet has not: retry. This issuer leaves the
// kid out of its bundle for [oidc.MaxKeyHorizon], past any record of it
// published before, and refuses to rotate to it.
//
// Verifiers reading this issuer ([JWTVerifier], [Issuer.JWTBundle]) drop
// the key at once; identity/workload's bundle streams within their
// WithBundleRefresh; any other verifier when it next refreshes its bundle.
// With [WithAudit] the revocation is audited (identity.svid.jwt.key.revoke,
// success or failure); an audit failure is returned after the revocation
// took effect.
func (i *Issuer) RevokeJWTKey(ctx context.Context, kid string) error {
	i.jmaint.Lock() // no rotation meanwhile: kid stays retired
	defer i.jmaint.Unlock()
	if err := i.checkRevocable(ctx, kid); err != nil {
		return err
	}
	i.revokeLocally(kid, i.cfg.now())
	var err error
	if i.cfg.store != nil {
		if err = i.cfg.store.Revoke(ctx, kid); err != nil {
			err = fmt.Errorf("%w: JWT key %q revoked in this issuer's bundle, not in the key store (retry): %w", oidc.ErrKeyStore, kid, err)
		}
	}
	i.cfg.logger.WarnContext(ctx, "svid: JWT key revoked", "kid", kid, "error", err)
	if aerr := i.auditRevoke(ctx, kid, err); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

// checkRevocable refuses the signing key and a kid that no bundle of this
// issuer holds (unless it revoked it before). Called with i.jmaint held.
func (i *Issuer) checkRevocable(ctx context.Context, kid string) error {
	i.jmu.RLock()
	active := i.jwtActive.kid == kid
	_, again := i.jwtRevoked[kid]
	i.jmu.RUnlock()
	switch {
	case active:
		return fmt.Errorf("%w: %q", ErrJWTKeyActive, kid)
	case again:
		return nil
	}
	keys, err := i.jwtAuthorities(ctx)
	if _, ok := keys[kid]; ok {
		return nil
	}
	if err != nil { // the fleet's keys are unknown: kid may be one
		return err
	}
	return fmt.Errorf("%w: %q", ErrJWTKeyUnknown, kid)
}

// revokeLocally drops kid from this issuer's keys and leaves it out of the
// fleet's for MaxKeyHorizon, past which no record of it published before
// now is live.
func (i *Issuer) revokeLocally(kid string, now time.Time) {
	i.jmu.Lock()
	defer i.jmu.Unlock()
	if i.jwtRevoked == nil {
		i.jwtRevoked = map[string]time.Time{}
	}
	maps.DeleteFunc(i.jwtRevoked, func(_ string, until time.Time) bool { return !now.Before(until) })
	i.jwtRevoked[kid] = now.Add(oidc.MaxKeyHorizon)
	for j, k := range i.jwtRetired {
		if k.kid == kid {
			i.jwtRetired = append(i.jwtRetired[:j:j], i.jwtRetired[j+1:]...)
			break
		}
	}
}

// revoked reports whether this issuer leaves kid out of its bundle at now.
func (i *Issuer) revoked(kid string, now time.Time) bool {
	i.jmu.RLock()
	until, ok := i.jwtRevoked[kid]
	i.jmu.RUnlock()
	return ok && now.Before(until)
}

// auditRevoke writes the revocation's audit event, failed when storeErr is
// not nil (its text holds the kid and the store's error, no key material).
func (i *Issuer) auditRevoke(ctx context.Context, kid string, storeErr error) error {
	if i.cfg.sink == nil {
		return nil
	}
	ev := audit.Event{
		ID: hex.EncodeToString(randomSerial().Bytes()), Time: i.cfg.now().UTC(), Source: "ztci/identity/svid",
		Action: "identity.svid.jwt.key.revoke", Outcome: audit.OutcomeSuccess,
		Actor:    audit.Actor{ID: "spiffe://" + i.td.Name(), Kind: "service"},
		Resource: "jwt-key:" + kid, Reason: "JWT-SVID verification key revoked",
	}
	if storeErr != nil {
		ev.Outcome, ev.Reason = audit.OutcomeFailure, "revoked in this issuer's JWT bundle, not recorded in the fleet key store"
	}
	if err := i.cfg.sink.Write(ctx, ev); err != nil {
		return fmt.Errorf("%w: JWT key %q revoked, but the revocation was not audited: %w", ErrIssue, kid, err)
	}
	return nil
}
