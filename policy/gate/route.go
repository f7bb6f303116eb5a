package gate

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// verifyOne verifies a bundle with the verifier for the predicate type it
// claims, and with no other. The claim is unverified and only routes: that
// verifier's expectation requires the type, so a false claim fails
// verification. A bundle claiming a type the gate has no verifier for is
// rejected without any cryptography.
func (g *Gate) verifyOne(ctx context.Context, bundle []byte, artifact v1.Hash) (*verify.Result, error) {
	a, err := verify.ArtifactDigest(artifact.Algorithm, artifact.Hex)
	if err != nil {
		return nil, err
	}
	pt := claimedPredicateType(bundle)
	v, ok := g.verifiers[pt]
	if !ok {
		return nil, &UnexpectedPredicateTypeError{Got: pt}
	}
	if err := chargeBundle(ctx); err != nil {
		return nil, err
	}
	return v.Verify(ctx, bundle, a)
}

// verifyBundle is the gate's image.BundleVerifier. It hands back the whole
// verification result, so the policy input can carry the statement.
func (g *Gate) verifyBundle(ctx context.Context, bundle []byte, artifact v1.Hash) (image.BundleResult, error) {
	vr, err := g.verifyOne(ctx, bundle, artifact)
	if err != nil {
		return image.BundleResult{}, err
	}
	return image.BundleResult{Signer: signerName(vr), PredicateType: predicateType(vr), Result: vr}, nil
}

// claimedPredicateType reads the predicate type a DSSE bundle's statement
// claims, without verifying anything; "" when it has none. Input size is
// bounded by the caller (request body limit, image.MaxBundleSize).
func claimedPredicateType(bundle []byte) string {
	pt, _ := claimedString(claimedStatement(bundle), "predicateType")
	return pt
}

// claimedStatement is the in-toto statement a DSSE bundle carries, read
// without verifying or validating anything (strictjson.Lookup: a bundle's
// payload is most of its bytes, and encoding/json would scan them twice
// before the verifier parses them strictly); nil when it has none. What it
// reads only routes: the verifier it picks checks the same bytes strictly.
func claimedStatement(bundle []byte) []byte {
	env, ok := strictjson.Lookup(bundle, "dsseEnvelope")
	if !ok {
		return nil
	}
	if pt, _ := claimedString(env, "payloadType"); pt != attest.PayloadType {
		return nil
	}
	raw, ok := strictjson.Lookup(env, "payload")
	if !ok || len(raw) < 2 || raw[0] != '"' {
		return nil
	}
	if bytes.IndexByte(raw, '\\') >= 0 { // a producer that escapes '/'
		var payload []byte
		if json.Unmarshal(raw, &payload) != nil {
			return nil
		}
		return payload
	}
	b64 := raw[1 : len(raw)-1]
	payload := make([]byte, base64.StdEncoding.DecodedLen(len(b64)))
	n, err := base64.StdEncoding.Decode(payload, b64)
	if err != nil {
		return nil
	}
	return payload[:n]
}

// claimedString is the string at path in the unverified document b, read
// as claimedStatement reads; false when there is none.
func claimedString(b []byte, path ...string) (string, bool) {
	raw, ok := strictjson.Lookup(b, path...)
	var s string
	return s, ok && json.Unmarshal(raw, &s) == nil
}

// flights de-duplicates concurrent verifications of one image reference:
// N requests that arrive while the first is still fetching and verifying
// share its one fetch and one verification. The result is the same for every
// caller (verification does not depend on who asks; policy, which does, runs
// per request), so sharing it is safe. Results are not kept after the flight
// lands: caching is the image.Verifier's verdict cache.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	done chan struct{}
	res  *image.Result
	err  error
}

// verifyImage runs (or joins) the verification of ref; joined reports
// whether this caller shared another's flight. The shared call runs
// detached from any one caller's cancellation, under the context start
// derives (the decision timeout and the verification's budget), so a
// caller that gives up does not fail the others; each caller still stops
// waiting when its own ctx ends. A flight that exceeded its budget fails
// with the budget's error for every caller that shares it, whatever the
// image verifier made of its cancellation.
func (f *flights) verifyImage(ctx context.Context, v *image.Verifier, ref name.Reference, start startFunc) (res *image.Result, joined bool, err error) {
	key := ref.String()
	f.mu.Lock()
	if f.m == nil {
		f.m = make(map[string]*flight)
	}
	fl, joined := f.m[key]
	if !joined {
		fl = &flight{done: make(chan struct{})}
		f.m[key] = fl
		go func() {
			// The flight always lands, even when verification panics: this
			// goroutine is the gate's own, so no http.Server recovers it, and
			// a panic on registry input (a bundle, a manifest) would
			// otherwise end the whole process, every decision in flight with
			// it, and leave the joined callers waiting. The panic becomes
			// the flight's error: an undecided request, a deny. Its value is
			// not quoted: the error reaches the caller and the audit log,
			// and a panic value can hold whatever the panicking code held.
			defer func() {
				if recover() != nil {
					fl.res, fl.err = nil, errVerificationPanicked
				}
				f.mu.Lock()
				delete(f.m, key)
				f.mu.Unlock()
				close(fl.done)
			}()
			sctx, cancel := start(context.WithoutCancel(ctx))
			defer cancel()
			fl.res, fl.err = v.VerifyImage(sctx, ref)
			if cause := context.Cause(sctx); errors.Is(cause, ErrBudgetExceeded) {
				fl.res, fl.err = nil, cause
			}
		}()
	}
	f.mu.Unlock()
	select {
	case <-fl.done:
		return fl.res, joined, fl.err
	case <-ctx.Done():
		return nil, joined, ctx.Err()
	}
}

// errVerificationPanicked: an image verification panicked; the request
// is undecided.
var errVerificationPanicked = errors.New("image verification panicked")

// startFunc derives the context a flight's verification runs under.
type startFunc func(context.Context) (context.Context, context.CancelFunc)
