package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
)

// defaultReplayCacheSize is how many live token ids the single-use cache
// holds by default: 100,000 ids, a few tens of MiB at most, cover 160
// decisions a second with tokens valid ten minutes (an id is kept until its
// token expires).
const defaultReplayCacheSize = 100_000

// tokenVerifier is the verifier of the deploying jobs' tokens: single-use
// over an in-process replay cache unless --single-use=false.
//
// What "single-use" means here: the oidc verifier records a token's jti
// once its signature and claims verify and policy/gate has taken the job's
// decision slots (identity.DeferredTokenVerifier), before anything else is
// done for the request, so a token is spent by the first request that
// presents it and gets a slot, whatever that request's outcome. A busy job
// (503 with Retry-After) and an image in a registry the gate does not read
// are refused before the token is spent. A request the gate could not
// decide (registry unreachable, audit log failing, a client that hung up)
// spends its token, and that is the fail-closed choice:
//
//   - The claim has to come before the decision, in one atomic step: a
//     token recorded only after an allow lets two concurrent presentations
//     both be decided, and both be allowed. Giving the token back after an
//     undecided request would need a release the replay caches do not have
//     (natsreplay and pgreplay spend a token even when a claim's answer is
//     lost), and would race with a concurrent presentation of the same
//     token.
//   - "Undecided" is the gate's view, not the caller's: a client that hung
//     up or a proxy that timed out may have left the token in a log or a
//     retry queue. Whoever holds a copy must not get another try because
//     the first one failed, nor any number of tries while the gate cannot
//     decide.
//
// The cost is that a job retries an undecided request with a new token,
// which its CI platform mints in one call.
func tokenVerifier(o options, issuer, audience string, log *slog.Logger) (identity.TokenVerifier, error) {
	if !o.singleUse {
		return oidc.NewVerifier(issuer, audience)
	}
	v, err := oidc.NewVerifier(issuer, audience, oidc.WithSingleUse(oidc.NewMemoryReplayCache(o.replayCacheSize, nil)))
	if err != nil {
		return nil, err
	}
	return singleUseTokens{v: v, log: log}, nil
}

// singleUseTokens logs what the gate's audit event of a refused token does
// not tell apart ("refused: unauthenticated" is every token refusal): a
// replay, a sign that the token was copied, and a full cache, which
// refuses every new token until ids expire. The log lines hold no token
// and no token id.
type singleUseTokens struct {
	v   *oidc.Verifier
	log *slog.Logger
}

func (s singleUseTokens) Verify(ctx context.Context, raw string) (identity.Identity, error) {
	id, err := s.v.Verify(ctx, raw)
	s.logRefusal(ctx, err)
	return id, err
}

// VerifyDeferred passes the verifier's identity.DeferredTokenVerifier on:
// without it the gate would spend the token before taking the job's slots.
func (s singleUseTokens) VerifyDeferred(ctx context.Context, raw string) (identity.Identity, func(context.Context) error, error) {
	id, spend, err := s.v.VerifyDeferred(ctx, raw)
	if err != nil {
		s.logRefusal(ctx, err)
		return id, nil, err
	}
	return id, func(ctx context.Context) error {
		err := spend(ctx)
		s.logRefusal(ctx, err)
		return err
	}, nil
}

// SingleUse passes the verifier's identity.SingleUseReporter on, so that
// a component that must not be given a single-use verifier (policy/egress)
// still sees it through this wrapper.
func (s singleUseTokens) SingleUse() bool { return s.v.SingleUse() }

func (s singleUseTokens) logRefusal(ctx context.Context, err error) {
	switch {
	case errors.Is(err, oidc.ErrReplayed):
		s.log.WarnContext(ctx, "job token refused: already used, or without a jti (tokens are single-use)")
	case errors.Is(err, oidc.ErrReplayCacheFull):
		s.log.ErrorContext(ctx, "job token refused: the single-use cache is full of unexpired token ids (raise --replay-cache-size)")
	}
}
